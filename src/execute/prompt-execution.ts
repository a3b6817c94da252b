import type { GenerationProgress } from "../engine/types.js";
import type { LockEntry } from "../lock/lockfile.js";
import { canCarryOver } from "../plan/carry-over.js";
import { pinnedModel, readsNoPendingOutput, type PromptBuildResult } from "../plan/build-plan.js";
import { readyToGenerate, renderAgain } from "../plan/one-prompt.js";
import { parseLoaded, type HashedPrompt, type LoadedPrompt, type RenderedStage } from "../plan/project.js";
import type { PromptStatus } from "../plan/states.js";
import { PcError, promptFailure } from "../util/errors.js";
import type { RunContext } from "./run-context.js";
import { refuseDrift } from "./drift.js";
import { produce, restore, type Produced } from "./generate.js";
import { carriedEntry, lockEntryFor } from "./lock-entry.js";
import { replaceOutputs, writeFailed, type WrittenOutputs } from "./write-outputs.js";
import { checkPrompt, checksFor, knownVerdict } from "./checks.js";
import type { CheckVerdict } from "../cache/store.js";

/** What the deciding steps found: the prompt is done (fresh, skipped), or it has outputs to commit. */
type Decision = { result: PromptBuildResult } | { produced: Produced; loaded: HashedPrompt };

/**
 * Runs one prompt of a build as named steps:
 *
 *   waitForDependencies -> tryRestore (fresh, or restored from the cache; takes no generation slot)
 *                       -> generate (in a generation slot: fresh, or a new answer from the model)
 *                       -> commit (write the outputs and record them in the lock, or undo the writes)
 *
 * Cache lookups run one at a time, in plan order: a prompt that needs the model then asks for its
 * slot before the next lookup ends, so with -j 1 requests go out in plan order. Writing and
 * recording a restore is not part of the lookup, so restores' lock writes are batched.
 */
export class PromptExecution {
  /** The loaded prompt: as planned, then as rendered by this execution. */
  private loaded: LoadedPrompt;
  private readonly base: Pick<PromptBuildResult, "prompt" | "outputs" | "reasons" | "model">;
  /** --force: generate again even when fresh, and overwrite hand edits. */
  private readonly force: boolean;
  /**
   * The last attempt failed: the model is asked again, even when the recorded outputs still match
   * (a forced rebuild that failed is retried, not taken as done).
   */
  private readonly retry: boolean;
  /** The lock entry the build started with. */
  private readonly entry: LockEntry | undefined;
  /** Rendered by this execution, after its dependencies were built: never rendered twice. */
  private renderedNow = false;
  /** Cancels this prompt alone (pc watch), asked for when it starts generating. */
  private own: AbortSignal | undefined;
  /** Its checks failed and --keep-failed wrote the outputs anyway. */
  private keptFailing: FailedChecks | undefined;

  constructor(
    private readonly run: RunContext,
    status: PromptStatus,
  ) {
    const { project } = run;
    const loaded = project.prompts.get(status.prompt);
    if (!loaded) throw new Error(`no loaded prompt for planned prompt ${status.prompt}`);
    this.loaded = loaded;
    this.base = {
      prompt: status.prompt,
      outputs: status.outputs,
      reasons: status.reasons,
      model: pinnedModel(project, status.prompt),
    };
    this.force = run.plan.forced.has(status.prompt);
    this.retry = status.state === "failed";
    this.entry = project.lock.prompts[status.prompt];
  }

  async execute(): Promise<PromptBuildResult> {
    const blocked = await this.waitForDependencies();
    if (blocked) return blocked;
    try {
      // A slot is held to render and generate, and given back before writing: the next request
      // goes out while this answer is formatted, written and recorded.
      const decision = (await this.tryRestore()) ?? (await this.run.slot(() => this.generate()));
      return "result" in decision ? decision.result : await this.commit(decision.loaded, decision.produced);
    } catch (error) {
      return this.failed(error);
    }
  }

  /** A prompt whose dependency failed or was skipped is skipped too. */
  private async waitForDependencies(): Promise<PromptBuildResult | undefined> {
    const dependencies = this.run.project.graph.dependsOn.get(this.loaded.prompt) ?? [];
    const results = await Promise.all(dependencies.flatMap((d) => this.run.done.get(d) ?? []));
    const blocked = results.find((r) => r.outcome === "failed" || r.outcome === "skipped");
    if (!blocked) return undefined;
    return this.skipped(`dependency ${blocked.prompt} ${blocked.outcome === "failed" ? "failed" : "was skipped"}`);
  }

