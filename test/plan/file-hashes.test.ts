/** The hash cache that lets a run stat files instead of reading them (and keeps models from being re-read). */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createServer } from "node:net";
import { existsSync } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { FileHashes, NOT_A_FILE } from "../../src/plan/file-hashes.js";
import { makeProject } from "../support/project.js";

const BIG = 9 * 1024 * 1024; // above the 8 MiB streaming threshold
const FIXED_TIME = 1_700_000_000; // whole seconds: restored exactly by utimes
let root: string;

const sha256 = (bytes: Buffer | string) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
/** A run that begins well after the files of the test were written (they are not "racy" to it). */
const laterRun = () => new FileHashes(root, Date.now() + 10_000);
const cacheFile = () => path.join(root, ".pc/file-hashes.json");
const readCache = async () => JSON.parse(await readFile(cacheFile(), "utf8")) as Record<string, { hash: string }>;

/** Overwrites the first bytes in place (same file, same size), then puts the old mtime back. */
async function overwriteKeepingMtime(file: string, bytes: string): Promise<void> {
  const handle = await open(file, "r+");
  await handle.write(bytes, 0);
  await handle.close();
  await utimes(file, FIXED_TIME, FIXED_TIME);
}

/** A file with fixed times (long before any run), as a test's own. */
async function oldFile(name: string, content: string | Buffer): Promise<void> {
  await writeFile(path.join(root, name), content);
  await utimes(path.join(root, name), FIXED_TIME, FIXED_TIME);
}

/**
 * Runs that began at each of `soon` hash `file` right but keep no record of it (its times are too
 * recent to trust); a run that began at `later` records it.
 */
async function recordedOnlyFrom(file: string, content: string, soon: number[], later: number): Promise<void> {
  for (const startedAt of soon) {
    const run = new FileHashes(root, startedAt);
    expect(await run.hash(file)).toBe(sha256(content));
    await run.save();
    expect(existsSync(cacheFile())).toBe(false);
  }
  const run = new FileHashes(root, later);
  await run.hash(file);
  await run.save();
  expect(Object.keys(await readCache())).toEqual([file]);
}

beforeEach(async () => {
  root = (await makeProject({}, "pc-hashes-")).root;
});

