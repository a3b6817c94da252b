import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ErrorObject, ValidateFunction } from "ajv";
import { closest, distance } from "fastest-levenshtein";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const schemaDir = fileURLToPath(new URL("../../schemas/", import.meta.url));
const compiled = new Map<string, ValidateFunction>();

/** Compiles (once) and returns the validator of `schemas/<name>.schema.json`. */
export function validator(name: "prompt" | "config" | "lock"): ValidateFunction {
  let validate = compiled.get(name);
  if (!validate) {
    // ajv is loaded only when something actually needs validating (not on a no-op build).
    const Ajv = require("ajv") as typeof import("ajv").default;
    const ajv = new Ajv({ allErrors: true, strict: false });
    const schema = JSON.parse(readFileSync(`${schemaDir}${name}.schema.json`, "utf8"));
    validate = ajv.compile(schema);
    compiled.set(name, validate);
  }
  return validate;
}

export interface SchemaProblem {
  /** Top-level key concerned, when there is one. */
  key?: string;
  message: string;
}

/** Turns ajv errors into one readable problem per key, with a did-you-mean for unknown keys. */
export function describeSchemaErrors(errors: ErrorObject[], known: string[]): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    if (error.keyword === "oneOf" || error.keyword === "not") continue;
    let key = error.instancePath.split("/")[1];
    let message: string;
    if (error.keyword === "additionalProperties") {
      key = String(error.params.additionalProperty);
      const suggestion = suggest(key, known);
      message = `unknown key "${key}"${suggestion ? `: did you mean "${suggestion}"?` : ""}`;
    } else if (error.keyword === "required") {
      key = String(error.params.missingProperty);
      message = `missing required key "${key}"`;
    } else {
      const at = error.instancePath ? error.instancePath.slice(1).replaceAll("/", ".") : "frontmatter";
      message = `${at} ${error.message ?? "is invalid"}${
        error.keyword === "enum" ? ` (${(error.params.allowedValues as unknown[]).join(", ")})` : ""
      }`;
    }
    if (seen.has(message)) continue;
    seen.add(message);
    problems.push({ key, message });
  }
  return problems;
}

export function suggest(word: string, candidates: string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(word, candidates);
  return distance(word, best) <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}
