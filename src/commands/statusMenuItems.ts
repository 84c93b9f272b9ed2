import type { EngineState, Lane } from "../engine/types";
import { threadsLabel } from "../engine/cpuLoad";
import { Commands, type CommandId } from "./ids";
import { plainText } from "../util/codicons";

/** One row of the status bar's menu (structurally a vscode.QuickPickItem, minus the separator kind). */
export interface StatusMenuEntry {
  readonly label: string;
  readonly detail?: string;
  readonly command?: CommandId;
  /** A line between groups; vscode's QuickPickItemKind.Separator. */
  readonly separator?: true;
}

/** The four ways from "no model" to a working assistant, in the order the walkthrough shows them. */
export const GET_A_MODEL: readonly StatusMenuEntry[] = [
  { label: "$(file) Choose a .gguf file…", detail: "Use a GGUF model file on this machine (saved in slm.modelPath).", command: Commands.selectModel },
  {
    label: "$(folder-library) Scan a models folder…",
    detail: "Choose a folder; its models are listed with what each file's header says (slm.modelsDirectory).",
    command: Commands.chooseModelsFolder,
  },
  {
    label: "$(cloud-download) Download a recommended model…",
    detail: "Needs slm.allowNetwork switched on; nothing else in SLM Assistant uses the network.",
    command: Commands.downloadModel,
  },
  { label: "$(book) Open the walkthrough", detail: "Get started step by step: choose a model, try completion and chat, see what runs.", command: Commands.openWalkthrough },
];

function describeLane(state: EngineState, lane: Lane): string {
  const model = state.lanes?.[lane];
  const setting = `slm.${lane}.modelPath`;
  return model ? `Now: ${plainText(model.name)}. A model for ${lane} only (${setting}).` : `A model for ${lane} only (${setting}).`;
}

/**
 * The status bar's menu: what is happening, then the actions that make sense now. With no model
 * the menu is a call to action: the ways to get one come first. No `vscode` here, so it is unit-tested.
 */
export function statusMenuItems(state: EngineState): StatusMenuEntry[] {
  const items: StatusMenuEntry[] = [];
  if (state.kind === "error" && state.error) {
    items.push({ label: "$(error) The model failed to load", detail: state.error.message });
  } else if (state.kind === "ready" || state.kind === "busy") {
    items.push({
      label: `$(check) ${plainText(state.modelName ?? "Model")} is ready`,
      detail: `${state.modelPath} · ${state.contextSize} tokens · threads: ${threadsLabel(state)} · ${state.gpu}`,
    });
  } else if (state.kind === "loading") {
    items.push({ label: `$(loading~spin) Loading ${Math.round((state.progress ?? 0) * 100)}%`, detail: state.modelPath });
  } else if (state.kind === "unloaded") {
    items.push({ label: `$(debug-pause) ${plainText(state.modelName ?? "The model")} is unloaded`, detail: "Freed after slm.unloadAfterMinutes without use; the next request loads it again." });
  } else {
    items.push({ label: "$(circle-slash) No model is set", detail: "Choose one of the ways below to get a model; it runs on this machine." });
  }
  for (const [lane, error] of Object.entries(state.laneErrors ?? {})) {
    items.push({ label: `$(error) The ${lane} model failed to load`, detail: error.message, command: lane === "chat" ? Commands.selectChatModel : Commands.selectCompletionModel });
  }
  for (const notice of state.notices) items.push({ label: "$(warning) Note", detail: notice });
  items.push({ label: "", separator: true });
  if (state.kind === "noModel") {
    items.push(...GET_A_MODEL);
    items.push({ label: "", separator: true });
  } else {
    items.push({ label: "$(folder-opened) Select Model…", detail: "For completion and chat (slm.modelPath).", command: Commands.selectModel });
    items.push({ label: "$(symbol-snippet) Select Completion Model…", detail: describeLane(state, "completion"), command: Commands.selectCompletionModel });
    items.push({ label: "$(comment-discussion) Select Chat Model…", detail: describeLane(state, "chat"), command: Commands.selectChatModel });
    if (state.modelPath) items.push({ label: "$(refresh) Reload Model", command: Commands.reloadModel });
  }
  items.push({ label: "$(output) Show Log", command: Commands.showLog });
  items.push({ label: "$(gear) Open Settings", command: Commands.openSettings });
  return items;
}
