import { defineConfig } from "vitest/config";

// Two projects, reported apart: pc's own tests, and the tests of the test server they rely on
// (test/support/*.test.ts), so a fault in the test server is never read as a fault in pc.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    setupFiles: ["test/support/setup.ts"],
    // `npm run coverage` (scripts/coverage.ts) turns it on and adds the pc processes the tests start.
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts"],
      exclude: ["src/**/*.test.ts"],
      reporter: ["json"],
    },
    projects: [
      {
        extends: true,
        test: {
          name: "pc",
          include: ["test/**/*.test.ts", "src/**/*.test.ts"],
          exclude: ["test/support/**"],
          // The end-to-end tests run the built pc: dist/ is built once per run.
          globalSetup: ["test/global-setup.ts"],
        },
      },
      {
        extends: true,
        test: { name: "test-support", include: ["test/support/**/*.test.ts"] },
      },
    ],
  },
});
