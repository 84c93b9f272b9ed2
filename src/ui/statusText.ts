import type { EngineState } from "../engine/types";
import { remoteStatusText } from "./remoteText";
import { plainText, shorten } from "../util/codicons";

const MAX_NAME = 32;

/** The status bar's text for each engine state (codicons in `$(...)`); no `vscode` needed. */
export function statusText(state: EngineState): { text: string; background?: string } {
  const remote = state.kind === "loading" || state.kind === "error" ? undefined : remoteStatusText(state);
  if (remote) return remote;
  switch (state.kind) {
    case "noModel":
      return { text: "$(circle-slash) SLM: choose a model", background: "statusBarItem.warningBackground" };
    case "loading":
      return { text: `$(loading~spin) SLM: loading ${Math.round((state.progress ?? 0) * 100)}%` };
    case "ready":
      // One feature's model failed while the other's runs: still usable, but not all is well.
      if (state.laneErrors) return { text: `$(warning) SLM · ${modelLabel(state, "ready")}${backend(state.gpu)}`, background: "statusBarItem.warningBackground" };
      return { text: `$(check) SLM · ${modelLabel(state, "ready")}${backend(state.gpu)}` };
    case "busy":
      // A still icon, not a spinner: an animation that runs for a whole chat answer costs the
      // workbench a repaint every frame, and typing slowed about 6-10x under it (measured by
      // test/e2e/keystrokeLatency). The name stays, so background work does not hide the model.
      return { text: `$(sync) SLM · ${modelLabel(state, "busy")}${backend(state.gpu)}` };
    case "error":
      if (state.error?.code === "engineStopped" || state.error?.code === "crashedEngine") {
        return { text: "$(error) SLM: engine stopped", background: "statusBarItem.errorBackground" };
      }
      return { text: "$(error) SLM: model error", background: "statusBarItem.errorBackground" };
    case "unloaded":
      return { text: `$(debug-pause) SLM: idle, unloaded` };
  }
}

/** " · CPU", " · CUDA"…: the backend in use, so "why is it slow?" has an answer at a glance. */
function backend(gpu: string | undefined): string {
  if (!gpu) return "";
  const labels: Record<string, string> = { cpu: "CPU", cuda: "CUDA", vulkan: "Vulkan", metal: "Metal" };
  return ` · ${labels[gpu] ?? gpu}`;
}

/**
 * The model's name, or both names shortened when completion and chat run different models.
 * A name that starts with "SLM" loses it: the item says "SLM · demo model", not "SLM: SLM demo model".
 */
function modelLabel(state: EngineState, fallback: string): string {
  const { completion, chat } = state.lanes ?? {};
  if (completion && chat && completion.path !== chat.path) {
    const half = 24; // two names get more room than one: the status bar item may be wider then
    return `${shortName(completion.name, half)} + ${shortName(chat.name, half)}`;
  }
  return shortName(state.modelName ?? fallback, MAX_NAME);
}

function shortName(name: string, max: number): string {
  return plainText(shorten(name.replace(/^SLM\b[\s:·-]*/i, "") || name, max));
}

