import * as vscode from "vscode";
import { createEngine, type LogLevel } from "./engine";
import { readMachineFacts } from "./engine/settings";
import { readSettings } from "./config";
import { createApi, type SlmApi } from "./api";
import { ChatFeature } from "./chat/editor/chatFeature";
import { CompletionFeature } from "./completion/editor/feature";
import { registerCommands } from "./commands/register";
import { EditFeature } from "./edit/editor/editFeature";
import { FirstRun } from "./firstRun/firstRun";
import { registerChatModelProvider } from "./lm/editor/provider";
import { ModelController } from "./modelController";
import { ModelPolicy } from "./modelPolicy";
import { ServerKeys } from "./serverKeys";
import { NextEditFeature } from "./nextEdit/editor/feature";
import { EngineStatusBar } from "./ui/statusBar";

/**
 * Only constructs objects and registers them. The model (and node-llama-cpp itself) loads after
 * activation has returned, so the editor never waits for it.
 */
export function activate(context: vscode.ExtensionContext): SlmApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel("SLM Assistant", { log: true });
  context.subscriptions.push(log);

  // The policy and the keys are consulted only when a model loads or a server is asked, after activate() returns.
  const keys = new ServerKeys(context.secrets, () => engine.keysChanged());
  context.subscriptions.push(keys);
  const engine = createEngine({
    host: readSettings().engineHost,
    scriptPath: context.asAbsolutePath("dist/engineHost.js"),
    machine: readMachineFacts(),
    log: logTo(log),
    checkModel: (files, signal) => policy.check(files, signal),
    crashedModels: crashedModelsIn(context.globalState),
    remote: { apiKey: keys.get, refuseModel: (model, server) => policy.refuseRemote(model, server) },
  });
  context.subscriptions.push({ dispose: () => void engine.dispose() });
  const policy = new ModelPolicy(context.globalState, log, () => {
    log.info("slm.allowedModelHashes changed; reloading the model to apply it.");
    void engine.reload();
  });
  context.subscriptions.push(policy);

  const controller = new ModelController(engine, log);
  context.subscriptions.push(controller, new EngineStatusBar(engine));
  const chat = new ChatFeature(context, engine, log);
  context.subscriptions.push(chat);
  // Typing comes first: where the model's threads leave the editor too few cores, a chat answer or
  // a next-edit prediction waits while the user types (engine/local/typingGate.ts). A cursor move
  // in the active editor counts too: it comes just before typing, so the engine is already held
  // when the first key arrives.
  context.subscriptions.push(
    vscode.workspace.onDidChangeTextDocument((event) => {
      if (event.contentChanges.length > 0 && event.document === vscode.window.activeTextEditor?.document) engine.noteTyping();
    }),
    vscode.window.onDidChangeTextEditorSelection((event) => {
      if (event.textEditor === vscode.window.activeTextEditor) engine.noteTyping();
    }),
  );
  const completion = new CompletionFeature(engine, log);
  context.subscriptions.push(completion);
  const nextEdit = new NextEditFeature(engine, log);
  context.subscriptions.push(nextEdit);
  const firstRun = new FirstRun(engine, context.globalState, completion.onDidShowSuggestion);
  context.subscriptions.push(firstRun);
  context.subscriptions.push(registerChatModelProvider(engine, () => readSettings().chat, log));
  const edit = new EditFeature(engine, log);
  context.subscriptions.push(edit);

  context.subscriptions.push(...registerCommands({ context, log, engine, policy, completion, chat, edit, keys, nextEdit, firstRun }));

  const loadedWhileActivating = engine.state.kind !== "noModel";
  const activationMs = performance.now() - started;
  const api = createApi(engine, { activationMs, loadedWhileActivating }, completion.api);
  api.nextEdit = nextEdit.api;
  context.subscriptions.push(api);

  log.info(`Activated in ${activationMs.toFixed(1)} ms; the model loads in the background. ${readSettings().allowNetwork ? "slm.allowNetwork is on: connections go only to a configured server (slm.engine.server) and to downloads you start." : "No network connections are made."}`);
  setTimeout(() => void controller.start(), 0);
  setTimeout(() => void firstRun.offerOnce(), 0);
  return api;
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}

const CRASHED_MODELS_KEY = "slm.crashedModels";

/** Model files that crashed the engine while loading, remembered across restarts of the editor. */
function crashedModelsIn(store: vscode.Memento): { read(): readonly string[]; write(files: readonly string[]): void } {
  return {
    read: () => {
      const files = store.get<unknown>(CRASHED_MODELS_KEY, []);
      return Array.isArray(files) ? files.filter((file): file is string => typeof file === "string") : [];
    },
    write: (files) => void store.update(CRASHED_MODELS_KEY, [...files]),
  };
}

function logTo(channel: vscode.LogOutputChannel): (level: LogLevel, message: string) => void {
  return (level, message) => {
    switch (level) {
      case "debug":
        channel.debug(message);
        break;
      case "info":
        channel.info(message);
        break;
      case "warn":
        channel.warn(message);
        break;
      case "error":
        channel.error(message);
        break;
    }
  };
}
