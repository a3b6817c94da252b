import type { PcError } from "../errors.js";
import { writeLock } from "../lock/lock-io.js";
import type { Lock, LockEntry } from "../lock/lockfile.js";
import { writeFailed } from "./write-outputs.js";

/**
 * Records finished prompts in promptfile.lock one at a time, as soon as each finishes, so an
 * interrupted build keeps its finished work. A failed write leaves the entry as it was (in memory
 * and on disk) and does not stop later prompts from being recorded.
 */
export class LockRecorder {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly root: string,
    private readonly lock: Lock,
    /** The lock's text on disk, so an unchanged lock is not rewritten. */
    private text: string | undefined,
  ) {}

  /** Sets the prompt's entry and writes the lock; rejects with PC_WRITE_FAILED (entry restored) when it cannot. */
  record(prompt: string, entry: LockEntry): Promise<void> {
    const write = this.queue.then(async () => {
      const previous = this.lock.prompts[prompt];
      this.lock.prompts[prompt] = entry;
      try {
        if (await writeLock(this.root, this.lock, this.text)) this.text = undefined;
      } catch (error) {
        if (previous) this.lock.prompts[prompt] = previous;
        else delete this.lock.prompts[prompt];
        throw writeFailed(prompt, "promptfile.lock", error) as PcError;
      }
    });
    this.queue = write.catch(() => {});
    return write;
  }

  /** Resolves when every write asked for so far has finished. */
  settled(): Promise<void> {
    return this.queue;
  }
}
