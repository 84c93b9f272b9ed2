import * as vscode from "vscode";
import type { ChatFeature, OpenChatArgs } from "../chat/editor/chatFeature";
import type { CompletionFeature } from "../completion/editor/feature";
import type { EditArgs, EditFeature } from "../edit/editor/editFeature";
import type { Engine } from "../engine/api";
import type { ModelPolicy } from "../modelPolicy";
import type { ServerKeys } from "../serverKeys";
import { setServerApiKey } from "./setServerApiKey";
import type { NextEditFeature } from "../nextEdit/editor/feature";
import { chooseModelsFolder } from "./chooseModelsFolder";
import { downloadModel } from "./downloadModel";
import { Commands, type CommandId } from "./ids";
import { selectModel } from "./selectModel";
import { RuntimeReportDocument, showRuntimeInfo } from "./showRuntimeInfo";
import { showStatusMenu } from "./statusMenu";
import type { FirstRun } from "../firstRun/firstRun";
import { writeCommitMessage } from "../scm/editor/commitMessage";

export interface CommandTargets {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  readonly engine: Engine;
  readonly policy: ModelPolicy;
  readonly completion: CompletionFeature;
  readonly chat: ChatFeature;
  readonly edit: EditFeature;
  readonly keys: ServerKeys;
  readonly nextEdit: NextEditFeature;
  readonly firstRun: FirstRun;
}

/** Every command the extension contributes, in one table: the id and what it does. */
export function registerCommands(targets: CommandTargets): vscode.Disposable[] {
  const { context, log, engine, policy, completion, chat, edit, keys, nextEdit, firstRun } = targets;
  const runtimeReport = new RuntimeReportDocument();
  const handlers: Readonly<Record<CommandId, (...args: never[]) => unknown>> = {
    [Commands.selectModel]: () => selectModel("both"),
    [Commands.selectCompletionModel]: () => selectModel("completion"),
    [Commands.selectChatModel]: () => selectModel("chat"),
    [Commands.downloadModel]: (arg?: unknown) => downloadModel(context, log, arg),
    [Commands.chooseModelsFolder]: chooseModelsFolder,
    [Commands.openWalkthrough]: () => firstRun.openWalkthrough(),
    [Commands.reloadModel]: () => engine.reload(),
    [Commands.showLog]: () => log.show(true),
    [Commands.statusMenu]: () => showStatusMenu(engine),
    [Commands.showRuntimeInfo]: () => showRuntimeInfo(engine, context.globalState, policy, runtimeReport),
    [Commands.openSettings]: () => vscode.commands.executeCommand("workbench.action.openSettings", "@ext:slm-assistant.slm-assistant"),
    [Commands.openChat]: (args?: OpenChatArgs) => chat.openChat(args),
    [Commands.newChat]: () => chat.newChat(),
    [Commands.explainSelection]: () => chat.explain("explain"),
    [Commands.summarizeSelection]: () => chat.explain("summarize"),
    [Commands.toggleCompletion]: () => completion.toggle(),
    [Commands.triggerCompletion]: () => vscode.commands.executeCommand("editor.action.inlineSuggest.trigger"),
    [Commands.copyForContext]: () => completion.copyForContext(),
    [Commands.editSelection]: (args?: EditArgs) => edit.editSelection(args),
    [Commands.editAcceptAll]: () => edit.acceptAll(),
    [Commands.editRejectAll]: () => edit.rejectAll(),
    [Commands.editAcceptChange]: (index?: number) => edit.acceptChange(typeof index === "number" ? index : undefined),
    [Commands.editRejectChange]: (index?: number) => edit.rejectChange(typeof index === "number" ? index : undefined),
    [Commands.commitMessage]: (arg?: unknown) => writeCommitMessage(engine, log, arg),
    [Commands.setServerApiKey]: () => setServerApiKey(keys, log),
    [Commands.selectNextEditModel]: () => selectModel("nextEdit"),
    [Commands.nextEditTab]: () => nextEdit.tab(),
    [Commands.nextEditDismiss]: () => nextEdit.dismiss(),
  };
  return [
    runtimeReport.register(),
    ...Object.entries(handlers).map(([id, handler]) => vscode.commands.registerCommand(id, handler as (...args: unknown[]) => unknown)),
  ];
}
