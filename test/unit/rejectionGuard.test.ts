import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

describe("the unhandled-rejection guard (test/support/rejectionGuard.ts)", function () {
  this.timeout(60_000);

  it("fails a run in which a promise rejection goes unhandled, naming it", () => {
    const dir = fs.mkdtempSync(path.join(tmpdir(), "slm-guard-"));
    try {
      const spec = path.join(dir, "leaky.test.js");
      fs.writeFileSync(spec, `it("leaks a rejection", async () => { void Promise.reject(new Error("nobody caught me")); await new Promise((r) => setTimeout(r, 20)); });\n`);
      const mocha = path.join(__dirname, "..", "..", "..", "node_modules", "mocha", "bin", "mocha.js");
      const guard = path.join(__dirname, "..", "support", "rejectionGuard.js");
      const run = spawnSync(process.execPath, [mocha, "--no-config", "--require", guard, spec], { encoding: "utf8" });
      const output = `${run.stdout}${run.stderr}`;
      assert.notEqual(run.status, 0, output);
      assert.match(output, /Unhandled promise rejection[\s\S]*nobody caught me/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
