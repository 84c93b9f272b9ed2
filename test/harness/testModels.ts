// Resolves the test models in the launcher (outside the editor) and hands their paths to the
// extension host through the environment: the host runs with an isolated HOME, so it must not
// generate or look up the model cache itself.
import * as fs from "node:fs";
import * as path from "node:path";
import { COMMIT_MODEL_ANSWER, EDIT_MODEL_ANSWER } from "../support/scriptedAnswers";
import { repoRoot } from "./tools";

export interface TestModelPaths {
  /** A small valid GGUF model ("SLM demo model (random weights)"). */
  readonly tiny: string;
  /** A file that exists but is not GGUF. */
  readonly nonGguf: string;
  /** A GGUF file cut short; undefined when test/support does not provide one. */
  readonly truncated?: string;
  /** A path that does not exist. */
  readonly missing: string;
  /** A chat model that answers "Hello from the chat model." to anything. */
  readonly chat?: string;
  /** A LoRA adapter made for the tiny model, and one made for a wider llama. */
  readonly lora?: string;
  readonly foreignLora?: string;
  /** TinyLlama-1.1B-Chat's shape and tokenizer: no fill-in-the-middle tokens. */
  readonly noFim?: string;
  /** The tiny model with 0 layers: refused by our header check, and with that off llama.cpp aborts on it. */
  readonly crash?: string;
  /** Chat models that answer EDIT_MODEL_ANSWER and COMMIT_MODEL_ANSWER (test/support/scriptedAnswers.ts). */
  readonly edit?: string;
  readonly commit?: string;
}

/** What the chat test model answers. */
export const CHAT_MODEL_ANSWER = "Hello from the chat model.";

export const TINY_MODEL_NAME = "SLM demo model (random weights)";

type ModelFactory = () => string | Promise<string>;

function supportModule(): Record<string, ModelFactory | undefined> | undefined {
  const file = path.join(repoRoot, "out", "test", "support", "models.js");
  if (!fs.existsSync(file)) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as Record<string, ModelFactory | undefined>;
}

export async function resolveTestModels(runDir: string): Promise<TestModelPaths> {
  const support = supportModule();
  const tiny = process.env.SLM_TEST_MODEL_TINY || (support?.tinyModel ? await support.tinyModel() : undefined);
  if (!tiny || !fs.existsSync(tiny)) {
    throw new Error(
      "No tiny test model: build test/support (npm run compile) so out/test/support/models.js exists, " +
        "or set SLM_TEST_MODEL_TINY=/path/to/model.gguf.",
    );
  }
  let nonGguf = support?.nonGgufFile ? await support.nonGgufFile() : undefined;
  if (!nonGguf) {
    nonGguf = path.join(runDir, "not-a-model.gguf");
    fs.writeFileSync(nonGguf, "This is a text file, not a GGUF model.\n".repeat(64));
  }
  const truncated = support?.truncatedModel ? await support.truncatedModel() : undefined;
  const missing = path.join(runDir, "no-such-folder", "missing-model.gguf");
  const chat = support?.scriptedModel ? await (support.scriptedModel as unknown as (text: string, options: object) => Promise<string>)(CHAT_MODEL_ANSWER, { mode: "chat" }) : undefined;
  const lora = support?.tinyLoraAdapter ? await support.tinyLoraAdapter() : undefined;
  const foreignLora = support?.foreignLoraAdapter ? await (support.foreignLoraAdapter as unknown as (kind: string) => Promise<string>)("shape") : undefined;
  const noFim = support?.familyModel ? await (support.familyModel as unknown as (id: string) => Promise<string>)("llama") : undefined;
  const crash = support?.badHyperparameterModel ? await (support.badHyperparameterModel as unknown as (kind: string) => Promise<string>)("blockCount0") : undefined;
  const scripted = support?.scriptedModel as unknown as ((text: string, options: object) => Promise<string>) | undefined;
  const edit = scripted ? await scripted(EDIT_MODEL_ANSWER, { mode: "chat" }) : undefined;
  const commit = scripted ? await scripted(COMMIT_MODEL_ANSWER, { mode: "chat" }) : undefined;
  return { tiny, nonGguf, truncated, missing, chat, lora, foreignLora, noFim, crash, edit, commit };
}

/** The environment variables the in-editor tests read (see test/integration/models.ts). */
export function testModelEnv(models: TestModelPaths): Record<string, string> {
  const env: Record<string, string> = {
    SLM_TEST_MODEL_TINY: models.tiny,
    SLM_TEST_MODEL_NON_GGUF: models.nonGguf,
    SLM_TEST_MODEL_MISSING: models.missing,
  };
  if (models.truncated) env.SLM_TEST_MODEL_TRUNCATED = models.truncated;
  if (models.chat) env.SLM_TEST_MODEL_CHAT = models.chat;
  if (models.lora) env.SLM_TEST_LORA = models.lora;
  if (models.foreignLora) env.SLM_TEST_LORA_FOREIGN = models.foreignLora;
  if (models.noFim) env.SLM_TEST_MODEL_NO_FIM = models.noFim;
  if (models.crash) env.SLM_TEST_MODEL_CRASH = models.crash;
  if (models.edit) env.SLM_TEST_MODEL_EDIT = models.edit;
  if (models.commit) env.SLM_TEST_MODEL_COMMIT = models.commit;
  return env;
}
