/** The size+mtime hash cache that keeps multi-gigabyte models from being read on every build. */
import { createHash } from "node:crypto";
import { mkdtemp, open, readFile, rename, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileHashes } from "../../src/plan/file-hashes.js";

const BIG = 9 * 1024 * 1024; // above the 8 MiB threshold
const FIXED_TIME = 1_700_000_000; // whole seconds: restored exactly by utimes
let root: string;

const sha256 = (bytes: Buffer) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/** Overwrites the first bytes in place (same file, same size), then puts the old mtime back. */
async function overwriteKeepingStat(file: string, bytes: string): Promise<void> {
  const handle = await open(file, "r+");
  await handle.write(bytes, 0);
  await handle.close();
  await utimes(file, FIXED_TIME, FIXED_TIME);
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "pc-hashes-"));
});

afterAll(() => rm(root, { recursive: true, force: true }));

describe("FileHashes", () => {
  it("reuses a big file's hash while its size, mtime and inode hold, across runs", async () => {
    const file = path.join(root, "model.gguf");
    await writeFile(file, Buffer.alloc(BIG, 7));
    await utimes(file, FIXED_TIME, FIXED_TIME);
    const first = new FileHashes(root);
    const original = sha256(await readFile(file));
    expect(await first.hash("model.gguf")).toBe(original);
    await first.save();
    const cache = JSON.parse(await readFile(path.join(root, ".pc/file-hashes.json"), "utf8"));
    expect(Object.keys(cache)).toEqual(["model.gguf"]);

    // Same size, mtime and inode: the next run trusts the cache and does not read the file.
    await overwriteKeepingStat(file, "changed");
    expect(await new FileHashes(root).hash("model.gguf")).toBe(original);

    // A new mtime: hashed again.
    await utimes(file, FIXED_TIME + 1, FIXED_TIME + 1);
    const touched = new FileHashes(root);
    expect(await touched.hash("model.gguf")).toBe(sha256(await readFile(file)));
    expect(await touched.hash("model.gguf")).not.toBe(original);
    await touched.save();
  });

  it("notices a file of the same size and mtime moved into place (a new inode)", async () => {
    const file = path.join(root, "model.gguf");
    const before = await new FileHashes(root).hash("model.gguf");
    const replacement = path.join(root, "download.tmp");
    await writeFile(replacement, Buffer.alloc(BIG, 9));
    await utimes(replacement, FIXED_TIME + 1, FIXED_TIME + 1);
    await rename(replacement, file);
    const after = await new FileHashes(root).hash("model.gguf");
    expect(after).toBe(sha256(await readFile(file)));
    expect(after).not.toBe(before);
  });

  it("hashes small files every run and keeps them out of the cache; absolute paths work too", async () => {
    await writeFile(path.join(root, "small.txt"), "one");
    const hashes = new FileHashes(root);
    expect(await hashes.hash("small.txt")).toBe(sha256(Buffer.from("one")));
    expect(await hashes.hashAbsolute(path.join(root, "small.txt"))).toBe(sha256(Buffer.from("one")));
    expect(await hashes.hash("absent.txt")).toBeUndefined();
    // A downloaded model lives outside the project (node-llama-cpp's user cache).
    const outside = path.join(path.dirname(root), `${path.basename(root)}-outside.txt`);
    await writeFile(outside, "two");
    try {
      expect(await hashes.hashAbsolute(outside)).toBe(sha256(Buffer.from("two")));
    } finally {
      await rm(outside);
    }
    await hashes.save();
    const cache = JSON.parse(await readFile(path.join(root, ".pc/file-hashes.json"), "utf8"));
    expect(Object.keys(cache)).not.toContain("small.txt");
  });
});
