import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { requireCjs as require } from "./require-cjs.js";
import { fileURLToPath } from "node:url";
import type { ErrorObject, ValidateFunction } from "ajv";

type SchemaName = "prompt" | "config" | "lock";

const schemaDir = fileURLToPath(new URL("../../schemas/", import.meta.url));
const precompiledFile = fileURLToPath(new URL("./schema-validators.cjs", import.meta.url));
// Memo caches, shared by every run in the process: the schemas ship with pc and never change while
// it runs, so a validator or a schema's hash, once made, holds for good.
const compiled = new Map<string, ValidateFunction>();
type Precompiled = Partial<Record<SchemaName, ValidateFunction>> & { sources?: Partial<Record<SchemaName, string>> };
let precompiled: Precompiled | undefined;

/**
 * The validator of `schemas/<name>.schema.json`.
 *
 * The built package uses validators that `npm run build` precompiled from the schemas with ajv's
 * standalone code (scripts/compile-schemas.mjs): every run validates the lock, and loading ajv
 * then compiling the lock schema costs more CPU than node's own startup, while the precompiled
 * module loads at once.
 * Run from src/ (tests, tsx), or when a schema changed since the build, ajv compiles the schema
 * here with the same options.
 */
export function validator(name: SchemaName): ValidateFunction {
  let validate = compiled.get(name);
  if (validate) return validate;
  precompiled ??= existsSync(precompiledFile) ? (require(precompiledFile) as Precompiled) : {};
  const fresh = precompiled.sources?.[name] === schemaHash(name);
  if (fresh && precompiled[name]) {
    validate = precompiled[name];
  } else {
    const Ajv = require("ajv") as typeof import("ajv").default;
    validate = new Ajv({ allErrors: true, strict: false }).compile(
      JSON.parse(readFileSync(`${schemaDir}${name}.schema.json`, "utf8")),
    );
  }
  compiled.set(name, validate);
  return validate;
}

const hashes = new Map<SchemaName, string>();

/** sha256 (hex) of `schemas/<name>.schema.json`: which version of the schema a check was made with. */
export function schemaHash(name: SchemaName): string {
  let hash = hashes.get(name);
  if (hash === undefined)
    hashes.set(
      name,
      (hash = createHash("sha256")
        .update(readFileSync(`${schemaDir}${name}.schema.json`, "utf8"))
        .digest("hex")),
    );
  return hash;
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
  // Loaded on the error path only: a measurable load, for a message that is rarely written.
  const { closest, distance } = require("fastest-levenshtein") as typeof import("fastest-levenshtein");
  const best = closest(word, candidates);
  return distance(word, best) <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}
