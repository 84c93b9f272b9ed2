import * as assert from "node:assert/strict";
import { ModelProblem } from "../../src/models/problems";

/** The ModelProblem `work` fails with; fails the test if it succeeds or fails otherwise. */
export async function problemOf(work: Promise<unknown>): Promise<ModelProblem> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof ModelProblem, String(error));
    return error;
  }
  assert.fail("expected a ModelProblem");
}
