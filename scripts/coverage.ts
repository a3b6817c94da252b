/**
 * `npm run coverage`: which lines and branches of src/ pc's tests run, counting both the code the
 * tests run in process (vitest's V8 coverage) and the built `pc` processes they start.
 *
 * The whole run has NODE_V8_COVERAGE set, so every `pc` child writes its V8 coverage when it
 * exits. That coverage is of dist/*.js; it is mapped back to src/ through tsc's source maps with
 * the converter vitest itself uses (ast-v8-to-istanbul), so both halves count the same statements
 * and branches, then merged with vitest's report. Arguments are passed on to vitest (e.g. a test
 * file). Writes coverage/coverage-final.json and an HTML report in coverage/html/, and prints the
 * figures per folder of src/. Exits with vitest's code: the figures are printed either way.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { mergeProcessCovs, type ProcessCov, type ScriptCov } from "@bcoe/v8-coverage";
import { parse } from "acorn";
import { convert } from "ast-v8-to-istanbul";
import libCoverage, { type CoverageMap, type CoverageMapData } from "istanbul-lib-coverage";
import libReport from "istanbul-lib-report";
import reports from "istanbul-reports";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT = path.join(ROOT, "coverage");
const CHILDREN = path.join(OUT, "children-raw");
const IN_PROCESS = path.join(OUT, "in-process");
const DIST = pathToFileURL(path.join(ROOT, "dist")).href + "/";
/** The folders of src/ reported apart, in the order of the layers. */
const FOLDERS = ["cli", "ui", "commands", "plan", "execute", "prompt", "answer", "engine", "lock", "cache", "util"];

/** Runs pc's tests under coverage; returns vitest's exit code. */
function runTests(args: string[]): number {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(CHILDREN, { recursive: true });
  // Tests run some `pc` processes as an unprivileged user: they write their coverage here too.
  chmodSync(OUT, 0o755);
  chmodSync(CHILDREN, 0o1777);
  const vitest = spawnSync(
    process.execPath,
    [
      path.join(ROOT, "node_modules/vitest/vitest.mjs"),
      "run",
      "--project",
      "pc",
      "--coverage.enabled",
      // Figures also when a test failed (vitest writes no report then by default).
      "--coverage.reportOnFailure",
      `--coverage.reportsDirectory=${IN_PROCESS}`,
      ...args,
    ],
    { cwd: ROOT, stdio: "inherit", env: { ...process.env, NODE_V8_COVERAGE: CHILDREN } },
  );
  return vitest.status ?? 1;
}

/** The V8 coverage of dist/ from every process that wrote some, merged into one. */
function childCoverage(): ScriptCov[] {
  const processes: ProcessCov[] = [];
  for (const name of readdirSync(CHILDREN)) {
    if (!name.endsWith(".json")) continue;
    let raw: { result?: ScriptCov[] };
    try {
      raw = JSON.parse(readFileSync(path.join(CHILDREN, name), "utf8"));
    } catch {
      continue; // a process killed while writing its coverage leaves a partial file
    }
    // dist/ compiled from src/ (with a source map), not the generated validators or vendored bundles.
    const result = (raw.result ?? []).filter((script) => script.url.startsWith(DIST) && script.url.endsWith(".js"));
    if (result.length > 0) processes.push({ result });
  }
  return processes.length > 0 ? mergeProcessCovs(processes).result : [];
}

/** One dist/ file's V8 coverage as Istanbul coverage of its src/ file, through its source map. */
async function toSource(script: ScriptCov): Promise<CoverageMapData> {
  const file = fileURLToPath(script.url);
  const code = readFileSync(file, "utf8");
  const sourceMap = JSON.parse(readFileSync(`${file}.map`, "utf8"));
  return convert({
    code,
    ast: parse(code, { ecmaVersion: "latest", sourceType: "module", locations: true }) as never,
    coverage: { url: script.url, functions: script.functions },
    sourceMap,
    wrapperLength: 0,
  });
}

type FileData = CoverageMapData[string];
type Location = FileData["statementMap"][string];

/**
 * Each item's place: its line and its rank among the items of its kind that start on that line.
 * vitest's map and the map of tsc's code come from different compiled code (vite's and tsc's):
 * they agree on which statements, functions and branches each line has, not always on the exact
 * columns (where an arrow function or a type-annotated function begins).
 */
