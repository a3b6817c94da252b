// Mutation testing of pc's core with Stryker (docs/testing.md, "Mutation score"). Run it through
// `npm run mutation` (scripts/mutation.mjs), which runs one module at a time: PC_MUTATION_MODULE
// names the module, and each module keeps its own incremental file, so a rerun only tests the
// mutants of code (or tests) that changed since the recorded run.

/** The core's modules: the files Stryker changes for each. */
export const MODULES = {
  answer: [
    "src/answer/extract.ts",
    "src/answer/choose.ts",
    "src/answer/fences.ts",
    "src/answer/labels.ts",
    "src/answer/reasoning.ts",
    "src/answer/languages.ts",
  ],
  frontmatter: ["src/prompt/frontmatter.ts"],
  hash: ["src/plan/hash.ts"],
  // Planning, in two runs of about the same size: the plan of a build, and the project's state it reads.
  plan: [
    "src/plan/build-plan.ts",
    "src/plan/carry-over.ts",
    "src/plan/dependency-graph.ts",
    "src/plan/failures.ts",
    "src/plan/one-prompt.ts",
    "src/plan/selection.ts",
  ],
  project: ["src/plan/project.ts", "src/plan/states.ts", "src/plan/file-hashes.ts"],
  lock: ["src/lock/*.ts"],
  execute: [
    "src/execute/prompt-execution.ts",
    "src/execute/drift.ts",
    "src/execute/generate.ts",
    "src/execute/lock-entry.ts",
    "src/execute/lock-recorder.ts",
    "src/execute/write-outputs.ts",
    "src/execute/checks.ts",
  ],
};

const module = process.env.PC_MUTATION_MODULE ?? "answer";
if (!Object.hasOwn(MODULES, module)) {
  throw new Error(
    `PC_MUTATION_MODULE=${module} is no module of the mutation run: use ${Object.keys(MODULES).join(", ")}`,
  );
}

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts" },
  coverageAnalysis: "perTest",
  mutate: MODULES[module],
  // Two shared cores: one sandbox at a time.
  concurrency: 1,
  incremental: true,
  incrementalFile: `test/mutation/${module}.incremental.json`,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: `reports/mutation/${module}.html` },
  jsonReporter: { fileName: `reports/mutation/${module}.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: false },
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
  // What the tests in vitest.mutation.config.ts never read.
  ignorePatterns: ["/bench", "/web", "/docs", "/reports", "/models", "/.pc", "/test/mutation"],
  timeoutMS: 20_000,
  // Only the code under test gets "// @ts-nocheck": test fixtures (outputs recorded in a lock) keep their bytes.
  disableTypeChecks: "src/**/*.ts",
};
