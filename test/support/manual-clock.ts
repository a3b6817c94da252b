// A clock and timer a test moves by hand (for pc watch's debounce, see WatchClock): time stands
// still until the test advances it, and a timer runs only when the test fires it.
import type { WatchClock } from "../../src/commands/watch.js";

interface Timer {
  callback: () => void;
  ms: number;
}

export interface ManualClock extends WatchClock {
  /** The delay of every timer set so far, in order. */
  readonly delays: number[];
  /** Moves the clock on by `ms` (no timer runs). */
  advance(ms: number): void;
  /** Resolves once a timer is set and not yet run or cleared (at once if one is). */
  timerSet(): Promise<void>;
  /** Runs the timers set and not cleared, as if their time had come; returns how many ran. */
  fire(): number;
}

export function manualClock(): ManualClock {
  let time = 0;
  const timers = new Set<Timer>();
  const delays: number[] = [];
  const waiters: Array<() => void> = [];
  return {
    delays,
    now: () => time,
    setTimeout(callback, ms) {
      const timer = { callback, ms };
      timers.add(timer);
      delays.push(ms);
      for (const resolve of waiters.splice(0)) resolve();
      return timer;
    },
    clearTimeout(timer) {
      timers.delete(timer as Timer);
    },
    advance(ms) {
      time += ms;
    },
    timerSet: () => (timers.size > 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    fire() {
      const due = [...timers];
      timers.clear();
      for (const timer of due) timer.callback();
      return due.length;
    },
  };
}
