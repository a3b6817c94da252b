// Preloaded with `node --import` by tests: the child's clock (Date.now) runs 10 s ahead, as if pc
// ran 10 s after the test wrote its files. Files are then old enough for pc's file hash record
// (src/plan/file-hashes.ts keeps no hash of a file changed in the 2 s before a run), without a
// test sleeping past that window.
const AHEAD_MS = 10_000;
const now = Date.now;
Date.now = () => now() + AHEAD_MS;
