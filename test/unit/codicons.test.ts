import * as assert from "node:assert/strict";
import { modelPicks } from "../../src/commands/modelPicks";
import { statusMenuItems } from "../../src/commands/statusMenuItems";
import { statusText } from "../../src/ui/statusText";
import { plainText } from "../../src/util/codicons";

/** Every `$(` in `text` that VS Code would expand: those not escaped with a backslash. */
const expandable = (text: string) => [...text.matchAll(/(^|[^\\])\$\(/g)].length;

describe("model names as plain text (no codicon expansion)", () => {
  const hostile = "$(sync~spin) Totally Safe $(check) Model $(loading~spin)";

  it("escapes every $( so VS Code shows it as written", () => {
    assert.equal(plainText(hostile), "\\$(sync~spin) Totally Safe \\$(check) Model \\$(loading~spin)");
    assert.equal(plainText("no icons"), "no icons");
  });

  it("status item, status menu and model picker show a hostile general.name as text", () => {
    const status = statusText({ kind: "ready", modelName: hostile, notices: [] }).text;
    assert.equal(expandable(status), 1, `only our own icon: ${status}`);
    for (const item of statusMenuItems({ kind: "ready", modelName: hostile, notices: [] })) {
      const label = "label" in item ? String(item.label) : "";
      assert.ok(expandable(label) <= 1, label);
    }
    const picks = modelPicks({ models: [{ path: "/m/$(x).gguf", fileName: "$(x).gguf", sizeBytes: 1, name: hostile, parameterCount: 1, quantization: "Q8_0", fim: true, chatTemplate: true, cutShort: false }], problems: [] } as never, "/m", "");
    assert.equal(expandable(picks[0]!.label), 0, picks[0]!.label);
    assert.equal(expandable(picks[0]!.description ?? ""), 0);
  });
});
