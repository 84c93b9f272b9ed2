/** What the local engine holds per model file: the plan from settings, and what was loaded for it. */
import type { LaneFacts } from "../api";
import { LANES, type EngineSettings, type Lane, type ModelSummary } from "../types";
import type { KvStates } from "./kvStates";
import type { LlamaContext, LlamaContextSequence, LlamaModel, LlamaModule } from "./llamaRuntime";

export type Insights = Awaited<ReturnType<LlamaModule["GgufInsights"]["from"]>>;

/** The files a load opens, with the identities the policy approved (see models/fileIdentity.ts). */
export interface Approval {
  readonly files: readonly string[];
  readonly identities: readonly string[];
}

export interface LoadedModel {
  /** Set when a policy checked the files: compared again once llama.cpp has opened them. */
  readonly approved?: Approval;
  /** Path, GPU layers and adapters: a change to any of them loads the file again. */
  readonly key: string;
  readonly instance: LlamaModel;
  readonly summary: ModelSummary;
  readonly insights: Insights;
  readonly flashAttentionSupported: boolean;
  /** The header has a chat template (for the role warnings). */
  readonly chatTemplate: boolean;
}

export interface LoadedContext {
  readonly key: string;
  readonly instance: LlamaContext;
  /** One sequence per lane; for completion, the state its last request ran on is in `completionStates`. */
  readonly sequences: ReadonlyMap<Lane, LlamaContextSequence>;
  /** The completion lane's KV states (several sequences), when this context serves completion. */
  readonly completionStates?: KvStates;
  readonly contextSize: number;
  readonly flashAttention: boolean;
}

/** One model file and the features (lanes) that run on it; two lanes on one file share one load. */
export interface Slot {
  readonly path: string;
  readonly lanes: readonly Lane[];
  readonly model: LoadedModel;
  readonly context: LoadedContext;
  /** Read once per load, on first use. */
  readonly facts: Map<Lane, LaneFacts>;
}

/** A model file checked and read, ready for the fit check and the load. */
export interface PreparedModel {
  readonly approved?: Approval;
  readonly file: string;
  readonly key: string;
  readonly lanes: readonly Lane[];
  readonly sizeBytes: number;
  readonly architecture: string;
  readonly generalName: unknown;
  readonly insights: Insights;
  readonly chatTemplate: boolean;
}

export interface PlannedSlot {
  readonly path: string;
  readonly lanes: readonly Lane[];
}

/** One slot per distinct model file, completion's first; a feature with no model has none. */
export function planSlots(settings: EngineSettings): PlannedSlot[] {
  const slots: { path: string; lanes: Lane[] }[] = [];
  for (const lane of LANES) {
    const file = settings.modelPaths[lane];
    if (!file) continue;
    const slot = slots.find((entry) => entry.path === file);
    if (slot) slot.lanes.push(lane);
    else slots.push({ path: file, lanes: [lane] });
  }
  return slots;
}

export function adaptersFor(slot: PlannedSlot, settings: EngineSettings): EngineSettings["loraAdapters"] {
  return slot.lanes.includes("completion") ? settings.loraAdapters : [];
}

/** LoRA adapters stay in the model's memory until it is disposed, so they are part of the model's key. */
export function modelKey(slot: PlannedSlot, settings: EngineSettings): string {
  return JSON.stringify([slot.path, settings.gpuLayers, adaptersFor(slot, settings)]);
}

export function contextKey(slot: PlannedSlot, settings: EngineSettings): string {
  const lookup = slot.lanes.includes("nextEdit") ? [settings.nextEditPromptLookup, settings.nextEditDraftTokens] : [];
  return JSON.stringify([slot.lanes, settings.contextSize, settings.threads, settings.flashAttention, settings.completionStatesMiB, ...lookup]);
}

/** The loaded models the new settings still want as they are; the others are disposed. */
export async function keepReusableModels(
  slots: readonly Slot[],
  plan: readonly PlannedSlot[],
  next: EngineSettings,
  reloadAll: boolean,
): Promise<Map<string, LoadedModel>> {
  const kept = new Map<string, LoadedModel>();
  for (const slot of slots) {
    const wanted = plan.find((entry) => entry.path === slot.path);
    if (!reloadAll && wanted && slot.model.key === modelKey(wanted, next)) kept.set(slot.path, slot.model);
    else await slot.model.instance.dispose().catch(() => undefined);
  }
  return kept;
}