describe("FileHashes", () => {
  it("records each hash and, next run, takes it from the record while size, times and inode hold", async () => {
    await writeFile(path.join(root, "a.txt"), "one");
    await utimes(path.join(root, "a.txt"), FIXED_TIME, FIXED_TIME);
    const first = laterRun();
    expect(await first.hash("a.txt")).toBe(sha256("one"));
    await first.save();
    expect(await readCache()).toMatchObject({ "a.txt": { hash: sha256("one") } });

    // The recorded hash is what the next run answers without reading the file: a forged record shows it.
    const forged = `sha256:${"f".repeat(64)}`;
    const cache = await readCache();
    cache["a.txt"]!.hash = forged;
    await writeFile(cacheFile(), JSON.stringify(cache));
    expect(await laterRun().hash("a.txt")).toBe(forged);
  });

  it("notices a write in place even when the mtime is put back (the ctime changes)", async () => {
    const file = path.join(root, "b.txt");
    await writeFile(file, "before");
    await utimes(file, FIXED_TIME, FIXED_TIME);
    const first = laterRun();
    await first.hash("b.txt");
    await first.save();
    // The record was taken in an earlier tick of the file system's clock than the write below
    // (for real, the run that recorded it began at least RACY_MS after the file's last change).
    const cache = await readCache();
    (cache["b.txt"] as unknown as { ctimeMs: number }).ctimeMs -= 1000;
    await writeFile(cacheFile(), JSON.stringify(cache));
    await overwriteKeepingMtime(file, "AFTER!");
    expect((await stat(file)).mtimeMs).toBe(FIXED_TIME * 1000);
    expect(await laterRun().hash("b.txt")).toBe(sha256("AFTER!"));
  });

  it("notices a file of the same size and mtime moved into place (a new inode), also for a streamed big file", async () => {
    const file = path.join(root, "model.gguf");
    await writeFile(file, Buffer.alloc(BIG, 7));
    await utimes(file, FIXED_TIME, FIXED_TIME);
    const first = laterRun();
    expect(await first.hash("model.gguf")).toBe(sha256(Buffer.alloc(BIG, 7)));
    await first.save();
    expect(Object.keys(await readCache())).toContain("model.gguf");

    const replacement = path.join(root, "download.tmp");
    await writeFile(replacement, Buffer.alloc(BIG, 9));
    await utimes(replacement, FIXED_TIME, FIXED_TIME);
    await rename(replacement, file);
    expect(await laterRun().hash("model.gguf")).toBe(sha256(Buffer.alloc(BIG, 9)));
  });

  it("does not record a file changed just before the run: a second write in the same clock tick would go unseen", async () => {
    await writeFile(path.join(root, "fresh.txt"), "just written");
    const info = await stat(path.join(root, "fresh.txt"));
    const changed = Math.max(info.mtimeMs, info.ctimeMs);
    // Runs that began 1 ms and exactly 2 s after the write are too soon; one more than 2 s after is not.
    await recordedOnlyFrom("fresh.txt", "just written", [changed + 1, changed + 2_000], changed + 2_001);
  });

  it("writes nothing when every file is as recorded, and drops the records of files it no longer hashes", async () => {
    await oldFile("a.txt", "one");
    await oldFile("c.txt", "c");
    const first = laterRun();
    await oldFile("b.txt", "b");
    await first.hash("b.txt");
    await first.hash("c.txt");
    await first.hash("a.txt");
    await first.save();
    // By path, whatever the order the files were hashed in: the file changes only where a file did.
    expect(Object.keys(await readCache())).toEqual(["a.txt", "b.txt", "c.txt"]);
    const written = (await stat(cacheFile())).mtimeMs;
    await first.save();
    expect((await stat(cacheFile())).mtimeMs).toBe(written);

    const same = laterRun();
    await same.hash("c.txt");
    await same.hash("a.txt");
    await same.hash("b.txt");
    await same.save();
    expect((await stat(cacheFile())).mtimeMs).toBe(written);

    const fewer = laterRun();
    await fewer.hash("c.txt");
    await fewer.save();
    expect(Object.keys(await readCache())).toEqual(["c.txt"]);
  });

  it("answers undefined for a missing file, hashes absolute paths outside the project, and survives a corrupt record", async () => {
    await oldFile("c.txt", "c");
    const hashes = laterRun();
    expect(await hashes.hash("absent.txt")).toBeUndefined();
    expect(await hashes.hashAbsolute(path.join(root, "c.txt"))).toBe(sha256("c"));
    // A downloaded model lives outside the project (node-llama-cpp's user cache).
    const outside = path.join(path.dirname(root), `${path.basename(root)}-outside.txt`);
    await writeFile(outside, "two");
    try {
      expect(await hashes.hashAbsolute(outside)).toBe(sha256("two"));
    } finally {
      await rm(outside);
    }
    await mkdir(path.dirname(cacheFile()), { recursive: true });
    await writeFile(cacheFile(), "{ not json");
    expect(await laterRun().hash("c.txt")).toBe(sha256("c"));
  });
});