  /** Fresh, or restored from the cache; undefined when the model is needed. */
  private async tryRestore(): Promise<Decision | undefined> {
    const { options, store, project, formatter } = this.run;
    // --force asks for a new generation: restoring the cached one would just repeat the old answer.
    if (this.force) return undefined;
    if (options.signal?.aborted) return { result: this.skipped("interrupted") };
    const loaded = await this.readyToRestore();
    if (await this.unchanged()) return { result: this.freshAfterDependencies() };
    const carried = await this.carryOver(loaded);
    if (carried) return { result: carried };
    // The failed attempt was for the request the lock records: its cached answer is what it failed to replace.
    if (this.retry && this.entry?.inputHash === loaded.hashes.inputHash) return undefined;
    if (!(options.cache ?? true)) return undefined;
    const restored = await this.run.lookups(() => restore(loaded, { root: project.root, store, formatter }));
    if (!restored) return undefined;
    options.onEvent?.({ type: "start", prompt: loaded.prompt, model: restored.generation.model });
    return { produced: restored, loaded };
  }

  /**
   * An entry recorded before pc pinned every sampler whose bytes never came from a server's sampler
   * defaults (see plan/carry-over.ts) is recorded again under the current request: no model call,
   * no write, the same source.
   */
  private async carryOver(loaded: HashedPrompt): Promise<PromptBuildResult | undefined> {
    const { entry } = this;
    if (!canCarryOver(loaded, entry)) return undefined;
    if (!(await this.outputsAsRecorded(loaded, entry))) return undefined;
    await this.run.lock.record(loaded.prompt, carriedEntry(loaded, entry));
    delete this.run.failures[loaded.prompt];
    return { ...this.base, outcome: "cached", source: entry.source };
  }

  /** In a generation slot: a new answer from the model (tryRestore found the prompt changed, and not in the cache). */
  private async generate(): Promise<Decision> {
    const { options, store, project, engines, formatter } = this.run;
    if (options.signal?.aborted) return { result: this.skipped("interrupted") };
    const loaded = await this.readyToGenerate();
    options.onEvent?.({ type: "start", prompt: loaded.prompt, model: loaded.parsed.frontmatter.model });
    this.own = options.promptSignal?.(loaded.prompt);
    const produced = await produce(loaded, {
      root: project.root,
      formatter,
      store,
      engines,
      cache: false, // tryRestore already looked
      offline: options.offline ?? false,
      signal: this.own && options.signal ? AbortSignal.any([options.signal, this.own]) : (this.own ?? options.signal),
      onProgress: (p: GenerationProgress) => options.onEvent?.({ type: "progress", ...p }),
    });
    return { produced, loaded };
  }

  /** Ready to restore: as planned (rendered, or recalled from an earlier entry), or rendered now. */
  private async readyToRestore(): Promise<HashedPrompt> {
    const loaded = this.loaded;
    if (this.plannedHolds() && (loaded.stage === "rendered" || loaded.stage === "recalled")) return loaded;
    return this.renderNow();
  }

  /** Ready to generate: rendered as planned, or rendered now. */
  private async readyToGenerate(): Promise<RenderedStage> {
    const loaded = this.loaded;
    if (this.plannedHolds() && loaded.stage === "rendered") return loaded;
    return this.renderNow();
  }

  /**
   * What planning found still holds when the prompt reads no other prompt's output (those may have
   * just been built), and what this execution rendered holds once the prompts it reads are done.
   */
  private plannedHolds(): boolean {
    return this.renderedNow || readsNoPendingOutput(this.run.project, this.loaded);
  }

  /** Parses (if needed) and renders the prompt with the files as they are now: at most once per execution. */
  private async renderNow(): Promise<RenderedStage> {
    this.loaded = await renderAgain(this.run.project, this.loaded);
    this.renderedNow = true;
    return readyToGenerate(this.loaded);
  }

