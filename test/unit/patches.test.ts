// The fixes we carry for dependencies (patches/, applied by patch-package at `npm install`) are in
// the installed files: a missing postinstall would otherwise show only as slower next edits. The
// behaviour itself is tested in test/engine/nextEdit.test.ts (drafts accepted in runs).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.resolve(__dirname, "..", "..", "..");
const patchesDir = path.join(root, "patches");

describe("patches for dependencies", () => {
  const patches = fs.readdirSync(patchesDir).filter((name) => name.endsWith(".patch"));

  it("exist for node-llama-cpp at the version installed", () => {
    const installed = (JSON.parse(fs.readFileSync(path.join(root, "node_modules", "node-llama-cpp", "package.json"), "utf8")) as { version: string }).version;
    assert.ok(patches.includes(`node-llama-cpp+${installed}.patch`), `no patch for node-llama-cpp ${installed} in ${patches.join(", ")}`);
  });

  for (const name of patches) {
    it(`${name} is applied`, () => {
      const text = fs.readFileSync(path.join(patchesDir, name), "utf8");
      const files = text.split(/^diff --git /m).slice(1);
      assert.ok(files.length > 0, "the patch changes no file");
      for (const section of files) {
        const file = /^\+\+\+ b\/(.+)$/m.exec(section)?.[1];
        assert.ok(file, "a patch section without a file name");
        const installed = fs.readFileSync(path.join(root, file), "utf8");
        const added = section.split("\n").filter((line) => line.startsWith("+") && !line.startsWith("+++")).map((line) => line.slice(1));
        for (const line of added) assert.ok(installed.includes(line), `${file} lacks the patched line: ${line.trim()}`);
      }
    });
  }
});
