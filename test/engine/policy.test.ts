import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as os from "node:os";
import { checkModelAllowed, type HashCacheStore } from "../../src/models/modelHash";
import { tinyModel } from "../support/models";
import { createTestEngine, HOSTS } from "./hosts";

const machine = { logicalCores: os.availableParallelism(), physicalCores: 1, homeDir: os.homedir() };

class MapStore implements HashCacheStore {
  readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, value);
  }
}

for (const host of HOSTS) describe(`model allowlist in the engine (real node-llama-cpp, ${host})`, function () {
  this.timeout(60_000);

  it("refuses a model whose SHA-256 is not allowed, before llama.cpp sees it, and loads an allowed one", async () => {
    const model = await tinyModel();
    const sha256 = createHash("sha256").update(readFileSync(model)).digest("hex");
    let allowed = new Set(["0".repeat(64)]);
    const hashed: boolean[] = [];
    const store = new MapStore();
    const engine = createTestEngine(host, {
      machine,
      checkModel: async (file, signal) => {
        const hash = await checkModelAllowed(file, allowed, store, signal);
        if (hash) hashed.push(hash.cached);
      },
    });
    try {
      await engine.configure({ modelPath: model, threads: 1, contextSize: 512, gpu: "off", flashAttention: true });
      assert.equal(engine.state.kind, "error");
      assert.equal(engine.state.error?.code, "notAllowed");
      assert.ok(engine.state.error?.message.includes(sha256), engine.state.error?.message);
      assert.equal(engine.state.models, undefined, "nothing was loaded");

      allowed = new Set([sha256]);
      await engine.reload();
      assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
      await engine.reload();
      assert.equal(engine.state.kind, "ready");
      assert.deepEqual(hashed, [true, true], "hashed once (during the refusal), then read from the cache");
    } finally {
      await engine.dispose();
    }
  });
});
