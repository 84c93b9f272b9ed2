import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import type { SlmApi } from "../../src/api";
import { extensionApi, setSetting, testModels, waitForReady, waitUntil } from "./helpers";

describe("slm.allowedModelHashes: only allowed models load", function () {
  this.timeout(60_000);
  let api: SlmApi;
  const models = testModels();

  before(async () => {
    api = await extensionApi();
    await setSetting("modelPath", models.tiny);
    await waitForReady(api, models.tiny, "ready with the tiny model");
  });

  after(async () => {
    await setSetting("allowedModelHashes", undefined);
    // Not waitForReady: it gives up at once on the current notAllowed error for this file.
    await waitUntil(api, (s) => s.kind === "ready" && s.modelPath === models.tiny, "ready again without a policy");
  });

  it("refuses the loaded model as soon as the list leaves it out, naming its hash, and loads it when it is added", async () => {
    const sha256 = createHash("sha256").update(fs.readFileSync(models.tiny)).digest("hex");
    await setSetting("allowedModelHashes", ["f".repeat(64)]);
    const refused = await waitUntil(api, (s) => s.kind === "error" && s.error?.code === "notAllowed", "a notAllowed error");
    assert.match(refused.error?.message ?? "", /not on this machine's list of allowed models \(slm\.allowedModelHashes\)/);
    assert.ok(refused.error?.message.includes(sha256), refused.error?.message);

    await setSetting("allowedModelHashes", [`SHA256:${sha256.toUpperCase()}`]);
    const state = await waitUntil(api, (s) => s.kind === "ready" && s.modelPath === models.tiny, "ready once the hash is allowed");
    assert.equal(state.error, undefined);
  });
});
