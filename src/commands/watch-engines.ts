import type { EngineFactory, EngineKind, EngineSettings } from "../engine/engine-factory.js";
import { defaultEngineFactory } from "../engine/engine-factory.js";
import type { Engine } from "../engine/types.js";

/**
 * Keeps engines alive from one build to the next (loading a local model takes seconds): each
 * build's pool gets a handle whose close() does nothing; `close` ends them when watching stops.
 * Engines are keyed by kind and settings, so a changed base URL in pc.config.json gets a new one.
 */
export function keepEngines(factory: EngineFactory = defaultEngineFactory): {
  factory: EngineFactory;
  close: () => Promise<void>;
} {
  const engines = new Map<string, Promise<Engine>>();
  const keyOf = (kind: EngineKind, s: EngineSettings) =>
    JSON.stringify([
      kind,
      s.root,
      s.baseURL,
      s.apiKey ? "key" : "",
      s.idleTimeoutMs,
      s.retry,
      s.threads,
      s.contextSize,
    ]);
  return {
    factory: async (kind, settings) => {
      const key = keyOf(kind, settings);
      let engine = engines.get(key);
      if (!engine) {
        engine = factory(kind, settings);
        engines.set(key, engine);
        engine.catch(() => engines.delete(key)); // a failed start is retried by the next build
      }
      const shared = await engine;
      return {
        kind: shared.kind,
        generate: (request, options) => shared.generate(request, options),
        close: async () => {},
      };
    },
    close: async () => {
      const all = await Promise.allSettled(engines.values());
      engines.clear();
      await Promise.all(all.map((e) => (e.status === "fulfilled" ? e.value.close() : undefined)));
    },
  };
}
