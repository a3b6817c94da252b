import fc from "fast-check";
import { createHash } from "node:crypto";
import { readdir, stat } from "node:fs/promises";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { build } from "../../src/commands/build.js";
import { PcError } from "../../src/util/errors.js";
import { readLock, writeLock } from "../../src/lock/lock-io.js";
import { LOCKFILE_VERSION, emptyLock, parseLock, serializeLock, type Lock } from "../../src/lock/lockfile.js";
import { status } from "../../src/commands/status.js";
import { makeProject, cleanupProjects } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

const H = (c: string) => `sha256:${c.repeat(64)}`;
const sha256Of = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;

/** A lock whose objects were filled in an unsorted order. */
function sampleLock(): Lock {
  return {
    prompts: {
      "prompts/z.md": {
        source: "llm",
        outputs: { "generated/z.py": H("1") },
        inputs: { "prompts/z.md": H("2"), "prompts/_style.md": H("3") },
        inputHash: H("4"),
        requestHash: H("5"),
        protocol: 1,
        sampling: { top_p: 1 },
        temperature: 0,
        seed: 42,
        model: "qwen2.5-coder:7b",
        version: 1,
        engine: { engine: "openai", systemFingerprint: "b1234" },
      },
      "prompts/a.md": {
        version: 2,
        model: "m",
        seed: 1,
        temperature: 0.5,
        sampling: { top_p: 0.9, top_k: 40 },
        protocol: 1,
        inputHash: H("6"),
        requestHash: H("7"),
        inputs: { "prompts/a.md": H("8") },
        outputs: { "generated/b.py": H("9"), "generated/a.py": H("a") },
        source: "cache",
        label: undefined,
      },
    },
    lockfileVersion: LOCKFILE_VERSION,
  };
}

function lockError(text: string): PcError {
  try {
    parseLock(text);
  } catch (error) {
    expect(error).toBeInstanceOf(PcError);
    return error as PcError;
  }
  throw new Error("expected parseLock to throw");
}

