import { PcError } from "../util/errors.js";

/**
 * The prompt file's text with its frontmatter's seed set to `seed`, changing only the number of the
 * top-level seed key: comments, quoting, line endings and the rest of the file stay byte for byte. Pure.
 */
export function pinSeed(file: string, text: string, seed: number): string {
  const opening = /^(\uFEFF)?---([^\r\n]*)\r?\n/.exec(text);
  const closing = opening ? /\r?\n---[ \t]*(\r?\n|$)/.exec(text.slice(opening[0].length - 1)) : null;
  if (!opening || !closing) {
    throw new PcError("PC_FRONTMATTER_INVALID", "has no frontmatter to pin the seed in", { file, line: 1 });
  }
  const start = opening[0].length;
  const frontmatter = text.slice(start, start - 1 + closing.index);
  const found = opening[2].trim().toLowerCase() === "json" ? jsonSeed(frontmatter) : yamlSeed(frontmatter);
  if (!found) {
    throw new PcError("PC_FRONTMATTER_INVALID", "has no seed line to change", {
      file,
      key: "seed",
      hint: "Pin a seed in the frontmatter first, e.g. seed: 1",
    });
  }
  const at = start + found.at;
  return text.slice(0, at) + String(seed) + text.slice(at + found.length);
}

interface NumberAt {
  at: number;
  length: number;
}

/** A top-level `seed: 7` line (no indentation; the key may be quoted). */
function yamlSeed(frontmatter: string): NumberAt | undefined {
  const found = /^(["']?seed["']?[ \t]*:[ \t]*)(-?\d+)/m.exec(frontmatter);
  return found ? { at: found.index + found[1].length, length: found[2].length } : undefined;
}

/** The number of the `"seed"` key of the outermost JSON object (not one nested in vars). */
function jsonSeed(frontmatter: string): NumberAt | undefined {
  let depth = 0;
  for (let i = 0; i < frontmatter.length; i++) {
    const char = frontmatter[i];
    if (char === '"') {
      const end = stringEnd(frontmatter, i);
      if (depth === 1 && frontmatter.slice(i, end + 1) === '"seed"') {
        const value = /^\s*:\s*(-?\d+)/.exec(frontmatter.slice(end + 1));
        if (value) return { at: end + 1 + value[0].length - value[1].length, length: value[1].length };
      }
      i = end;
    } else if (char === "{" || char === "[") depth++;
    else if (char === "}" || char === "]") depth--;
  }
  return undefined;
}

function stringEnd(text: string, quote: number): number {
  for (let i = quote + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i;
  }
  return text.length;
}