describe("FileHashes: what it reads, and what it trusts", () => {
  it.each([0, 1, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 300_000])(
    "hashes a file of %i bytes as the sha256 of its bytes, this run and the next",
    async (size) => {
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >> 9)) & 0xff;
      await oldFile("f.bin", bytes);
      const first = laterRun();
      expect(await first.hash("f.bin")).toBe(sha256(bytes));
      await first.save();
      expect(await readCache()).toMatchObject({ "f.bin": { hash: sha256(bytes), size } });
      expect(await laterRun().hash("f.bin")).toBe(sha256(bytes));
    },
  );

  it.each([
    ["300 KiB", 300 * 1024, false],
    ["one byte under 8 MiB", 8 * 1024 * 1024 - 1, false],
    ["8 MiB", 8 * 1024 * 1024, true],
  ])(
    "answers a file of %s at once, or through a promise while it is streamed (from 8 MiB on)",
    async (_size, size, streamed) => {
      const bytes = Buffer.alloc(size, 3);
      await oldFile("f.bin", bytes);
      const answer = laterRun().hashNow("f.bin");
      expect(answer instanceof Promise).toBe(streamed);
      expect(await answer).toBe(sha256(bytes));
    },
  );

  it("reads a file once per run: a change is seen after forget, which also leaves it out of the record", async () => {
    await oldFile("a.txt", "one");
    await oldFile("b.txt", "bee");
    const run = laterRun();
    expect(await run.hash("a.txt")).toBe(sha256("one"));
    await run.hash("b.txt");
    await oldFile("a.txt", "two");
    expect(await run.hash("a.txt")).toBe(sha256("one"));
    run.forget("a.txt");
    await run.save();
    expect(Object.keys(await readCache())).toEqual(["b.txt"]);
    expect(await run.hash("a.txt")).toBe(sha256("two"));
  });

  it("reads a path with a `..` part as the project path it names, also after a folder that does not exist", async () => {
    await oldFile("a.txt", "one");
    const run = laterRun();
    expect(await run.hash("missing/../a.txt")).toBe(sha256("one"));
    expect(await run.hash("missing/..")).toBe(NOT_A_FILE); // the project's root: a folder
  });

  it("keeps the other records when one record is null", async () => {
    await oldFile("a.txt", "one");
    const first = laterRun();
    await first.hash("a.txt");
    await first.save();
    const forged = `sha256:${"f".repeat(64)}`;
    const cache = await readCache();
    cache["a.txt"]!.hash = forged;
    await writeFile(cacheFile(), JSON.stringify({ ...cache, "gone.txt": null }));
    expect(await laterRun().hash("a.txt")).toBe(forged);
  });

  it("keys a file given by its absolute path inside the project by its project path", async () => {
    await mkdir(path.join(root, "sub"));
    await oldFile("sub/c.txt", "c");
    const run = laterRun();
    expect(await run.hashAbsolute(path.join(root, "sub", "c.txt"))).toBe(sha256("c"));
    await run.save();
    expect(Object.keys(await readCache())).toEqual(["sub/c.txt"]);
  });

  it("gives not-a-file for a folder, a fifo, a name with a NUL and a symlink out of the project, and reads a symlink inside it", async () => {
    const outside = (await makeProject({ "secret.txt": "outside" }, "pc-outside-")).root;
    await mkdir(path.join(root, "folder"));
    execFileSync("mkfifo", [path.join(root, "fifo")]);
    await symlink(path.join(outside, "secret.txt"), path.join(root, "out.txt"));
    await symlink(outside, path.join(root, "outdir"));
    await oldFile("in.txt", "inside");
    await symlink("in.txt", path.join(root, "link.txt"));
    const run = laterRun();
    expect(await run.hash("folder")).toBe(NOT_A_FILE);
    expect(await run.hash("fifo")).toBe(NOT_A_FILE);
    expect(await run.hash("in\0.txt")).toBe(NOT_A_FILE);
    expect(await run.hash("out.txt")).toBe(NOT_A_FILE);
    expect(await run.hash("outdir/secret.txt")).toBe(NOT_A_FILE);
    expect(await run.hash("link.txt")).toBe(sha256("inside"));
    // An absolute path is a file outside the project on purpose (a downloaded model): it is read.
    expect(await run.hash(path.join(outside, "secret.txt"))).toBe(sha256("outside"));
  });

  it.each(["size", "mtimeMs", "ctimeMs", "ino"])(
    "does not trust a record whose %s is not the file's: it reads the file again",
    async (field) => {
      await oldFile("a.txt", "one");
      const first = laterRun();
      await first.hash("a.txt");
      await first.save();
      const cache = (await readCache()) as unknown as Record<string, Record<string, number | string>>;
      cache["a.txt"]!.hash = `sha256:${"f".repeat(64)}`;
      cache["a.txt"]![field] = (cache["a.txt"]![field] as number) + 1;
      await writeFile(cacheFile(), JSON.stringify(cache));
      expect(await laterRun().hash("a.txt")).toBe(sha256("one"));
    },
  );

  const FORGED = `sha256:${"f".repeat(64)}`;
  it.each([
    ["a hash one digit short", { hash: `sha256:${"f".repeat(63)}` }],
    ["a hash one digit long", { hash: `${FORGED}0` }],
    ["a hash after other text", { hash: `x${FORGED}` }],
    ["a hash in capitals", { hash: `sha256:${"F".repeat(64)}` }],
    ["a hash of another kind", { hash: `sha512:${"f".repeat(64)}` }],
    ["a hash that is no string", { hash: 7 }],
    ["a hash in a list", { hash: [FORGED] }],
    ["an inode that is no number", { ino: "1" }],
    ["no size", { size: undefined }],
    ["an mtime of null", { mtimeMs: null }],
    ["a ctime that is a string", { ctimeMs: "0" }],
  ])("drops a damaged record (%s) and keeps the others", async (_what, damage) => {
    await oldFile("a.txt", "one");
    await oldFile("b.txt", "bee");
    const first = laterRun();
    await first.hash("a.txt");
    await first.hash("b.txt");
    await first.save();
    const cache = await readCache();
    await writeFile(
      cacheFile(),
      JSON.stringify({
        "a.txt": { ...cache["a.txt"], hash: FORGED, ...damage },
        "b.txt": { ...cache["b.txt"], hash: FORGED },
      }),
    );
    const next = laterRun();
    expect(await next.hash("a.txt")).toBe(sha256("one"));
    expect(await next.hash("b.txt")).toBe(FORGED);
  });

  it("does not record a file whose mtime is just before the run, even when set ahead of its last change", async () => {
    await writeFile(path.join(root, "ahead.txt"), "ahead");
    const mtime = Date.now() + 60_000;
    await utimes(path.join(root, "ahead.txt"), mtime / 1000, mtime / 1000);
    const { mtimeMs } = await stat(path.join(root, "ahead.txt"));
    await recordedOnlyFrom("ahead.txt", "ahead", [mtimeMs + 2_000], mtimeMs + 2_001);
  });

  it("records the new hash of a file that changed since the record, the other records kept", async () => {
    await oldFile("a.txt", "one");
    const first = laterRun();
    await first.hash("a.txt");
    await first.save();
    await oldFile("a.txt", "two");
    const second = laterRun();
    expect(await second.hash("a.txt")).toBe(sha256("two"));
    await second.save();
    expect((await readCache())["a.txt"]!.hash).toBe(sha256("two"));
  });

  it("gives not-a-file for a socket", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path.join(root, "pc.sock"), resolve));
    try {
      expect(await laterRun().hash("pc.sock")).toBe(NOT_A_FILE);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("reads every file again when the record is not an object of records", async () => {
    await oldFile("a.txt", "one");
    for (const record of ["[]", "null", '"sha256"', '{"a.txt": null}', '{"a.txt": "sha256"}']) {
      await mkdir(path.dirname(cacheFile()), { recursive: true });
      await writeFile(cacheFile(), record);
      expect(await laterRun().hash("a.txt")).toBe(sha256("one"));
    }
  });

  it("records a file whose mtime was set back just before the run only in a later run (its ctime is recent)", async () => {
    // As a copy that keeps the times (cp -p, tar, rsync -t) leaves it.
    await oldFile("copied.txt", "copied");
    const { ctimeMs } = await stat(path.join(root, "copied.txt"));
    await recordedOnlyFrom("copied.txt", "copied", [ctimeMs + 2_000], ctimeMs + 2_001);
  });
});
