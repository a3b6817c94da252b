/**
 * Commits: the moments when a prompt's outputs have been written but are not yet recorded in the
 * lock. A process that exits inside one leaves outputs the lock does not vouch for (they would look
 * hand-edited), so an exit asked for by a second Ctrl-C waits for the commits in progress (they
 * take milliseconds) and no new commit starts after it.
 */
let open = 0;
let closing = false;
let pendingExit: (() => void) | undefined;

/** Starts a commit; false once an exit is pending (then nothing may be written). */
export function beginCommit(): boolean {
  if (closing) return false;
  open++;
  return true;
}

export function endCommit(): void {
  open--;
  if (open === 0 && pendingExit) pendingExit();
}

export function commitsInProgress(): number {
  return open;
}

/** Runs `exit` as soon as no commit is in progress (at once if none is); refuses new commits. */
export function exitAfterCommits(exit: () => void): void {
  closing = true;
  if (open === 0) exit();
  else pendingExit = exit;
}
