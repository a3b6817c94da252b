import { validator } from "../util/schema.js";
import { LOCKFILE_VERSION, parseLock, type LockEntry } from "./lockfile.js";

/** Lock entries found in a lock that cannot be parsed as a whole, by where they came from. */
export interface SalvagedLock {
  /** e.g. `the HEAD side of the conflict`, `the complete entries of the damaged file`. */
  label: string;
  entries: Record<string, LockEntry>;
}

/**
 * Everything that can be read from the text of a damaged lock. Pure.
 * - With git conflict markers: each side of the merge, when that side parses as a lock.
 * - Otherwise (truncated, corrupt): the entries that are complete. pc writes the lock with sorted
 *   keys and two-space indent, so each entry is a `    "<prompt>": {` ... `    }` block.
 */
export function salvageLock(text: string): SalvagedLock[] {
  const sides = conflictSides(text);
  if (sides) {
    const found: SalvagedLock[] = [];
    for (const side of sides) {
      try {
        found.push({ label: `the ${side.name} side of the conflict`, entries: parseLock(side.text).prompts });
      } catch {
        const entries = completeEntries(side.text);
        if (Object.keys(entries).length)
          found.push({ label: `the complete entries of the ${side.name} side`, entries });
      }
    }
    return found;
  }
  const entries = completeEntries(text);
  return Object.keys(entries).length ? [{ label: "the complete entries of the damaged file", entries }] : [];
}

/** The two texts of a file with git conflict markers (diff3 base sections dropped), or undefined. */
export function conflictSides(text: string): Array<{ name: string; text: string }> | undefined {
  const lines = text.split("\n");
  if (!lines.some((l) => l.startsWith("<<<<<<<"))) return undefined;
  const ours: string[] = [];
  const theirs: string[] = [];
  let names = { ours: "", theirs: "" };
  let state: "both" | "ours" | "base" | "theirs" = "both";
  for (const line of lines) {
    if (line.startsWith("<<<<<<<")) {
      state = "ours";
      names.ours ||= line.slice(7).trim();
    } else if (line.startsWith("|||||||") && state === "ours") state = "base";
    else if (line.startsWith("=======") && (state === "ours" || state === "base")) state = "theirs";
    else if (line.startsWith(">>>>>>>") && state === "theirs") {
      state = "both";
      names.theirs ||= line.slice(7).trim();
    } else {
      if (state === "both" || state === "ours") ours.push(line);
      if (state === "both" || state === "theirs") theirs.push(line);
    }
  }
  names = { ours: names.ours || "ours", theirs: names.theirs || "theirs" };
  return [
    { name: names.ours, text: ours.join("\n") },
    { name: names.theirs, text: theirs.join("\n") },
  ];
}

const ENTRY_START = /^ {4}("(?:[^"\\]|\\.)*"): \{$/;
const ENTRY_END = /^ {4}\},?$/;

/** The entries of a lock's text that are complete and valid on their own. */
function completeEntries(text: string): Record<string, LockEntry> {
  const version = /"lockfileVersion":\s*(\d+)/.exec(text);
  if (version && Number(version[1]) > LOCKFILE_VERSION) return {};
  const validate = validator("lock");
  const entries: Record<string, LockEntry> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const start = ENTRY_START.exec(lines[i]);
    if (!start) continue;
    let end = i + 1;
    while (end < lines.length && !ENTRY_END.test(lines[end]) && !ENTRY_START.test(lines[end])) end++;
    if (end === lines.length) break;
    // Another entry starts before this one ends: this one lost its end, the next one may be whole.
    if (!ENTRY_END.test(lines[end])) {
      i = end - 1;
      continue;
    }
    try {
      const key = JSON.parse(start[1]) as string;
      const entry = JSON.parse(`{${lines.slice(i + 1, end).join("\n")}}`) as LockEntry;
      if (validate({ lockfileVersion: LOCKFILE_VERSION, prompts: { [key]: entry } })) entries[key] = entry;
    } catch {
      // An entry damaged in the middle is skipped; the next one may be whole.
    }
    i = end;
  }
  return entries;
}
