import * as assert from "node:assert/strict";
import * as path from "node:path";
import { looksLikeInstructModel } from "../../src/models/fimFormat";
import { roleWarnings } from "../../src/engine/modelRoles";

const base = { name: "Qwen2.5 Coder 1.5B", file: "/m/qwen2.5-coder-1.5b-q8_0.gguf", chatTemplate: true };
const instruct = { name: "Qwen2.5 Coder 1.5B Instruct", file: "/m/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", chatTemplate: true };

describe("model roles: warnings when a model does not suit chat", () => {
  it("an instruct model suits chat", () => {
    assert.deepEqual(roleWarnings(["chat"], instruct), []);
  });

  it("warns when a base model is chosen for chat: no chat template, or a name that says base", () => {
    assert.match(roleWarnings(["chat"], { ...base, chatTemplate: false })[0]!, /looks like a base model \(its file has no chat template\)/);
    assert.match(roleWarnings(["chat"], { ...base, name: "StarCoder2 3B base" })[0]!, /looks like a base model; it continues text/);
  });

  it("says nothing about completion: the completion pipeline's FIM detection judges that", () => {
    assert.deepEqual(roleWarnings(["completion"], { ...base, chatTemplate: false }), []);
  });

  it("recognises instruct names in the model name or the file name, not inside other words", () => {
    // The completion pipeline's test, shared by the chat warning.
    const looksInstruct = (facts: { name: string; file: string }) => looksLikeInstructModel({ name: facts.name, fileName: path.basename(facts.file) });
    assert.ok(looksInstruct({ ...base, name: "x", file: "/m/gemma-2b-it-q4.gguf" }));
    assert.ok(looksInstruct({ ...base, name: "Phi 3 mini Chat" }));
    assert.ok(!looksInstruct({ ...base, name: "Bitcoder", file: "/m/edit-tool.gguf" }));
  });
});
