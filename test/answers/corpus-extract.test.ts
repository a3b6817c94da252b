// The answer corpus (test/fixtures/answers/) read by the extractor alone: each answer as the model
// wrote it gives exactly the expected files, or the expected error. test/answers/corpus.test.ts
// takes the same answers through `pc accept` and `pc build`; this one runs in milliseconds, so the
// mutation run (docs/testing.md) can run it against every changed copy of the extractor.
import { describe, expect, it } from "vitest";
import { extractOutputs } from "../../src/answer/extract.js";
import { isPcError } from "../../src/util/errors.js";
import { loadCorpus } from "../support/corpus.js";

describe("the answer corpus, extracted", () => {
  it.each(loadCorpus().map((c) => [`${c.family}: ${c.shape} (${c.name})`, c] as const))("%s", (_title, c) => {
    let result: Record<string, string> | unknown;
    try {
      result = extractOutputs(c.answer, c.outputs, c.extract ?? "fenced");
    } catch (error) {
      result = error;
    }
    if (c.error) expect(isPcError(result) && result.code, String(result)).toBe(c.error);
    else expect(result).toEqual(c.files);
  });
});
