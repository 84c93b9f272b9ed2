import * as assert from "node:assert/strict";
import { looksInstruct, roleWarnings } from "../../src/engine/modelRoles";

const base = { name: "Qwen2.5 Coder 1.5B", file: "/m/qwen2.5-coder-1.5b-q8_0.gguf", fim: true, chatTemplate: true };
const instruct = { name: "Qwen2.5 Coder 1.5B Instruct", file: "/m/qwen2.5-coder-1.5b-instruct-q8_0.gguf", fim: true, chatTemplate: true };

describe("model roles: warnings when a model does not suit its feature", () => {
  it("a base code model with FIM suits completion without a warning", () => {
    assert.deepEqual(roleWarnings(["completion"], base), []);
  });

  it("warns when the completion model has no FIM tokens", () => {
    const [warning] = roleWarnings(["completion"], { ...base, fim: false, name: "Llama 2 7B" });
    assert.match(warning!, /Llama 2 7B has no fill-in-the-middle tokens/);
  });

  it("warns when an instruct model is chosen for completion", () => {
    const [warning] = roleWarnings(["completion"], instruct);
    assert.match(warning!, /looks like an instruct \(chat\) model; base code models usually complete code better/);
  });

  it("an instruct model suits chat", () => {
    assert.deepEqual(roleWarnings(["chat"], instruct), []);
  });

  it("warns when a base model is chosen for chat: no chat template, or a name that says base", () => {
    assert.match(roleWarnings(["chat"], { ...base, chatTemplate: false })[0]!, /looks like a base model \(its file has no chat template\)/);
    assert.match(roleWarnings(["chat"], { ...base, name: "StarCoder2 3B base" })[0]!, /looks like a base model; it continues text/);
  });

  it("one model for both features gets the warnings of both", () => {
    assert.equal(roleWarnings(["completion", "chat"], { ...base, fim: false, chatTemplate: false }).length, 2);
  });

  it("recognises instruct names in the model name or the file name, not inside other words", () => {
    assert.ok(looksInstruct({ ...base, name: "x", file: "/m/gemma-2b-it-q4.gguf" }));
    assert.ok(looksInstruct({ ...base, name: "Phi 3 mini Chat" }));
    assert.ok(!looksInstruct({ ...base, name: "Bitcoder", file: "/m/edit-tool.gguf" }));
  });
});
