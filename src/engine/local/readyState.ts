/** The engine's state once models are loaded, and what the user should be told about them. */
import { roleWarnings } from "../modelRoles";
import { fitContextToModel } from "../settings";
import type { EngineError, EngineSettings, EngineState, Lane, LaneModel } from "../types";
import type { Llama } from "./llamaRuntime";
import type { Slot } from "./slots";

export interface LoadedFacts {
  readonly slots: readonly Slot[];
  readonly settings?: EngineSettings;
  readonly backend?: { readonly gpu: string; readonly instance: Llama; readonly note?: string };
  /** Features whose own model failed to load while the other feature's model loaded. */
  readonly laneErrors: Readonly<Partial<Record<Lane, EngineError>>>;
}

export function readyState(facts: LoadedFacts, busy: boolean, notices: readonly string[]): EngineState {
  const { slots, settings, backend, laneErrors } = facts;
  const first = slots[0]!;
  const lanes: Partial<Record<Lane, LaneModel>> = {};
  for (const slot of slots) for (const lane of slot.lanes) lanes[lane] = { path: slot.path, name: slot.model.summary.name };
  return {
    kind: busy ? "busy" : "ready",
    modelPath: first.path,
    modelName: [...new Set(slots.map((slot) => slot.model.summary.name))].join(" + "),
    lanes,
    contextSize: Math.min(...slots.map((slot) => slot.context.contextSize)),
    threads: settings?.threads,
    gpu: backend?.instance.gpu === false ? "cpu" : String(backend?.instance.gpu),
    backendNote: backend?.note,
    gpuLayers: first.model.instance.gpuLayers,
    flashAttention: first.context.flashAttention,
    laneErrors: Object.keys(laneErrors).length > 0 ? { ...laneErrors } : undefined,
    loraAdapters: settings?.loraAdapters.length ? settings.loraAdapters : undefined,
    models: slots.map((slot) => ({ lanes: slot.lanes, summary: slot.model.summary })),
    notices: [...notices, ...loadNotices(facts)],
  };
}

/** Clamped context sizes, a backend that fell back, and models that do not suit their feature. */
export function loadNotices(facts: LoadedFacts): string[] {
  const { slots, settings, backend } = facts;
  if (!settings) return [];
  const notices: string[] = [];
  if (backend?.note && backend.gpu !== "auto") notices.push(backend.note);
  for (const slot of slots) {
    const { notice } = fitContextToModel(settings.contextSize, slot.model.summary.trainContextSize, slot.path);
    if (notice) notices.push(notice);
    notices.push(...roleWarnings(slot.lanes, { name: slot.model.summary.name, file: slot.path, chatTemplate: slot.model.chatTemplate }));
  }
  return notices;
}
