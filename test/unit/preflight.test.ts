import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkModelFile } from "../../src/models/preflight";
import type { ModelProblem } from "../../src/models/problems";

async function problemOf(file: string): Promise<ModelProblem> {
  try {
    await checkModelFile(file);
  } catch (error) {
    return error as ModelProblem;
  }
  throw new Error(`expected ${file} to be refused`);
}

describe("model file preflight", () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "slm-preflight-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("refuses a relative path", async () => {
    const problem = await problemOf("models/x.gguf");
    assert.equal(problem.code, "missing");
    assert.match(problem.message, /"models\/x\.gguf" is not an absolute path/);
  });

  it("refuses a missing file, naming it", async () => {
    const file = path.join(dir, "nope.gguf");
    const problem = await problemOf(file);
    assert.equal(problem.code, "missing");
    assert.ok(problem.message.includes(`"${file}" does not exist`));
  });

  it("refuses a directory", async () => {
    const problem = await problemOf(dir);
    assert.equal(problem.code, "directory");
    assert.match(problem.message, /is a folder, not a model file/);
  });

  it("refuses an empty file", async () => {
    const file = path.join(dir, "empty.gguf");
    fs.writeFileSync(file, "");
    const problem = await problemOf(file);
    assert.equal(problem.code, "empty");
    assert.match(problem.message, /is empty \(0 bytes\)/);
  });

  it("refuses a file that is not GGUF", async () => {
    const file = path.join(dir, "notes ü.gguf");
    fs.writeFileSync(file, "just some text, not a model");
    const problem = await problemOf(file);
    assert.equal(problem.code, "notGguf");
    assert.ok(problem.message.includes(`"${file}" is not a GGUF model file`));
  });

  it("accepts a GGUF magic and returns the size", async () => {
    const file = path.join(dir, "header only.gguf");
    fs.writeFileSync(file, Buffer.from("GGUF\x03\x00\x00\x00", "latin1"));
    assert.equal(await checkModelFile(file), 8);
  });
});
