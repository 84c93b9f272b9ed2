// What the in-editor tests share: the extension's API, a precise wait on its state, settings edits,
// and the test models (resolved by the launcher and passed in the environment).
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import type { SlmApi } from "../../src/api";
import type { EngineState } from "../../src/engine/types";

export const EXTENSION_ID = "slm-assistant.slm-assistant";
export const TINY_MODEL_NAME = "SLM demo model (random weights)";

export async function extensionApi(): Promise<SlmApi> {
  const extension = vscode.extensions.getExtension<SlmApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not installed in this editor`);
  const api = extension.isActive ? extension.exports : await extension.activate();
  assert.ok(api && typeof api.state === "function", "activate() did not return the SLM API");
  return api;
}

export interface TestModels {
  readonly tiny: string;
  readonly nonGguf: string;
  readonly missing: string;
  readonly truncated?: string;
  /** Answers "Hello from the chat model." to anything (see test/harness/testModels.ts). */
  readonly chat?: string;
  readonly lora?: string;
  readonly foreignLora?: string;
  readonly noFim?: string;
  /** Makes llama.cpp abort while loading (once our header check is switched off). */
  readonly crash?: string;
  /** Chat models that answer EDIT_MODEL_ANSWER and COMMIT_MODEL_ANSWER (test/support/scriptedAnswers.ts). */
  readonly edit?: string;
  readonly commit?: string;
}

export function testModels(): TestModels {
  const need = (name: string): string => {
    const value = process.env[name];
    assert.ok(value, `${name} is not set: run these tests through test/harness/runIntegration`);
    return value;
  };
  return {
    tiny: need("SLM_TEST_MODEL_TINY"),
    nonGguf: need("SLM_TEST_MODEL_NON_GGUF"),
    missing: need("SLM_TEST_MODEL_MISSING"),
    truncated: process.env.SLM_TEST_MODEL_TRUNCATED || undefined,
    chat: process.env.SLM_TEST_MODEL_CHAT || undefined,
    lora: process.env.SLM_TEST_LORA || undefined,
    foreignLora: process.env.SLM_TEST_LORA_FOREIGN || undefined,
    noFim: process.env.SLM_TEST_MODEL_NO_FIM || undefined,
    crash: process.env.SLM_TEST_MODEL_CRASH || undefined,
    edit: process.env.SLM_TEST_MODEL_EDIT || undefined,
    commit: process.env.SLM_TEST_MODEL_COMMIT || undefined,
  };
}

/** Updates an `slm.*` user setting, as the Settings UI does. `undefined` removes it. */
export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration("slm").update(key, value, vscode.ConfigurationTarget.Global);
}

/**
 * Resolves with the first state (the current one or a later one) that satisfies `predicate`.
 * Unlike api.waitFor(kind), it cannot be satisfied by the state from before a settings change.
 */
export function waitUntil(
  api: SlmApi,
  predicate: (state: EngineState) => boolean,
  what: string,
  timeoutMs = 30_000,
  /** A state that means the wait is hopeless (fails at once instead of timing out). */
  failOn?: (state: EngineState) => boolean,
): Promise<EngineState> {
  if (predicate(api.state())) return Promise.resolve(api.state());
  if (failOn?.(api.state())) return Promise.reject(new Error(`Gave up waiting for ${what}: ${describeState(api.state())}`));
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const timer = setTimeout(() => {
      listener.dispose();
      reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; states seen: ${seen.join(" → ") || "none"}; now ${describeState(api.state())}`));
    }, timeoutMs);
    const listener = api.onDidChangeState((state) => {
      seen.push(state.kind);
      if (failOn?.(state)) {
        clearTimeout(timer);
        listener.dispose();
        reject(new Error(`Gave up waiting for ${what}: ${describeState(state)}`));
        return;
      }
      if (!predicate(state)) return;
      clearTimeout(timer);
      listener.dispose();
      resolve(state);
    });
  });
}

export function describeState(state: EngineState): string {
  const parts: string[] = [state.kind];
  if (state.modelName) parts.push(`model=${state.modelName}`);
  if (state.modelPath) parts.push(`path=${state.modelPath}`);
  if (state.error) parts.push(`error=${state.error.message}`);
  return parts.join(" ");
}

export function isReadyWith(path: string): (state: EngineState) => boolean {
  return (state) => state.kind === "ready" && state.modelPath === path;
}

/** Waits for `path` to be loaded and ready; fails at once if loading it ends in an error. */
export function waitForReady(api: SlmApi, path: string, what = `ready with ${path}`, predicate = isReadyWith(path)): Promise<EngineState> {
  return waitUntil(api, predicate, what, 30_000, (s) => s.kind === "error" && s.modelPath === path);
}
