import { describe, expect, it } from "vitest";
import { BuildProgress, type ProgressClock } from "../../src/cli/progress.js";

/** A terminal that keeps what was written, and a clock that moves only when the test says so. */
function terminal() {
  let written = "";
  const stream = { columns: 200, write: (text: string) => ((written += text), true) } as unknown as NodeJS.WriteStream;
  let now = 0;
  const ticks: Array<() => void> = [];
  const clock: ProgressClock = {
    now: () => now,
    every(ms, tick) {
      expect(ms).toBeLessThanOrEqual(500); // a few times a second
      ticks.push(tick);
      return () => ticks.splice(ticks.indexOf(tick), 1);
    },
  };
  return {
    stream,
    clock,
    /** Moves the clock and fires the redraw timer, as the seconds pass. */
    advance(ms: number) {
      now += ms;
      for (const tick of [...ticks]) tick();
    },
    ticking: () => ticks.length > 0,
    /** What the screen shows now: the text after the last cursor movement. */
    screen: () => written.slice(written.lastIndexOf("\x1b[J") + 3),
    written: () => written,
  };
}

describe("the live progress line", () => {
  it("redraws with the time and the phase while no token arrives, then shows tokens and tokens/s", () => {
    const t = terminal();
    const progress = new BuildProgress(t.stream, true, false, t.clock);
    progress.onEvent({
      type: "plan",
      targets: [
        { prompt: "prompts/a.md", state: "new", reasons: [] },
        { prompt: "prompts/b.md", state: "new", reasons: [] },
      ],
    });
    progress.onEvent({ type: "start", prompt: "prompts/a.md", model: "qwen2.5-coder:7b" });
    expect(t.screen()).toContain("prompts/a.md qwen2.5-coder:7b · waiting for the first token · 0.0 s");
    expect(t.screen()).toContain("1 queued: prompts/b.md");
    expect(t.ticking()).toBe(true);

    t.advance(1500);
    expect(t.screen()).toContain("waiting for the first token · 1.5 s");
    t.advance(2000);
    expect(t.screen()).toContain("waiting for the first token · 3.5 s");

    progress.onEvent({ type: "progress", prompt: "prompts/a.md", tokens: 40, elapsedMs: 4000 });
    t.advance(500);
    expect(t.screen()).toContain("prompts/a.md qwen2.5-coder:7b · 40 tokens, 10.0 tok/s · 4.0 s");
    progress.stop();
    expect(t.ticking()).toBe(false);
  });

  it("says an embedded model is loading until it is loaded, and counts down a retry's wait", () => {
    const t = terminal();
    const progress = new BuildProgress(t.stream, true, false, t.clock);
    progress.onEvent({ type: "start", prompt: "prompts/a.md", model: "gguf:models/tiny.gguf" });
    t.advance(250);
    expect(t.screen()).toContain("gguf:models/tiny.gguf · loading the model · 0.3 s");
    progress.onEvent({
      type: "model",
      event: {
        type: "loaded",
        model: "gguf:models/tiny.gguf",
        file: "models/tiny.gguf",
        loadMs: 300,
        threads: 1,
        contextSize: 4096,
      },
    });
    t.advance(250);
    expect(t.screen()).toContain("waiting for the first token · 0.5 s");

    progress.onEvent({
      type: "retry",
      prompt: "prompts/a.md",
      message: "server error (503)",
      delayMs: 2000,
      attempt: 1,
    });
    t.advance(500);
    expect(t.screen()).toContain("retry 1 in 1.5 s");
    t.advance(1500);
    expect(t.screen()).toContain("waiting for the first token");
    progress.stop();
  });

  it("stops redrawing once nothing is running", () => {
    const t = terminal();
    const progress = new BuildProgress(t.stream, true, false, t.clock);
    progress.onEvent({ type: "start", prompt: "prompts/a.md", model: "m" });
    progress.onEvent({
      type: "done",
      result: {
        prompt: "prompts/a.md",
        outcome: "built",
        outputs: ["a.py"],
        reasons: [],
        usage: { promptTokens: 1, completionTokens: 1 },
        durationMs: 5,
      },
    });
    expect(t.ticking()).toBe(false);
    expect(t.screen()).toContain("✓ built  prompts/a.md → a.py (1 token, ");
  });

  it("writes no live line where there is no terminal", () => {
    const t = terminal();
    const progress = new BuildProgress(t.stream, false, false, t.clock);
    progress.onEvent({ type: "start", prompt: "prompts/a.md", model: "m" });
    t.advance(1000);
    expect(t.written()).toBe("");
    expect(t.ticking()).toBe(false);
  });
});
