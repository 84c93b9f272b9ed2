import * as assert from "node:assert/strict";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scanModels } from "../../src/models/modelScan";
import { readModelInfo } from "../../src/models/modelInfo";
import { readModelInfoOffThread, readModelInfos } from "../../src/models/modelInfoOffThread";
import { longestStall } from "../support/eventLoop";
import { familyModel, hugeArrayModel, tinyModel } from "../support/models";

const isRoot = process.getuid?.() === 0;

describe("model folder scan (modelScan)", function () {
  this.timeout(60_000);
  let root: string;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), "slm-scan-"));
    const tiny = await tinyModel();
    const starcoder = await familyModel("starcoder2");
    // 3,000 files that are not models, spread over folders, plus models at several depths.
    for (let folder = 0; folder < 30; folder++) {
      const dir = join(root, "noise", `f${folder}`);
      mkdirSync(dir, { recursive: true });
      for (let i = 0; i < 100; i++) writeFileSync(join(dir, `file${i}.txt`), "x");
    }
    copyFileSync(tiny, join(root, "tiny.gguf"));
    mkdirSync(join(root, "coders", "deep"), { recursive: true });
    copyFileSync(starcoder, join(root, "coders", "deep", "StarCoder2.GGUF"));
    writeFileSync(join(root, "coders", "garbage.gguf"), "not a model");
    // A link loop, a link back to the root, a link to a model, a dangling link.
    symlinkSync(join(root, "coders"), join(root, "coders", "deep", "loop"));
    symlinkSync(root, join(root, "coders", "back-to-root"));
    symlinkSync(join(root, "tiny.gguf"), join(root, "coders", "linked.gguf"));
    symlinkSync(join(root, "missing.gguf"), join(root, "dangling.gguf"));
    // A folder that cannot be listed and a model that cannot be read (root can read both anyway).
    mkdirSync(join(root, "locked"));
    copyFileSync(tiny, join(root, "locked", "hidden.gguf"));
    chmodSync(join(root, "locked"), 0o000);
    copyFileSync(tiny, join(root, "unreadable.gguf"));
    chmodSync(join(root, "unreadable.gguf"), 0o000);
  });
  after(() => {
    chmodSync(join(root, "locked"), 0o755);
    rmSync(root, { recursive: true, force: true });
  });

  it("finds every model once through links and loops, summarizes it, and reports broken files instead of failing", async () => {
    const started = performance.now();
    const result = await scanModels(root);
    const found = result.models.map((model) => model.path.slice(root.length + 1)).sort();
    const expected = ["coders/deep/StarCoder2.GGUF", "coders/linked.gguf", "tiny.gguf", ...(isRoot ? ["locked/hidden.gguf", "unreadable.gguf"] : [])].sort();
    assert.deepEqual(found, expected);
    assert.equal(result.limited, false);
    assert.equal(result.rootProblem, undefined);
    const problems = result.problems.map((problem) => problem.path.slice(root.length + 1)).sort();
    assert.deepEqual(problems, ["coders/garbage.gguf", "dangling.gguf", ...(isRoot ? [] : ["unreadable.gguf"])].sort());
    assert.match(result.problems.find((p) => p.path.endsWith("garbage.gguf"))!.message, /is not a GGUF model file/);
    assert.match(result.problems.find((p) => p.path.endsWith("dangling.gguf"))!.message, /does not exist/);
    assert.ok(result.skippedFolders >= 2, "the loop and the link back to the root are each seen once");
    const starcoder = result.models.find((model) => model.architecture === "starcoder2");
    assert.equal(starcoder?.fim, true);
    assert.ok(performance.now() - started < 10_000);
  });

  it("stops at its limits and says the list is partial", async () => {
    const fewModels = await scanModels(root, undefined, { maxEntries: 50_000, maxModels: 1, maxDepth: 4, concurrency: 2 });
    assert.equal(fewModels.limited, true);
    assert.equal(fewModels.models.length + fewModels.problems.length, 1);
    const fewEntries = await scanModels(root, undefined, { maxEntries: 100, maxModels: 500, maxDepth: 4, concurrency: 2 });
    assert.equal(fewEntries.limited, true);
    const shallow = await scanModels(root, undefined, { maxEntries: 50_000, maxModels: 500, maxDepth: 0, concurrency: 2 });
    assert.ok(shallow.models.every((model) => !model.path.includes("/coders/")));
  });

  it("names a missing or non-folder models folder, and honours abort", async () => {
    assert.match((await scanModels(join(root, "nowhere"))).rootProblem ?? "", /does not exist/);
    assert.match((await scanModels(join(root, "tiny.gguf"))).rootProblem ?? "", /is not a folder/);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(scanModels(root, controller.signal), { name: "AbortError" });
  });

  it("reads headers on a worker: the same answers as on this thread, and this thread's event loop stays free", async () => {
    const files = [await familyModel("starcoder2"), await familyModel("qwen2"), await hugeArrayModel(), join(root, "coders", "garbage.gguf")];
    const direct = await Promise.all(files.map((file) => readModelInfo(file).then((info) => ({ info }), (problem: Error) => ({ problem: problem.message }))));
    const onThisThread = await longestStall(() => Promise.all(files.map((file) => readModelInfo(file).catch(() => undefined))));
    const onWorker = await longestStall(() => readModelInfos(files));
    console.log(`      longest event-loop stall reading ${files.length} headers: ${onThisThread.stall.toFixed(0)} ms on this thread, ${onWorker.stall.toFixed(0)} ms through the worker`);
    assert.deepEqual(
      onWorker.result.map((result) => ("info" in result ? { info: result.info } : { problem: result.problem.message })),
      direct,
    );
    assert.ok(onWorker.stall < 50, `the event loop stalled ${onWorker.stall.toFixed(0)} ms`);
    assert.equal((await readModelInfoOffThread(files[0]!)).architecture, "starcoder2");
    await assert.rejects(readModelInfoOffThread(files[2]!), { name: "ModelProblem", code: "badHeader" });
  });
});
