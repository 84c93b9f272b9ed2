import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, renameSync, rmSync, statSync, ftruncateSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashFile } from "../../src/models/fileHash";
import { longestStall } from "../support/eventLoop";
import { checkModelAllowed, type HashCacheStore, modelSha256, parseAllowedHashes } from "../../src/models/modelHash";
import { ModelProblem } from "../../src/models/problems";

class MapStore implements HashCacheStore {
  readonly values = new Map<string, unknown>();
  writes = 0;
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.writes++;
    this.values.set(key, JSON.parse(JSON.stringify(value)));
  }
}

const sha = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

/** A sparse file of `bytes` (holes read as zeros): a large file without the disk. */
function sparseFile(file: string, bytes: number): void {
  const fd = openSync(file, "w");
  ftruncateSync(fd, bytes);
  closeSync(fd);
}

describe("model hashes and the allowlist (modelHash, fileHash)", function () {
  // A worker thread starts in ~50 ms on a quiet machine, in over 500 ms on a busy one.
  this.timeout(20_000);
  let dir: string;
  let file: string;
  const content = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "slm-hash-"));
    file = join(dir, "model.gguf");
    writeFileSync(file, content);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("hashes the file once and reuses the hash while the file is unchanged", async () => {
    const store = new MapStore();
    const first = await modelSha256(file, store);
    assert.deepEqual({ sha256: first.sha256, cached: first.cached }, { sha256: sha(content), cached: false });
    const second = await modelSha256(file, store);
    assert.deepEqual({ sha256: second.sha256, cached: second.cached, identity: second.identity }, { sha256: sha(content), cached: true, identity: first.identity });
    assert.equal(store.writes, 1);
  });

  it("hashes again after a same-size rewrite with the old mtime restored (the ctime changed)", async () => {
    const store = new MapStore();
    const other = join(dir, "same-size.gguf");
    const reference = join(dir, "timestamps");
    writeFileSync(other, "first!");
    execFileSync("touch", ["-r", other, reference]);
    const before = statSync(other, { bigint: true });
    assert.equal((await modelSha256(other, store)).sha256, sha("first!"));
    await new Promise((resolve) => setTimeout(resolve, 20));
    writeFileSync(other, "forged");
    execFileSync("touch", ["-r", reference, other]);
    const after = statSync(other, { bigint: true });
    assert.equal(after.mtimeNs, before.mtimeNs, "the hostile rewrite restored the mtime to the nanosecond");
    assert.equal(after.size, before.size);
    const again = await modelSha256(other, store);
    assert.deepEqual({ sha256: again.sha256, cached: again.cached }, { sha256: sha("forged"), cached: false });
  });

  it("hashes again when another file is renamed over the path (a new inode)", async () => {
    const store = new MapStore();
    const target = join(dir, "renamed.gguf");
    writeFileSync(target, "aaaa");
    await modelSha256(target, store);
    const swap = join(dir, "swap.tmp");
    writeFileSync(swap, "bbbb");
    renameSync(swap, target);
    assert.deepEqual((await modelSha256(target, store)).sha256, sha("bbbb"));
  });

  it("parses allowlist entries in any case with an optional sha256: prefix, and names bad ones", () => {
    const good = sha("x");
    const { hashes, notices } = parseAllowedHashes([good.toUpperCase(), `sha256:${good}`, "abc", 42]);
    assert.deepEqual([...hashes], [good]);
    assert.equal(notices.length, 2);
    assert.match(notices[0]!, /"abc" is not a SHA-256 hash/);
  });

  it("allows every model with an empty list, requires every file on the list, and names the one refused", async () => {
    const store = new MapStore();
    const adapter = join(dir, "adapter.gguf");
    writeFileSync(adapter, "an adapter nobody listed");
    assert.equal(await checkModelAllowed([file, adapter], new Set(), store), undefined);
    assert.equal(store.writes, 0, "no hashing without a policy");
    const both = await checkModelAllowed([file, adapter], new Set([sha(content), sha("an adapter nobody listed")]), store);
    assert.deepEqual(both?.map((hash) => hash.sha256), [sha(content), sha("an adapter nobody listed")]);
    await assert.rejects(checkModelAllowed([file, adapter], new Set([sha(content)]), store), (error: unknown) => {
      assert.ok(error instanceof ModelProblem);
      assert.equal(error.code, "notAllowed");
      assert.ok(error.message.includes(adapter) && error.message.includes(sha("an adapter nobody listed")), error.message);
      assert.ok(!error.message.includes(`"${file}"`), "the allowed file is not the one named");
      assert.match(error.message, /slm\.allowedModelHashes/);
      return true;
    });
  });

  it("stops hashing when aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(modelSha256(file, undefined, controller.signal), { name: "AbortError" });
  });

  it("refuses /dev/zero, a FIFO and a folder at once, and four FIFOs block no file I/O", async function () {
    if (process.platform === "win32") this.skip();
    const fifos = [0, 1, 2, 3].map((index) => join(dir, `fifo-${index}`));
    for (const fifo of fifos) execFileSync("mkfifo", [fifo]);
    const folder = join(dir, "a-folder.gguf");
    mkdirSync(folder);
    for (const [path, code, pattern] of [["/dev/zero", "unreadable", /not a regular file/], [fifos[0]!, "unreadable", /not a regular file/], [folder, "directory", /folder/]] as const) {
      const started = performance.now();
      await assert.rejects(modelSha256(path, undefined), (error: unknown) => {
        assert.ok(error instanceof ModelProblem, String(error));
        assert.equal(error.code, code);
        assert.match(error.message, pattern);
        return true;
      });
      console.log(`      ${path}: refused in ${(performance.now() - started).toFixed(1)} ms`);
    }
    // Four FIFOs checked at once: every libuv thread would wait on a writer if any open blocked.
    const refusals = Promise.allSettled(fifos.map((fifo) => hashFile(fifo)));
    const reads = await Promise.all([0, 1, 2, 3, 4, 5].map(() => readFile(file)));
    assert.equal(reads.length, 6, "file I/O went on");
    assert.ok((await refusals).every((outcome) => outcome.status === "rejected"));
  });

  it("refuses a file larger than the size cap without reading it", async () => {
    await assert.rejects(hashFile(file, { maxBytes: 1024 }), /larger than any model file/);
  });

  it("keeps this thread's event loop free while a large file is hashed, reports progress, and cancels at once", async function () {
    this.timeout(120_000);
    const large = join(dir, "large.gguf");
    sparseFile(large, 512 * 1024 * 1024);
    const progress: number[] = [];
    const started = performance.now();
    const { result: hash, stall: maxGap } = await longestStall(() => hashFile(large, { onProgress: (done) => progress.push(done) }));
    const elapsed = performance.now() - started;
    console.log(`      hashed 512 MiB in ${elapsed.toFixed(0)} ms; longest gap between 5 ms timer ticks here: ${maxGap.toFixed(1)} ms; ${progress.length} progress reports`);
    assert.equal(hash.size, 512 * 1024 * 1024);
    assert.ok(progress.length > 0 && progress.every((done, index) => index === 0 || done >= progress[index - 1]!), "progress is reported and grows");
    // Hashed on this thread the gap would be the whole hashing time; on the worker it is a tick.
    assert.ok(maxGap < elapsed / 4, `the event loop stalled for ${maxGap.toFixed(0)} ms of ${elapsed.toFixed(0)} ms`);
    const controller = new AbortController();
    const cancelled = hashFile(large, { signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    const abortStarted = performance.now();
    await assert.rejects(cancelled, { name: "AbortError" });
    console.log(`      cancelled after ${(performance.now() - abortStarted).toFixed(0)} ms`);
    rmSync(large);
  });

  it("hashes what the file holds, as a plain SHA-256", async () => {
    assert.equal((await hashFile(file)).sha256, sha(readFileSync(file)));
  });
});
