import * as vscode from "vscode";
import type { Engine } from "./engine/api";
import type { EngineState, EngineStateKind } from "./engine/types";
import type { CompletionActivity } from "./completion/editor/statusItem";
import type { NextEditApi } from "./nextEdit/editor/feature";

/** What the extension returns from activate(): used by tests and by other extensions. */
export interface SlmApi {
  /** Milliseconds activate() took, measured inside it. */
  readonly activationMs: number;
  /** True if the model had started loading before activate() returned (it must not). */
  readonly loadedWhileActivating: boolean;
  state(): EngineState;
  readonly onDidChangeState: vscode.Event<EngineState>;
  /** Inline completion, as the editor sees it (for tests and diagnostics). */
  readonly completion?: CompletionApi;
  /** Next-edit suggestions, as the editor sees them (for tests and diagnostics). */
  nextEdit?: NextEditApi;
  /** The engine process's id, when the model runs in its own process (slm.engine.host: process). */
  enginePid(): number | undefined;
  /** Resolves with the first state (current or future) of one of `kinds`. */
  waitFor(kinds: EngineStateKind | readonly EngineStateKind[], timeoutMs?: number): Promise<EngineState>;
}

export interface CompletionApi {
  /** The status item's current activity: what happened to the last request. */
  activity(): CompletionActivity;
  /** How many requests reached the model (cache hits and gated requests do not). */
  modelCalls(): number;
  /** How many idle warm-ups started (none for read-only or generated documents). */
  warmUps(): number;
}

export function createApi(
  engine: Engine,
  timing: { activationMs: number; loadedWhileActivating: boolean },
  completion?: CompletionApi,
): SlmApi & vscode.Disposable {
  const emitter = new vscode.EventEmitter<EngineState>();
  const subscription = engine.onDidChangeState((state) => emitter.fire(state));
  return {
    ...timing,
    completion,
    state: () => engine.state,
    enginePid: () => (engine as { readonly pid?: number }).pid,
    onDidChangeState: emitter.event,
    waitFor(kinds, timeoutMs = 60_000) {
      const wanted = new Set(typeof kinds === "string" ? [kinds] : kinds);
      if (wanted.has(engine.state.kind)) return Promise.resolve(engine.state);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listener.dispose();
          reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${[...wanted].join("/")}; state is ${engine.state.kind}`));
        }, timeoutMs);
        const listener = emitter.event((state) => {
          if (!wanted.has(state.kind)) return;
          clearTimeout(timer);
          listener.dispose();
          resolve(state);
        });
      });
    },
    dispose() {
      subscription.dispose();
      emitter.dispose();
    },
  };
}