  /** A dependency was rebuilt with identical bytes: nothing this prompt reads has changed. */
  private async unchanged(): Promise<boolean> {
    const { entry, loaded } = this;
    if (this.force || this.retry || entry === undefined || entry.stale || entry.inputHash !== loaded.hashes?.inputHash)
      return false;
    return this.outputsAsRecorded(loaded, entry);
  }

  /** Every output of the prompt is on disk with the bytes the lock entry records. */
  private async outputsAsRecorded(loaded: LoadedPrompt, entry: LockEntry): Promise<boolean> {
    const current = await Promise.all(loaded.outputs.map((o) => this.run.project.files.hash(o)));
    return loaded.outputs.every((o, i) => current[i] !== undefined && current[i] === entry.outputs[o]);
  }

  /** Writes the outputs and records them in the lock as one commit; an exit asked for meanwhile waits for it. */
  private async commit(loaded: HashedPrompt, produced: Produced): Promise<PromptBuildResult> {
    const { store, project, commits } = this.run;
    if (produced.source === "llm") await store.save(produced.generation);
    // Cancelled after the answer arrived: it stays in the cache, but the outputs are not replaced.
    if (this.own?.aborted) throw new PcError("PC_ABORTED", "cancelled", { file: this.loaded.prompt });
    if (!this.force)
      await refuseDrift(project.files, this.loaded.prompt, this.entry?.outputs, produced.outputs, undefined, {
        root: project.root,
        store,
      });
    if (!commits.begin()) return this.skipped("interrupted");
    let verdict: CheckVerdict | undefined;
    try {
      verdict = await this.writeAndRecord(loaded, produced);
    } finally {
      commits.end();
    }
    const g = produced.generation;
    const llm = produced.source === "llm";
    if (this.keptFailing) {
      // Written and recorded as asked (--keep-failed), and failed until a generation passes.
      const error = checkFailed(this.loaded.prompt, this.keptFailing, "kept");
      this.run.failures[this.loaded.prompt] = {
        inputHash: loaded.hashes.inputHash,
        code: error.code,
        message: error.message,
      };
      return {
        ...this.base,
        outcome: "failed",
        source: produced.source,
        model: g.model,
        error,
        checks: {
          passed: false,
          durationMs: this.keptFailing.verdict.durationMs,
          failure: this.keptFailing.verdict.failure,
        },
      };
    }
    delete this.run.failures[this.loaded.prompt];
    return {
      ...this.base,
      outcome: llm ? "built" : "cached",
      checks: verdict && { passed: verdict.passed, durationMs: verdict.durationMs },
      source: produced.source,
      model: g.model,
      usage: llm ? g.usage : undefined,
      durationMs: llm ? g.durationMs : undefined,
    };
  }

  /**
   * Outputs the lock does not vouch for would look hand-edited: when recording fails, the writes are
   * undone. So are they when the prompt's checks fail on them (unless --keep-failed).
   */
  private async writeAndRecord(loaded: HashedPrompt, produced: Produced): Promise<CheckVerdict | undefined> {
    const { project, lock, earlier } = this.run;
    const written = await replaceOutputs(project.root, loaded.prompt, produced.outputs);
    for (const o of Object.keys(written.hashes)) project.files.forget(o);
    const verdict = await this.check(loaded, produced, written);
    try {
      const entry = lockEntryFor(loaded, written.hashes, produced.source, produced.generation, verdict);
      await lock.record(loaded.prompt, entry);
      // Kept for the prompt's text, so reverting to it later restores without rendering.
      const known = loaded.recalled?.requestHash === entry.requestHash && loaded.recalled.inputHash === entry.inputHash;
      if (!known) this.run.remember(earlier.remember(loaded.prompt, entry));
    } catch (error) {
      await written.undo();
      for (const o of Object.keys(written.hashes)) project.files.forget(o);
      throw writeFailed(
        loaded.prompt,
        "cannot record its outputs in promptfile.lock, so they were put back",
        (error as Error).cause ?? error,
      );
    }
    return verdict;
  }

