/**
 * Several KV states for the completion lane, one node-llama-cpp context sequence each, so that
 * going back to a file visited a minute ago finds its prompt still evaluated (llama-server's
 * equivalent is its RAM prompt cache). How many there are follows a memory budget; they live in
 * the lane's context, so a model or context change clears them.
 */
import type { FillStateUse } from "../api";
import type { LlamaContextSequence, Token } from "./llamaRuntime";

/** A prompt that shares at least this share of its tokens with a held state continues that state. */
const CONTINUE_SHARE = 0.5;
/** More states than this add little (few users switch among more places) and cost memory. */
export const MAX_KV_STATES = 8;

interface State {
  readonly sequence: LlamaContextSequence;
  /** The caller's name for what the state holds (the completion pipeline gives the document). */
  key?: string;
  usedAt: number;
}

export interface StatePick {
  readonly sequence: LlamaContextSequence;
  readonly use: FillStateUse;
}

export class KvStates {
  private readonly states: State[];
  private clock = 0;

  constructor(sequences: readonly LlamaContextSequence[]) {
    if (sequences.length === 0) throw new Error("KvStates needs at least one sequence");
    this.states = sequences.map((sequence) => ({ sequence, usedAt: 0 }));
  }

  get count(): number {
    return this.states.length;
  }

  /** The state the last request ran on (benchmarks inspect what it left). */
  get latest(): LlamaContextSequence {
    return this.states.reduce((a, b) => (b.usedAt > a.usedAt ? b : a)).sequence;
  }

  /**
   * The state a prompt runs on: the one of the same key (the same file: typing forward continues
   * it, a move within the file replaces its tail or all of it); for a key with no state, an
   * empty one, else one that already holds most of the prompt, else the least recently used,
   * whose prompt is forgotten. Other keys' states are left alone, so going back to them is free.
   */
  pick(prompt: readonly Token[], key: string | undefined): StatePick {
    const sameKey = key === undefined ? undefined : this.states.find((state) => state.key === key);
    let chosen: State;
    let use: FillStateUse;
    if (sameKey) {
      chosen = sameKey;
      use = this.shared(sameKey, prompt) >= CONTINUE_SHARE * prompt.length ? "continued" : "replaced";
    } else {
      const empty = this.states.find((state) => state.sequence.nextTokenIndex === 0);
      const best = this.mostShared(prompt);
      if (best && key === undefined && best.shared >= CONTINUE_SHARE * prompt.length) [chosen, use] = [best.state, "continued"];
      else if (empty) [chosen, use] = [empty, "new"];
      else if (best && best.shared >= CONTINUE_SHARE * prompt.length) [chosen, use] = [best.state, "continued"];
      else [chosen, use] = [this.states.reduce((a, b) => (b.usedAt < a.usedAt ? b : a)), "evicted"];
    }
    chosen.key = key;
    chosen.usedAt = ++this.clock;
    return { sequence: chosen.sequence, use };
  }

  private shared(state: State, prompt: readonly Token[]): number {
    return state.sequence.nextTokenIndex === 0 ? 0 : state.sequence.compareContextTokens(prompt as Token[]).firstDifferentIndex;
  }

  private mostShared(prompt: readonly Token[]): { state: State; shared: number } | undefined {
    let best: { state: State; shared: number } | undefined;
    for (const state of this.states) {
      const shared = this.shared(state, prompt);
      if (shared > 0 && (!best || shared > best.shared)) best = { state, shared };
    }
    return best;
  }
}

/**
 * How many KV states fit `budgetBytes` when each costs `bytesPerState` (a context sequence's
 * KV cache at the lane's context size): at least one, at most MAX_KV_STATES.
 */
export function kvStateCount(budgetBytes: number, bytesPerState: number): number {
  if (!(bytesPerState > 0) || !Number.isFinite(budgetBytes)) return 1;
  return Math.max(1, Math.min(MAX_KV_STATES, Math.floor(budgetBytes / bytesPerState)));
}
