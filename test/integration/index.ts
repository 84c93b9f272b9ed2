// Entry point the editor calls inside the extension host (`extensionTestsPath`): runs mocha over
// out/test/integration/**/*.test.js. The host's console output reaches the outside unformatted, so
// the reporter prints one plain line per test and also writes a JSON summary to
// $SLM_TEST_RESULTS, which the launcher (test/harness/runIntegration.ts) reads for the final counts.
import * as fs from "node:fs";
import * as path from "node:path";
import Mocha from "mocha";
import { guardRejections } from "../support/rejectionGuard";
import { notes } from "./report";

/** The repository (dist/ and out/): a rejection whose stack runs through it is ours, not another extension's. */
const REPO = path.resolve(__dirname, "../../..");

export interface TestResult {
  readonly title: string;
  readonly state: "passed" | "failed" | "pending";
  readonly durationMs?: number;
  readonly error?: string;
}

export interface TestResults {
  readonly passes: number;
  readonly failures: number;
  readonly pending: number;
  readonly durationMs: number;
  readonly tests: readonly TestResult[];
  /** Lines the tests chose to report (see ./report). */
  readonly notes: readonly string[];
}


class LineReporter extends Mocha.reporters.Base {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const tests: TestResult[] = [];
    const started = Date.now();
    const { EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_SUITE_BEGIN, EVENT_RUN_END } = Mocha.Runner.constants;
    runner.on(EVENT_SUITE_BEGIN, (suite: Mocha.Suite) => {
      if (suite.title) console.log(`[mocha] ${suite.fullTitle()}`);
    });
    runner.on(EVENT_TEST_PASS, (test: Mocha.Test) => {
      tests.push({ title: test.fullTitle(), state: "passed", durationMs: test.duration });
      console.log(`[mocha]   ✓ ${test.title} (${test.duration ?? 0} ms)`);
    });
    runner.on(EVENT_TEST_FAIL, (test: Mocha.Test, err: Error) => {
      const error = err?.stack ?? String(err);
      tests.push({ title: test.fullTitle(), state: "failed", durationMs: test.duration, error });
      console.log(`[mocha]   ✗ ${test.title}\n${error}`);
    });
    runner.on(EVENT_TEST_PENDING, (test: Mocha.Test) => {
      tests.push({ title: test.fullTitle(), state: "pending" });
      console.log(`[mocha]   - ${test.title} (pending)`);
    });
    runner.once(EVENT_RUN_END, () => {
      const results: TestResults = {
        passes: tests.filter((t) => t.state === "passed").length,
        failures: tests.filter((t) => t.state === "failed").length,
        pending: tests.filter((t) => t.state === "pending").length,
        durationMs: Date.now() - started,
        tests,
        notes,
      };
      console.log(`[mocha] ${results.passes} passing, ${results.failures} failing, ${results.pending} pending`);
      const file = process.env.SLM_TEST_RESULTS;
      if (file) fs.writeFileSync(file, JSON.stringify(results, null, 2));
    });
  }
}

function findTests(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return findTests(full);
      return entry.name.endsWith(".test.js") ? [full] : [];
    })
    .sort();
}

export function run(): Promise<void> {
  const mocha = new Mocha({
    ui: "bdd",
    color: false,
    timeout: Number(process.env.SLM_TEST_TIMEOUT_MS) || 60_000,
    reporter: LineReporter,
    grep: process.env.SLM_TEST_GREP || undefined,
    rootHooks: guardRejections((reason) => reason instanceof Error && (reason.stack ?? "").includes(REPO), false),
  });
  for (const file of findTests(__dirname)) mocha.addFile(file);
  return new Promise((resolve, reject) => {
    try {
      mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} test(s) failed`)) : resolve()));
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
