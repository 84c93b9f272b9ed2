import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { closeSync, copyFileSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from "node:fs";
import * as os from "node:os";
import { join } from "node:path";
import type { Engine } from "../../src/engine/api";
import { checkModelAllowed, type HashCacheStore } from "../../src/models/modelHash";
import { tinyLoraAdapter, tinyModel } from "../support/models";
import { writeSplitTinyModel } from "../support/splitModel";
import { createTestEngine, HOSTS } from "./hosts";

const machine = { logicalCores: os.availableParallelism(), physicalCores: 1, homeDir: os.homedir() };
const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");
const load = { threads: 1, contextSize: 512, gpu: "off", flashAttention: true } as const;

class MapStore implements HashCacheStore {
  readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, value);
  }
}

/** Flips one byte near the end of a file (in its tensor data), keeping its size. */
function flipLastByte(file: string): void {
  const fd = openSync(file, "r+");
  try {
    const at = fstatSync(fd).size - 1;
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, at);
    byte[0] = byte[0]! ^ 0xff;
    writeSync(fd, byte, 0, 1, at);
  } finally {
    closeSync(fd);
  }
}

for (const host of HOSTS) describe(`model allowlist in the engine (real node-llama-cpp, ${host})`, function () {
  this.timeout(60_000);
  let dir: string;
  let engine: Engine | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(os.tmpdir(), "slm-policy-"));
  });
  afterEach(async () => {
    await engine?.dispose();
    engine = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** An engine whose policy is the allowlist `allowed()`; `after` runs once a check has passed. */
  function engineWith(allowed: () => ReadonlySet<string>, after?: (files: readonly string[]) => void): { engine: Engine; checked: string[][] } {
    const store = new MapStore();
    const checked: string[][] = [];
    engine = createTestEngine(host, {
      machine,
      checkModel: async (files, signal) => {
        checked.push([...files]);
        const hashes = await checkModelAllowed(files, allowed(), store, signal);
        after?.(files);
        return hashes?.map((hash) => hash.identity);
      },
    });
    return { engine, checked };
  }

  it("refuses a model whose SHA-256 is not allowed, before llama.cpp sees it, and loads an allowed one", async () => {
    const model = await tinyModel();
    let allowed = new Set(["0".repeat(64)]);
    const { engine } = engineWith(() => allowed);
    await engine.configure({ modelPath: model, ...load });
    assert.equal(engine.state.kind, "error");
    assert.equal(engine.state.error?.code, "notAllowed");
    assert.ok(engine.state.error?.message.includes(sha(model)), engine.state.error?.message);
    assert.equal(engine.state.models, undefined, "nothing was loaded");
    allowed = new Set([sha(model)]);
    await engine.reload();
    assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
  });

  it("checks every LoRA adapter: an unlisted one is refused and named", async () => {
    const model = await tinyModel();
    const adapter = await tinyLoraAdapter();
    let allowed = new Set([sha(model)]);
    const { engine, checked } = engineWith(() => allowed);
    await engine.configure({ modelPath: model, loraAdapters: [{ path: adapter, scale: 4 }], ...load });
    assert.deepEqual(checked.at(-1), [model, adapter], "the adapter is checked with the model");
    assert.equal(engine.state.kind, "error");
    assert.equal(engine.state.error?.code, "notAllowed");
    assert.ok(engine.state.error?.message.includes(adapter) && engine.state.error.message.includes(sha(adapter)), engine.state.error?.message);
    allowed = new Set([sha(model), sha(adapter)]);
    await engine.reload();
    assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
  });

  it("checks every part of a split model: a swapped part 2 is refused and named", async () => {
    const parts = await writeSplitTinyModel(dir);
    const allowed = new Set(parts.map(sha));
    const { engine, checked } = engineWith(() => allowed);
    await engine.configure({ modelPath: parts[0]!, ...load });
    assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
    assert.deepEqual(checked.at(-1), parts);
    flipLastByte(parts[1]!);
    await engine.reload();
    assert.equal(engine.state.kind, "error");
    assert.equal(engine.state.error?.code, "notAllowed");
    assert.ok(engine.state.error?.message.includes(parts[1]!), engine.state.error?.message);
  });

  it("refuses a hostile 24-byte split part with a message, before node-llama-cpp's header reader sees it", async () => {
    const parts = await writeSplitTinyModel(dir);
    // The GGUF magic, version 3, no tensors, no metadata: a header node-llama-cpp never finished reading.
    const hostile = Buffer.alloc(24);
    hostile.write("GGUF", 0, "latin1");
    hostile.writeUInt32LE(3, 4);
    writeFileSync(parts[1]!, hostile);
    const { engine } = engineWith(() => new Set());
    const started = Date.now();
    await engine.configure({ modelPath: parts[0]!, ...load });
    assert.equal(engine.state.kind, "error");
    assert.ok(engine.state.error?.message.includes(parts[1]!), engine.state.error?.message);
    console.log(`      refused in ${Date.now() - started} ms: ${engine.state.error?.message}`);
  });

  it("refuses a model replaced after the allowlist check and before llama.cpp opened it, and frees it", async () => {
    const model = join(dir, "model.gguf");
    copyFileSync(await tinyModel(), model);
    let swap = true;
    // Between the check and the load, the same bytes are written again: a new ctime, as any swap gives.
    const { engine } = engineWith(() => new Set([sha(model)]), () => {
      if (swap) writeFileSync(model, readFileSync(model));
    });
    await engine.configure({ modelPath: model, ...load });
    assert.equal(engine.state.kind, "error");
    assert.equal(engine.state.error?.code, "notAllowed");
    assert.match(engine.state.error?.message ?? "", /changed after it was checked/);
    assert.ok(engine.state.error?.message.includes(model));
    assert.equal(engine.state.models, undefined, "what was loaded is freed");
    swap = false;
    await engine.reload();
    assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
  });
});