function places<T>(
  items: Record<string, T>,
  loc: (item: T) => Location,
  kind: (item: T) => string = () => "",
): Map<string, string> {
  const byLine = new Map<string, Array<[string, Location]>>();
  for (const [key, item] of Object.entries(items)) {
    const line = `${kind(item)}@${loc(item).start.line}`;
    byLine.set(line, [...(byLine.get(line) ?? []), [key, loc(item)]]);
  }
  const result = new Map<string, string>();
  for (const [line, list] of byLine) {
    list.sort((a, b) => a[1].start.column - b[1].start.column);
    list.forEach(([key], rank) => result.set(key, `${line}#${rank}`));
  }
  return result;
}

/** Adds the hits of `child` (a src/ file's coverage from a dist/ file) to `into` (vitest's map of the same file). */
function addHits(into: FileData, child: FileData, unmatched: { count: number; total: number }): void {
  const add = <T>(
    intoMap: Record<string, T>,
    intoHits: Record<string, number | number[]>,
    childMap: Record<string, T>,
    childHits: Record<string, number | number[]>,
    loc: (item: T) => Location,
    kind?: (item: T) => string,
  ) => {
    const intoKeys = new Map([...places(intoMap, loc, kind)].map(([key, place]) => [place, key]));
    for (const [key, place] of places(childMap, loc, kind)) {
      const target = intoKeys.get(place);
      unmatched.total++;
      const hits = childHits[key]!;
      if (target === undefined) unmatched.count++;
      else if (Array.isArray(hits)) intoHits[target] = (intoHits[target] as number[]).map((n, i) => n + (hits[i] ?? 0));
      else intoHits[target] = (intoHits[target] as number) + hits;
    }
  };
  add(into.statementMap, into.s, child.statementMap, child.s, (s) => s);
  add(into.fnMap, into.f, child.fnMap, child.f, (fn) => fn.loc);
  add(
    into.branchMap,
    into.b,
    child.branchMap,
    child.b,
    (b) => b.loc,
    (b) => `${b.type}/${b.locations.length}`,
  );
}

/** vitest's in-process coverage of src/ with the children's hits added. */
async function mergedCoverage(): Promise<CoverageMap> {
  const data = JSON.parse(readFileSync(path.join(IN_PROCESS, "coverage-final.json"), "utf8")) as CoverageMapData;
  const unmatched = { count: 0, total: 0 };
  for (const script of childCoverage()) {
    // Only files vitest counts (src/, tests excluded); a source map may also name a vendored file.
    for (const [file, child] of Object.entries(await toSource(script)))
      if (data[file]) addHits(data[file], child, unmatched);
  }
  if (unmatched.count > 0)
    process.stderr.write(
      `coverage: ${unmatched.count} of ${unmatched.total} items of pc's processes matched nothing vitest counts\n`,
    );
  return libCoverage.createCoverageMap(data);
}

function percent(covered: number, total: number): string {
  return total === 0 ? "-" : `${((100 * covered) / total).toFixed(1)}%`;
}

/** The table printed at the end: lines and branches covered per folder of src/, then in all. */
function folderTable(map: CoverageMap): string {
  const rows: string[][] = [];
  const all = libCoverage.createCoverageSummary();
  for (const folder of [...FOLDERS, "(top level)"]) {
    const summary = libCoverage.createCoverageSummary();
    for (const file of map.files()) {
      const relative = path.relative(path.join(ROOT, "src"), file);
      const inFolder = folder === "(top level)" ? !relative.includes(path.sep) : relative.startsWith(folder + path.sep);
      if (inFolder) summary.merge(map.fileCoverageFor(file).toSummary());
    }
    all.merge(summary);
    const { lines, branches } = summary;
    rows.push([
      folder === "(top level)" ? "src/*.ts" : `src/${folder}/`,
      percent(lines.covered, lines.total),
      percent(branches.covered, branches.total),
    ]);
  }
  rows.push([
    "all of src/",
    percent(all.lines.covered, all.lines.total),
    percent(all.branches.covered, all.branches.total),
  ]);
  return ["| folder | lines | branches |", "| --- | ---: | ---: |", ...rows.map((r) => `| ${r.join(" | ")} |`)].join(
    "\n",
  );
}

async function main(): Promise<void> {
  const code = runTests(process.argv.slice(2));
  const map = await mergedCoverage();
  writeFileSync(path.join(OUT, "coverage-final.json"), `${JSON.stringify(map.toJSON())}\n`);
  const context = libReport.createContext({ dir: path.join(OUT, "html"), coverageMap: map });
  reports.create("html").execute(context);
  process.stdout.write(
    `\nCoverage of src/ (in process and in the pc processes the tests start):\n\n${folderTable(map)}\n\nHTML report: coverage/html/index.html\n`,
  );
  process.exitCode = code;
}

await main();
