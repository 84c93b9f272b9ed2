import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

describe("model hashes and the allowlist (modelHash)", () => {
  let dir: string;
  let file: string;
  const content = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "slm-hash-"));
    file = join(dir, "model.gguf");
    writeFileSync(file, content);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("hashes the file once and reuses the hash while size and mtime are unchanged", async () => {
    const store = new MapStore();
    assert.deepEqual(await modelSha256(file, store), { sha256: sha(content), cached: false });
    assert.deepEqual(await modelSha256(file, store), { sha256: sha(content), cached: true });
    assert.equal(store.writes, 1);
  });

  it("hashes again when the file is replaced (new mtime or size)", async () => {
    const store = new MapStore();
    await modelSha256(file, store);
    const other = join(dir, "replaced.gguf");
    writeFileSync(other, "first");
    await modelSha256(other, store);
    writeFileSync(other, "second!");
    assert.deepEqual(await modelSha256(other, store), { sha256: sha("second!"), cached: false });
    writeFileSync(other, "third!!");
    utimesSync(other, new Date(), new Date(Date.now() + 5_000));
    assert.deepEqual(await modelSha256(other, store), { sha256: sha("third!!"), cached: false });
    assert.equal((await modelSha256(file, store)).cached, true, "other files' entries are kept");
  });

  it("parses allowlist entries in any case with an optional sha256: prefix, and names bad ones", () => {
    const good = sha("x");
    const { hashes, notices } = parseAllowedHashes([good.toUpperCase(), `sha256:${good}`, "abc", 42]);
    assert.deepEqual([...hashes], [good]);
    assert.equal(notices.length, 2);
    assert.match(notices[0]!, /"abc" is not a SHA-256 hash/);
  });

  it("allows every model with an empty list, an allowed one by hash, and refuses others naming file and hash", async () => {
    const store = new MapStore();
    assert.equal(await checkModelAllowed(file, new Set(), store), undefined);
    assert.equal(store.writes, 0, "no hashing without a policy");
    assert.equal((await checkModelAllowed(file, new Set([sha(content)]), store))?.sha256, sha(content));
    await assert.rejects(checkModelAllowed(file, new Set([sha("other")]), store), (error: unknown) => {
      assert.ok(error instanceof ModelProblem);
      assert.equal(error.code, "notAllowed");
      assert.ok(error.message.includes(file) && error.message.includes(sha(content)), error.message);
      assert.match(error.message, /slm\.allowedModelHashes/);
      return true;
    });
  });

  it("stops hashing when aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(modelSha256(file, undefined, controller.signal), { name: "AbortError" });
  });
});
