/** Runs a piece of work once a place is free. */
export type Limiter = <T>(work: () => Promise<T>) => Promise<T>;

/** Runs at most `limit` pieces of work at a time, in the order they asked. */
export function limiter(limit: number): Limiter {
  let running = 0;
  const queue: Array<() => void> = [];
  return async (work) => {
    // A freed place is handed straight to the next waiter, so a newcomer cannot take it in between.
    if (running >= limit) await new Promise<void>((resolve) => queue.push(resolve));
    else running++;
    try {
      return await work();
    } finally {
      const next = queue.shift();
      if (next) next();
      else running--;
    }
  };
}