describe("serializing the lock", () => {
  it("sorts keys at every level, indents by two spaces, ends with a newline, drops undefined", () => {
    const text = serializeLock(sampleLock());
    expect(text.endsWith("}\n")).toBe(true);
    expect(
      text.startsWith('{\n  "lockfileVersion": 1,\n  "prompts": {\n    "prompts/a.md": {\n      "inputHash"'),
    ).toBe(true);
    expect(text.indexOf('"generated/a.py"')).toBeLessThan(text.indexOf('"generated/b.py"'));
    expect(text.indexOf('"prompts/_style.md"')).toBeLessThan(text.indexOf('"prompts/z.md": "'));
    expect(text).not.toContain("label");
    const keysOfA = Object.keys(JSON.parse(text).prompts["prompts/a.md"]);
    expect(keysOfA).toEqual([...keysOfA].sort());
  });

  it("gives the same bytes whatever order the entries were added in", () => {
    const lock = sampleLock();
    const reversed: Lock = {
      lockfileVersion: lock.lockfileVersion,
      prompts: Object.fromEntries(Object.entries(lock.prompts).reverse()),
    };
    expect(serializeLock(reversed)).toBe(serializeLock(lock));
  });

  it("round-trips: parsing and writing again gives the same bytes", () => {
    const text = serializeLock(sampleLock());
    const parsed = parseLock(text);
    expect(serializeLock(parsed)).toBe(text);
    expect(parsed.prompts["prompts/a.md"].outputs["generated/a.py"]).toBe(H("a"));
  });

  it("gives the bytes of JSON.stringify with sorted keys for any lock, also when entries are shared between locks", () => {
    /** The plain definition the serializer must match: every object's keys sorted, undefined dropped. */
    const sorted = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(sorted)
        : value && typeof value === "object"
          ? Object.fromEntries(
              Object.keys(value)
                .sort()
                .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
                .map((k) => [k, sorted((value as Record<string, unknown>)[k])]),
            )
          : value;
    const text = fc.string({ unit: "binary" });
    const hashes = fc.dictionary(text, text, { maxKeys: 4 });
    const entry = fc.record({
      version: fc.integer(),
      model: text,
      seed: fc.integer(),
      temperature: fc.double({ noNaN: true, noDefaultInfinity: true }),
      inputs: hashes,
      outputs: hashes,
      sampling: fc.dictionary(text, fc.oneof(fc.integer(), text, fc.constant(undefined))),
      label: fc.option(text, { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.dictionary(text, entry, { maxKeys: 6 }),
        fc.dictionary(text, entry, { maxKeys: 3 }),
        (prompts, more) => {
          const lock = { lockfileVersion: LOCKFILE_VERSION, prompts } as unknown as Lock;
          expect(serializeLock(lock)).toBe(`${JSON.stringify(sorted(lock), null, 2)}\n`);
          // The same entry objects in a second lock (as a build adds results to the lock it read).
          const grown = { lockfileVersion: LOCKFILE_VERSION, prompts: { ...more, ...prompts } } as unknown as Lock;
          expect(serializeLock(grown)).toBe(`${JSON.stringify(sorted(grown), null, 2)}\n`);
        },
      ),
    );
  });

  it("writes an empty lock as the smallest valid lock", () => {
    expect(serializeLock(emptyLock())).toBe('{\n  "lockfileVersion": 1,\n  "prompts": {}\n}\n');
  });

  it("leaves out a prompt whose entry is undefined (a lock emptied that way is the empty lock)", () => {
    const lock = sampleLock();
    const without = { ...lock, prompts: { ...lock.prompts, "prompts/m.md": undefined } } as unknown as Lock;
    expect(serializeLock(without)).toBe(serializeLock(lock));
    const emptied = { lockfileVersion: 1, prompts: { "prompts/m.md": undefined } } as unknown as Lock;
    expect(serializeLock(emptied)).toBe(serializeLock(emptyLock()));
  });
});

describe("a lock read again", () => {
  afterAll(cleanupProjects);
  const invalid = serializeLock(sampleLock()).replace('"seed": 42', '"seed": "forty-two"');

  it("is not validated again when it is the text pc wrote last; any other text is", async () => {
    const project = await makeProject();
    await writeLock(project.root, sampleLock());
    const stamp = await project.read(".pc/lock-written");
    expect(stamp).toMatch(/^[0-9a-f]{64} sha256:[0-9a-f]{64}\n$/);
    expect(stamp).toContain(sha256Of(await project.read("promptfile.lock")));
    expect((await readLock(project.root)).lock).toEqual(parseLock(serializeLock(sampleLock())));

    // The note is what skips the schema: forged for an invalid text, that text is read as it is.
    await project.write({ "promptfile.lock": invalid });
    await expect(readLock(project.root)).rejects.toMatchObject({ code: "PC_LOCK_INVALID" });
    await project.write({ ".pc/lock-written": stamp.replace(/sha256:[0-9a-f]{64}/, sha256Of(invalid)) });
    expect((await readLock(project.root)).lock.prompts["prompts/z.md"]!.seed).toBe("forty-two");
    // Any other text (a merge, a hand edit) is validated again.
    await project.write({ "promptfile.lock": invalid.replace("qwen2.5-coder:7b", "other") });
    await expect(readLock(project.root)).rejects.toMatchObject({ code: "PC_LOCK_INVALID" });
  });

  it("is written even where pc cannot keep its note (.pc is a file)", async () => {
    const project = await makeProject({ ".pc": "not a folder" });
    expect(await writeLock(project.root, sampleLock())).toBe(true);
    expect(await project.read("promptfile.lock")).toBe(serializeLock(sampleLock()));
  });

  it("reading writes nothing", async () => {
    const project = await makeProject({ "promptfile.lock": serializeLock(sampleLock()), ".pc/.keep": "" });
    await readLock(project.root);
    expect(project.exists(".pc/lock-written")).toBe(false);
  });
});

describe("reading a bad lock", () => {
  const good = serializeLock(sampleLock());

  it("refuses git conflict markers, naming the file and the line of the first marker", () => {
    const lines = good.split("\n");
    const conflicted = [
      ...lines.slice(0, 3),
      "<<<<<<< HEAD",
      ...lines.slice(3, 6),
      "=======",
      ...lines.slice(3, 6),
      ">>>>>>> feature",
      ...lines.slice(6),
    ].join("\n");
    const error = lockError(conflicted);
    expect(error.code).toBe("PC_LOCK_CONFLICT");
    expect(error.file).toBe("promptfile.lock");
    expect(error.line).toBe(4);
    expect(error.format()).toMatch(/^promptfile\.lock:4: has unresolved git conflict markers/);
  });

  it.each([
    ["=======", 5],
    [">>>>>>> feature", 5],
  ])("refuses a lone conflict marker %s too (a merge resolved halfway), naming its line", (marker, line) => {
    const lines = good.split("\n");
    const error = lockError([...lines.slice(0, 4), marker, ...lines.slice(4)].join("\n"));
    expect(error.code).toBe("PC_LOCK_CONFLICT");
    expect(error.line).toBe(line);
  });

  it("refuses a truncated file, naming the file and showing its end", () => {
    const error = lockError(good.slice(0, 200));
    expect(error.code).toBe("PC_LOCK_INVALID");
    expect(error.file).toBe("promptfile.lock");
    expect(error.message).toMatch(/is not valid JSON/);
    expect(error.hint).toContain("git checkout promptfile.lock");
  });

  it("refuses a lock from a newer pc, saying to upgrade", () => {
    const error = lockError(good.replace('"lockfileVersion": 1', '"lockfileVersion": 2'));
    expect(error.code).toBe("PC_LOCK_VERSION");
    expect(error.file).toBe("promptfile.lock");
    expect(error.message).toBe("has lockfileVersion 2, newer than this pc understands (1)");
    expect(error.hint).toMatch(/Upgrade pc/);
  });

  it("refuses a lock that is JSON but not a lock", () => {
    expect(lockError('{"prompts": {}}\n').code).toBe("PC_LOCK_INVALID");
    const badHash = lockError(good.replace(H("a"), "sha256:nothex"));
    expect(badHash.code).toBe("PC_LOCK_INVALID");
    expect(badHash.hint).toContain("pc lock --repair");
    expect(lockError("[]").code).toBe("PC_LOCK_INVALID");
  });

  it.each([
    [
      "a hash that is not sha256",
      good.replace(H("a"), "sha256:nothex"),
      'entry "prompts/a.md", outputs.generated/a.py: must match pattern "^sha256:[0-9a-f]{64}$"',
    ],
    [
      "a source pc does not know",
      good.replace('"source": "cache"', '"source": "robot"'),
      'entry "prompts/a.md", source: must be equal to one of the allowed values (llm, cache, chat, hand)',
    ],
    ["an entry without its seed", good.replace('"seed": 1,', ""), 'entry "prompts/a.md": missing required key "seed"'],
    [
      "a prompt path with ~ and / in it",
      good.replace('"prompts/z.md": {', '"prompts/~z.md": {').replace('"seed": 42', '"seed": "42"'),
      'entry "prompts/~z.md", seed: must be integer',
    ],
    [
      "a lockfileVersion that is text",
      good.replace('"lockfileVersion": 1', '"lockfileVersion": "1"'),
      "lockfileVersion: must be integer",
    ],
    ["no lockfileVersion", '{"prompts": {}}', 'missing required key "lockfileVersion"'],
    [
      "a misspelt key",
      '{"lockfileVersion": 1, "prompts": {}, "promts": {}}',
      'unknown key "promts": did you mean "prompts"?',
    ],
    ["an array", "[]", "the file must be object"],
    ["prompts that are a list", '{"lockfileVersion": 1, "prompts": []}', "prompts: must be object"],
    [
      "a misspelt lockfileVersion",
      '{"lockfileVersion": 1, "prompts": {}, "lockfileVerison": 1}',
      'unknown key "lockfileVerison": did you mean "lockfileVersion"?',
    ],
  ])("says where and what is wrong in a lock with %s", (_what, text, problem) => {
    const error = lockError(text);
    expect(error.code).toBe("PC_LOCK_INVALID");
    expect(error.file).toBe("promptfile.lock");
    expect(error.message).toBe(`is not a valid lock: ${problem}`);
  });

  it("shows the end of a file that is not JSON (where a truncation shows), with the fix", () => {
    const text = `${good.slice(0, 150)}END-OF-FILE${"x".repeat(109)}`;
    const error = lockError(text);
    expect(error.message).toMatch(/^is not valid JSON \(truncated or corrupt\): \S/);
    expect(error.hint).toMatch(/^Found: END-OF-FILEx+…\n/);
    expect(error.hint).not.toContain("lockfileVersion");
    expect(error.hint).toContain("pc lock --repair");
  });

  it("names lockfileVersion as the key to look at in a lock from a newer pc", () => {
    expect(lockError('{"lockfileVersion": 2, "prompts": {}}').key).toBe("lockfileVersion");
    // The version this pc writes, and anything not a number, is no newer lock.
    expect(parseLock('{"lockfileVersion": 1, "prompts": {}}').prompts).toEqual({});
    expect(lockError('{"lockfileVersion": "9", "prompts": {}}').code).toBe("PC_LOCK_INVALID");
  });

  it("says how to resolve conflict markers", () => {
    const error = lockError(`<<<<<<< HEAD\n${good}=======\n${good}>>>>>>> other\n`);
    expect(error.line).toBe(1);
    expect(error.hint).toMatch(/pc lock --repair/);
    expect(error.hint).toMatch(/git checkout --theirs promptfile\.lock/);
  });

  it("takes only a marker at the start of a line, followed by a space or the line's end, for a conflict", () => {
    // Not JSON either, but no conflict: the error says what the file is.
    expect(lockError(`${good}\n========\n`).code).toBe("PC_LOCK_INVALID");
    expect(lockError(`${good}\n<<<<<<<HEAD\n`).code).toBe("PC_LOCK_INVALID");
    expect(lockError(`${good}\n x >>>>>>> y\n`).code).toBe("PC_LOCK_INVALID");
  });
});

describe("a lock pc noted as its own write", () => {
  const good = serializeLock(sampleLock());
  const entryA = () => JSON.parse(good).prompts["prompts/a.md"];
  const withEntry = (entry: unknown) => JSON.stringify({ lockfileVersion: 1, prompts: { "prompts/a.md": entry } });

  it("is taken as it is when it is shaped like a lock (the schema is not run)", () => {
    const unchecked = good.replace('"seed": 42', '"seed": "forty-two"');
    expect(parseLock(unchecked, "promptfile.lock", true).prompts["prompts/z.md"]!.seed).toBe("forty-two");
  });

  it.each([
    ["prompts is an array", '{"lockfileVersion": 1, "prompts": []}'],
    ["prompts is null", '{"lockfileVersion": 1, "prompts": null}'],
    ["prompts is missing", '{"lockfileVersion": 1}'],
    ["the lock is null", "null"],
    ["an entry is null", withEntry(null)],
    ["an entry is a string", withEntry("entry")],
    ["an entry has no inputs", withEntry({ ...entryA(), inputs: undefined })],
    ["an entry's inputs are an array", withEntry({ ...entryA(), inputs: [H("1")] })],
    ["an entry's inputs are null", withEntry({ ...entryA(), inputs: null })],
    ["an input hash is a number", withEntry({ ...entryA(), inputs: { "prompts/a.md": 1 } })],
    ["an entry has no outputs", withEntry({ ...entryA(), outputs: undefined })],
    ["an output hash is null", withEntry({ ...entryA(), outputs: { "generated/a.py": null } })],
    ["an entry has no inputHash", withEntry({ ...entryA(), inputHash: undefined })],
    ["an entry's inputHash is a number", withEntry({ ...entryA(), inputHash: 7 })],
  ])("is validated all the same when %s", (_what, text) => {
    expect(lockError2(text).code).toBe("PC_LOCK_INVALID");
  });

  function lockError2(text: string): PcError {
    try {
      parseLock(text, "promptfile.lock", true);
    } catch (error) {
      return error as PcError;
    }
    throw new Error("expected parseLock to throw");
  }
});

describe("the lock on disk", () => {
  const server = useTestServer();
  afterEach(cleanupProjects);

  it("is absent until written, and writeLock writes only when the bytes change", async () => {
    const project = await makeProject();
    expect(await readLock(project.root)).toEqual({ lock: emptyLock() });
    expect(await writeLock(project.root, sampleLock())).toBe(true);
    const { lock, text } = await readLock(project.root);
    expect(text).toBe(serializeLock(sampleLock()));
    const before = await stat(project.path("promptfile.lock"));
    expect(await writeLock(project.root, lock, text)).toBe(false);
    expect((await stat(project.path("promptfile.lock"))).mtimeMs).toBe(before.mtimeMs);
    expect((await readdir(project.root)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("is byte-identical after a second build that changes nothing, and after status", async () => {
    const project = await makeProject({
      "prompts/b.md": promptFile({ output: "generated/b.py", extra: "context: [generated/a.py]" }),
      "prompts/a.md": promptFile({ output: ["generated/a.py"] }),
    });
    expect((await build({ cwd: project.root, baseUrl: server.baseURL })).ok).toBe(true);
    const first = await project.read("promptfile.lock");
    expect(first).toBe(serializeLock(parseLock(first)));
    const mtime = (await stat(project.path("promptfile.lock"))).mtimeMs;
    const again = await build({ cwd: project.root, baseUrl: server.baseURL });
    expect(again.prompts.map((p) => p.outcome)).toEqual(["fresh", "fresh"]);
    await status({ cwd: project.root });
    expect(await project.read("promptfile.lock")).toBe(first);
    expect((await stat(project.path("promptfile.lock"))).mtimeMs).toBe(mtime);
  });

  it.each([
    ["conflict markers", (t: string) => `<<<<<<< HEAD\n${t}=======\n${t}>>>>>>> other\n`, "PC_LOCK_CONFLICT"],
    ["invalid JSON", (t: string) => t.slice(0, -20), "PC_LOCK_INVALID"],
    [
      "a newer lockfileVersion",
      (t: string) => t.replace('"lockfileVersion": 1', '"lockfileVersion": 99'),
      "PC_LOCK_VERSION",
    ],
  ])(
    "with %s stops status and build with an error naming it, and nothing is overwritten",
    async (_name, spoil, code) => {
      const project = await makeProject({ "prompts/a.md": promptFile({ output: "generated/a.py" }) });
      expect((await build({ cwd: project.root, baseUrl: server.baseURL })).ok).toBe(true);
      await project.write({ "prompts/a.md": promptFile({ output: "generated/a.py", seed: 9 }) });
      const spoiled = spoil(await project.read("promptfile.lock"));
      await project.write({ "promptfile.lock": spoiled });
      const output = await project.read("generated/a.py");
      server.reset();

      for (const run of [
        () => status({ cwd: project.root }),
        () => build({ cwd: project.root, baseUrl: server.baseURL }),
      ]) {
        const error = await run().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(PcError);
        expect((error as PcError).code).toBe(code);
        expect((error as PcError).file).toBe("promptfile.lock");
      }
      expect(await project.read("promptfile.lock")).toBe(spoiled);
      expect(await project.read("generated/a.py")).toBe(output);
      expect(server.chatRequests()).toHaveLength(0);
    },
  );
});
