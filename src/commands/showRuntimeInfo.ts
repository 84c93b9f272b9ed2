import * as vscode from "vscode";
import { SECTION } from "../config";
import type { LocalModelEngine } from "../engine/engine";
import { type HashCacheStore, modelSha256 } from "../engine/modelHash";
import type { ModelPolicy } from "../modelPolicy";
import { runtimeReport } from "./runtimeInfo";

/**
 * Opens a Markdown report of what runs (model file, SHA-256, backend, threads, context size,
 * network) and returns its text. The hash comes from the same cache the allowlist uses.
 */
export async function showRuntimeInfo(engine: LocalModelEngine, store: HashCacheStore, policy: ModelPolicy): Promise<string> {
  const state = engine.state;
  let sha256 = "no model file";
  if (state.modelPath) {
    const file = state.modelPath;
    try {
      const hash = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: "SLM: hashing the model file" }, () => modelSha256(file, store));
      sha256 = hash.sha256;
    } catch (error) {
      sha256 = `cannot be computed (${error instanceof Error ? error.message : String(error)})`;
    }
  }
  const report = runtimeReport({
    state,
    summary: engine.modelSummary,
    sha256,
    allowNetwork: vscode.workspace.getConfiguration(SECTION).get<boolean>("allowNetwork", false) === true,
    allowlistSize: policy.allowlistSize,
  });
  const document = await vscode.workspace.openTextDocument({ language: "markdown", content: report });
  await vscode.window.showTextDocument(document, { preview: true });
  return report;
}
