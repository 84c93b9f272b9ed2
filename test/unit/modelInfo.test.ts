import * as assert from "node:assert/strict";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeModelInfo, formatCount, readModelInfo } from "../../src/models/modelInfo";
import { readGgufHeader } from "../support/gguf/reader";
import { u64 } from "../support/gguf/values";
import { writeGguf } from "../support/gguf/writer";
import { emptyFile, familyModel, nonGgufFile, oversizedModel, tinyModel, truncatedModel } from "../support/models";
import { problemOf } from "../support/problems";


describe("GGUF header summary (modelInfo)", function () {
  this.timeout(60_000);
  let scratch: string;
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), "slm-modelinfo-"));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it("summarizes the tiny model: name, architecture, parameters, F16, context, FIM ids, chat template", async () => {
    const path = await tinyModel();
    const info = await readModelInfo(path);
    const header = readGgufHeader(path);
    const elements = header.tensors.reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0);
    assert.equal(info.name, "SLM demo model (random weights)");
    assert.equal(info.architecture, "llama");
    assert.equal(info.parameterCount, elements);
    assert.equal(info.quantization, "F16");
    assert.equal(info.sizeBytes, statSync(path).size);
    assert.equal(info.trainContextSize, 4096);
    assert.equal(info.fim, true);
    assert.equal(info.chatTemplate, true);
    assert.equal(info.cutShort, false);
    assert.equal(info.dataEndBytes, info.sizeBytes);
    assert.equal(
      describeModelInfo(info),
      `llama · ${formatCount(elements)} params · F16 · ${Math.round(info.sizeBytes / 1024 ** 2)} MB · 4,096-token context · FIM · chat`,
    );
  });

  it("finds FIM tokens by their text when the metadata names no ids (StarCoder2, DeepSeek-Coder), and their absence (Phi-2)", async () => {
    const starcoder = await readModelInfo(await familyModel("starcoder2"));
    assert.deepEqual([starcoder.architecture, starcoder.fim, starcoder.chatTemplate, starcoder.quantization], ["starcoder2", true, false, "Q8_0"]);
    const deepseek = await readModelInfo(await familyModel("deepseek-coder"));
    assert.deepEqual([deepseek.architecture, deepseek.fim, deepseek.trainContextSize], ["llama", true, 2048]);
    const phi2 = await readModelInfo(await familyModel("phi2"));
    assert.deepEqual([phi2.architecture, phi2.fim, phi2.chatTemplate], ["phi2", false, false]);
    const phi3 = await readModelInfo(await familyModel("phi3"));
    assert.deepEqual([phi3.architecture, phi3.fim, phi3.chatTemplate], ["phi3", false, true]);
  });

  it("reads a 200 GB (sparse) model's header without touching its weights", async () => {
    const started = performance.now();
    const info = await readModelInfo(await oversizedModel());
    assert.ok(info.parameterCount > 90e9, formatCount(info.parameterCount));
    assert.match(formatCount(info.parameterCount), /^\d+(\.\d+)?B$/);
    assert.equal(info.cutShort, false);
    assert.ok(performance.now() - started < 5_000);
  });

  it("spots a file whose tensors end beyond its size (cut short, or a header that lies)", async () => {
    const info = await readModelInfo(await truncatedModel());
    assert.equal(info.cutShort, true);
    assert.ok(info.dataEndBytes! > info.sizeBytes);
  });

  it("says what is wrong with missing, folder, empty, non-GGUF, header-cut and corrupt files", async () => {
    assert.equal((await problemOf(readModelInfo(join(scratch, "nope.gguf")))).code, "missing");
    assert.equal((await problemOf(readModelInfo(scratch))).code, "directory");
    assert.equal((await problemOf(readModelInfo(await emptyFile()))).code, "empty");
    const notGguf = await problemOf(readModelInfo(await nonGgufFile()));
    assert.equal(notGguf.code, "notGguf");
    assert.match(notGguf.message, /is not a GGUF model file/);

    const cut = join(scratch, "cut.gguf");
    writeFileSync(cut, readFileSync(await tinyModel()).subarray(0, 5_000));
    const cutProblem = await problemOf(readModelInfo(cut));
    assert.equal(cutProblem.code, "truncated");
    assert.match(cutProblem.message, /cut short: it ends inside its header/);

    // A header claiming 2^60 metadata entries: refused at once, not looped over.
    const lying = join(scratch, "lying.gguf");
    writeFileSync(lying, readFileSync(await tinyModel()));
    const fd = openSync(lying, "r+");
    const count = Buffer.alloc(8);
    count.writeBigUInt64LE(2n ** 60n);
    writeSync(fd, count, 0, 8, 16);
    closeSync(fd);
    const lyingProblem = await problemOf(readModelInfo(lying));
    assert.equal(lyingProblem.code, "truncated");
    assert.match(lyingProblem.message, /damaged/);
  });

  it("falls back to the file name and the embedding's type when general.* keys are missing", async () => {
    const path = join(scratch, "bare-model.gguf");
    await writeGguf(path, {
      metadata: new Map([["general.alignment", { type: 4, value: 64 }], ["test.big", u64(5n)]]),
      tensors: [{ name: "token_embd.weight", dims: [64, 10], type: 8, data: { kind: "constant", value: 0 } }],
    });
    const info = await readModelInfo(path);
    assert.deepEqual(
      [info.name, info.architecture, info.quantization, info.parameterCount, info.fim, info.chatTemplate, info.trainContextSize, info.cutShort],
      ["bare-model", undefined, "Q8_0", 640, false, false, undefined, false],
    );
  });

  it("formats parameter counts", () => {
    assert.deepEqual([formatCount(494_032_768), formatCount(1_543_714_304), formatCount(12_345), formatCount(7)], ["494M", "1.54B", "12.3K", "7"]);
  });

  it("reads a folder of headers quickly (header only: a few ms per model)", async () => {
    const dir = join(scratch, "many");
    mkdirSync(dir);
    const source = readFileSync(await familyModel("starcoder2"));
    for (let i = 0; i < 20; i++) writeFileSync(join(dir, `m${i}.gguf`), source);
    const started = performance.now();
    for (let i = 0; i < 20; i++) assert.equal((await readModelInfo(join(dir, `m${i}.gguf`))).fim, true);
    assert.ok(performance.now() - started < 10_000);
  });
});
