import { writeLock } from "../lock/lock-io.js";
import type { Lock, LockEntry } from "../lock/lockfile.js";
import { writeFailed } from "./write-outputs.js";

interface Pending {
  entry: LockEntry;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Records finished prompts in promptfile.lock as soon as each finishes, so an interrupted build
 * keeps its finished work. Prompts that finish while a write is under way are recorded together by
 * the next write (with -j, prompts of one round finish at once). A failed write leaves those
 * entries as they were, in memory and on disk, and does not stop later prompts from being recorded.
 */
export class LockRecorder {
  private readonly pending = new Map<string, Pending>();
  private writing: Promise<void> | undefined;

  constructor(
    private readonly root: string,
    private readonly lock: Lock,
    /** The lock's text on disk, so an unchanged lock is not rewritten. */
    private text: string | undefined,
  ) {}

  /** Sets the prompt's entry and writes the lock; rejects with PC_WRITE_FAILED (entry restored) when it cannot. */
  record(prompt: string, entry: LockEntry): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.set(prompt, { entry, resolve, reject });
      this.flush();
    });
  }

  /** Resolves when every write asked for so far has finished. */
  async settled(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private flush(): void {
    if (this.writing) return; // the running write loop takes the new entry next
    this.writing = this.writeAll().finally(() => {
      this.writing = undefined;
      if (this.pending.size > 0) this.flush();
    });
  }

  private async writeAll(): Promise<void> {
    while (this.pending.size > 0) {
      const batch = [...this.pending];
      this.pending.clear();
      const previous = batch.map(([prompt]) => this.lock.prompts[prompt]);
      for (const [prompt, { entry }] of batch) this.lock.prompts[prompt] = entry;
      try {
        if (await writeLock(this.root, this.lock, this.text)) this.text = undefined;
        for (const [, waiting] of batch) waiting.resolve();
      } catch (error) {
        batch.forEach(([prompt, waiting], i) => {
          const before = previous[i];
          if (before) this.lock.prompts[prompt] = before;
          else delete this.lock.prompts[prompt];
          waiting.reject(writeFailed(prompt, "cannot write promptfile.lock", error));
        });
      }
    }
  }
}
