import * as vscode from "vscode";
import { SECTION } from "../config";
import type { LocalModelEngine } from "../engine/engine";
import { type HashCacheStore, modelSha256 } from "../engine/modelHash";
import type { ModelPolicy } from "../modelPolicy";
import { runtimeReport } from "./runtimeInfo";

/**
 * Opens a Markdown report of what runs (model files, SHA-256, backend, threads, context size,
 * network) and returns its text. Hashes come from the same cache the allowlist uses.
 */
export async function showRuntimeInfo(engine: LocalModelEngine, store: HashCacheStore, policy: ModelPolicy): Promise<string> {
  const state = engine.state;
  const hashOf = async (file: string): Promise<string> => {
    try {
      const hash = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: "SLM: hashing the model file" }, () => modelSha256(file, store));
      return hash.sha256;
    } catch (error) {
      return `cannot be computed (${error instanceof Error ? error.message : String(error)})`;
    }
  };
  const models = [];
  for (const model of engine.loadedModels) models.push({ ...model, sha256: await hashOf(model.summary.path) });
  const report = runtimeReport({
    state,
    models,
    sha256: models.length === 0 && state.modelPath ? await hashOf(state.modelPath) : "no model file",
    allowNetwork: vscode.workspace.getConfiguration(SECTION).get<boolean>("allowNetwork", false) === true,
    allowlistSize: policy.allowlistSize,
  });
  const document = await vscode.workspace.openTextDocument({ language: "markdown", content: report });
  await vscode.window.showTextDocument(document, { preview: true });
  return report;
}
