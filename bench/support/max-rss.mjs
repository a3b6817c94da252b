// Preloaded with `node --import` by memory.bench.ts: records the process's peak resident set size
// (kilobytes, from getrusage) in the file named by PC_BENCH_RSS_FILE when the process exits.
import { writeFileSync } from "node:fs";

process.on("exit", () => {
  if (process.env.PC_BENCH_RSS_FILE) writeFileSync(process.env.PC_BENCH_RSS_FILE, String(process.resourceUsage().maxRSS));
});