  /**
   * Runs the prompt's checks on the outputs just written, unless this generation was checked under
   * the same checks before. A failing generation is kept in the cache with its verdict (pc log and
   * pc diff --cached show it), and its outputs are put back unless --keep-failed.
   */
  private async check(
    loaded: HashedPrompt,
    produced: Produced,
    written: WrittenOutputs,
  ): Promise<CheckVerdict | undefined> {
    const { checksHash } = loaded.hashes;
    if (checksHash === undefined) return undefined;
    const { project, store, options } = this.run;
    // A prompt planned from its lock entry is parsed for its check commands.
    const checks = checksFor(await parseLoaded(project.root, loaded), checksHash);
    const prompt = loaded.prompt;
    const known = knownVerdict(checks.hash, produced.outputs, produced.generation);
    let verdict = known;
    let kept: string | undefined;
    if (!verdict) {
      try {
        ({ verdict, kept } = await checkPrompt(
          project.root,
          { prompt, outputs: loaded.outputs },
          checks,
          produced.outputs,
          options.signal,
        ));
      } catch (error) {
        await this.putBack(written);
        throw error;
      }
      if (options.signal?.aborted) {
        await this.putBack(written);
        throw new PcError("PC_ABORTED", "interrupted while its checks ran", { file: prompt });
      }
      await store.save({ ...produced.generation, outputs: produced.outputs, checks: verdict });
    }
    options.onEvent?.({
      type: "check",
      prompt,
      passed: verdict.passed,
      durationMs: verdict.durationMs,
      failure: verdict.failure,
      known: known !== undefined,
    });
    if (verdict.passed) return verdict;
    const failed = { verdict, known: known !== undefined, kept };
    if (options.keepFailed) {
      this.keptFailing = failed;
      return verdict;
    }
    await this.putBack(written);
    throw checkFailed(prompt, failed, "put back");
  }

  private async putBack(written: WrittenOutputs): Promise<void> {
    await written.undo();
    for (const o of Object.keys(written.hashes)) this.run.project.files.forget(o);
  }

  private failed(error: unknown): PromptBuildResult {
    // Whatever went wrong belongs to this prompt alone: it fails, the others build.
    const pcError = promptFailure(error, this.loaded.prompt);
    if (pcError.code === "PC_ABORTED") {
      const cancelled = this.own?.aborted && !this.run.options.signal?.aborted;
      return this.skipped(cancelled && this.own ? `cancelled: ${reasonOf(this.own)}` : "interrupted");
    }
    // --offline says nothing about the prompt itself: it stays stale, not failed.
    if (pcError.code !== "PC_OFFLINE" && this.loaded.hashes) {
      this.run.failures[this.loaded.prompt] = {
        inputHash: this.loaded.hashes.inputHash,
        code: pcError.code,
        message: pcError.message,
      };
    }
    return { ...this.base, outcome: "failed", error: pcError };
  }

  private skipped(reason: string): PromptBuildResult {
    return { ...this.base, outcome: "skipped", reasons: [reason] };
  }

  private freshAfterDependencies(): PromptBuildResult {
    return { ...this.base, outcome: "fresh", reasons: ["inputs unchanged after its dependencies were built"] };
  }
}

/** A generation's failed checks: whether they were run before on the same bytes, where their output is kept. */
interface FailedChecks {
  verdict: CheckVerdict;
  known: boolean;
  kept: string | undefined;
}

/**
 * PC_CHECK_FAILED with what failed and where the check's output is kept, for a generation whose
 * outputs were put back, or kept as asked (--keep-failed).
 */
function checkFailed(prompt: string, failed: FailedChecks, outputs: "put back" | "kept"): PcError {
  const again = failed.known ? " (this generation failed the same checks before; they were not run again)" : "";
  const message = `check failed: ${failed.verdict.failure ?? "a check command failed"}${again}`;
  return new PcError("PC_CHECK_FAILED", message, {
    file: prompt,
    hint: [
      failed.kept ? `The check's output is in ${failed.kept}.` : undefined,
      outputs === "kept"
        ? "Its outputs are written and recorded as asked (--keep-failed); the prompt stays failed until a generation passes."
        : "The previous outputs and lock entry are unchanged; the new generation is in the cache (pc log, pc diff --cached).",
      `Fix the prompt or the check, or find a seed that passes: pc seed ${prompt} --pin`,
    ]
      .filter(Boolean)
      .join("\n"),
  });
}

function reasonOf(signal: AbortSignal): string {
  const reason = signal.reason as unknown;
  return reason instanceof Error ? reason.message : typeof reason === "string" ? reason : "aborted";
}
