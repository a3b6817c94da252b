// Whether a process a test started (or had a command start) is still there.

/** Whether a process with this pid exists (signal 0 asks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
