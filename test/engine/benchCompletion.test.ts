import * as assert from "node:assert/strict";
import { runCompletionBench, SCRIPT } from "../../bench/completion";
import { SCENARIOS } from "../../bench/scenarios";

// `npm run bench:completion`'s scenarios in their short mode (the tiny scripted model, one place
// per file, the peer when llama-server is built): proves they run and measure what they claim.
// No time is asserted: speed goals are the benchmark's to print, never a test's to fail.
describe("bench:completion scenarios (short mode)", function () {
  this.timeout(600_000);

  it("measures cold, warm, forward and return on ours and on the peer, with the same text from each", async () => {
    const lines: string[] = [];
    const result = await runCompletionBench({ short: true, log: (line) => lines.push(line) });
    const ours = result.samples.filter((s) => s.system === "ours");
    for (const scenario of SCENARIOS) assert.ok(ours.some((s) => s.scenario === scenario), `ours has ${scenario} samples`);
    for (const sample of ours.filter((s) => s.outcome !== "cache")) {
      assert.equal(sample.text, SCRIPT, `${sample.scenario} at ${sample.file}:${sample.line} shows the model's line`);
    }
    const { table } = result.summary;
    assert.ok(table.forward.oursEvaluatedTokensP50 <= 3, `typing forward evaluates ${table.forward.oursEvaluatedTokensP50} tokens per key`);
    for (const back of ours.filter((s) => s.scenario === "return")) {
      assert.ok(back.evaluatedTokens <= 3, `a return to ${back.file} finds its KV state: ${back.evaluatedTokens} evaluated`);
    }
    if (result.peerSkipped) {
      assert.match(lines.join("\n"), /peer columns skipped: .*build-llama-server\.sh/);
    } else {
      for (const layout of ["psm", "spm"] as const) {
        const peer = result.samples.filter((s) => s.system === layout);
        assert.equal(peer.length, ours.length, `${layout}: one request per key, like ours`);
        for (const sample of peer) assert.equal(sample.text, SCRIPT, `llama-server (${layout}) writes the same line`);
      }
      // The default layout re-reads the suffix on every key; --spm-infill does not.
      assert.ok(table.forward.psmEvaluatedTokensP50 > 50 && table.forward.spmEvaluatedTokensP50 <= 3, JSON.stringify(table.forward));
    }
  });
});
