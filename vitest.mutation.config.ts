import { defineConfig } from "vitest/config";

// The tests the mutation run (stryker.config.mjs, docs/testing.md "Mutation score") runs against
// each changed copy of a module: those that run pc in this process (the library API, in-process
// builds against the in-process test server), so Stryker can tell which test runs which line.
// Tests that start a browser, llama-server or the embedded model cost minutes per run on a shared
// machine and are left out.
//
// Each module gets the tests that exercise it: code a test file runs outside its tests (a build in
// beforeAll) gives "static" mutants, which Stryker checks against every test of the run.
const IN_PROCESS_BUILDS = [
  "test/build/concurrency.test.ts",
  "test/build/context-globs.test.ts",
  "test/build/dialects.test.ts",
  "test/build/engine-errors.test.ts",
  "test/build/incremental.test.ts",
  "test/build/outputs.test.ts",
  "test/build/request.test.ts",
  "test/build/safety.test.ts",
  "test/build/samplers-migration.test.ts",
  "test/build/verify-server.test.ts",
  "test/cache/recall.test.ts",
];

export const MUTATION_TESTS: Record<string, string[]> = {
  // The extractor is pure: its unit tests, its properties and the answer corpus read by the
  // extractor alone (test/answers/corpus.test.ts takes the same answers through whole builds).
  answer: [
    "test/answers/languages.test.ts",
    "test/answers/extract.test.ts",
    "test/answers/messages.test.ts",
    "test/answers/rules.test.ts",
    "test/answers/labels.test.ts",
    "test/answers/properties.test.ts",
    "test/answers/corpus-extract.test.ts",
  ],
  // The parser's own tests; test/reliability/properties.test.ts (any text gives a prompt or a
  // PcError) costs seconds per run, which every mutant it covers would pay.
  frontmatter: ["test/prompt/frontmatter.test.ts", "test/util/schema-validators.test.ts"],
  hash: [
    "test/plan/hash.test.ts",
    "test/build/request.test.ts",
    "test/build/samplers-migration.test.ts",
    "test/build/incremental.test.ts",
  ],
  // Planning runs under every build: the builds that plan something of their own (selection,
  // waiting for another prompt's output, carrying entries over, recalling earlier ones).
  plan: [
    "test/plan/build-plan.test.ts",
    "test/plan/dependency-graph.test.ts",
    "test/plan/failures.test.ts",
    "test/plan/one-prompt.test.ts",
    "test/build/incremental.test.ts",
    "test/build/context-globs.test.ts",
    "test/build/samplers-migration.test.ts",
    "test/cache/recall.test.ts",
    "test/build/no-op-build.test.ts",
    "test/execute/prompt-execution.test.ts",
  ],
  // Loading a project and its prompts' states: their own tests, and the builds of a prompt waiting
  // for another's output, a reverted prompt recalled and a lock from before pc pinned every sampler.
  // Every status and build runs this code, so each test listed runs for nearly every mutant.
  project: [
    "test/plan/project-load.test.ts",
    "test/plan/states.test.ts",
    "test/plan/file-hashes.test.ts",
    "test/plan/paths.test.ts",
    "test/build/context-globs.test.ts",
    "test/build/samplers-migration.test.ts",
    "test/cache/recall.test.ts",
  ],
  lock: [
    "test/lock/*.test.ts",
    "test/reliability/salvage.test.ts",
    "test/reliability/properties.test.ts",
    "test/execute/lock-recorder.test.ts",
    "test/reliability/bad-lock.test.ts",
    "test/reliability/lock-repair.test.ts",
    ...IN_PROCESS_BUILDS,
  ],
  // Running one prompt: its own tests, the builds about writing outputs safely, restoring from the
  // cache, and what a request carries (in each server's dialect).
  execute: [
    "test/execute/*.test.ts",
    "test/cache/generation-cache.test.ts",
    "test/build/request.test.ts",
    "test/build/dialects.test.ts",
    "test/build/safety.test.ts",
    "test/build/outputs.test.ts",
    "test/build/incremental.test.ts",
    "test/reliability/failing-writes.test.ts",
    "test/cache/recall.test.ts",
    "test/build/samplers-migration.test.ts",
    "test/e2e/checks.test.ts",
  ],
};

const module = process.env.PC_MUTATION_MODULE;

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    setupFiles: ["test/support/setup.ts"],
    // Tests that run the command line (runPc) run it in this process, from the TypeScript Stryker changes.
    env: { PC_TEST_IN_PROCESS: "1" },
    include:
      module && Object.hasOwn(MUTATION_TESTS, module)
        ? MUTATION_TESTS[module]!
        : [...new Set(Object.values(MUTATION_TESTS).flat())],
  },
});
