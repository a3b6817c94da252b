/**
 * Commits: the moments when a prompt's outputs have been written but are not yet recorded in the
 * lock. A process that exits inside one leaves outputs the lock does not vouch for (they would look
 * hand-edited), so an exit asked for by a second Ctrl-C waits for the commits in progress (they
 * take milliseconds) and no new commit starts after it.
 *
 * One gate is shared by whoever writes (a build) and whoever may exit the process (the CLI's
 * interrupt handling); the CLI makes it and hands it to the build.
 */
export class CommitGate {
  private open = 0;
  private closing = false;
  private pendingExit: (() => void) | undefined;

  /** Starts a commit; false once an exit is pending (then nothing may be written). */
  begin(): boolean {
    if (this.closing) return false;
    this.open++;
    return true;
  }

  end(): void {
    this.open--;
    if (this.open === 0 && this.pendingExit) this.pendingExit();
  }

  get inProgress(): number {
    return this.open;
  }

  /** Runs `exit` as soon as no commit is in progress (at once if none is); refuses new commits. */
  exitAfterCommits(exit: () => void): void {
    this.closing = true;
    if (this.open === 0) exit();
    else this.pendingExit = exit;
  }
}
