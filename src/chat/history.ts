import type { ChatTurn } from "./protocol";

/** The part of VS Code's `Memento` (workspaceState) the history needs; tests pass a Map. */
export interface KeyValueStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void> | Promise<void>;
}

export const HISTORY_KEY = "slm.chat.history.v1";
/**
 * A conversation keeps its newest turns within these bounds, in memory, in the view and in
 * storage alike (workspaceState is not a database, and a chat view of thousands of rendered
 * answers is not usable); the oldest question-and-answer pairs are dropped first, and the view
 * says how many were.
 */
export const MAX_HISTORY_CHARS = 2_000_000;
export const MAX_HISTORY_TURNS = 400;

interface StoredHistory {
  readonly version: 1;
  readonly turns: readonly ChatTurn[];
  /** Turns dropped from this conversation so far (to keep it within the bounds). */
  readonly dropped?: number;
}

/**
 * The conversation of one workspace. Every change is written through to the store, so the
 * history survives closing the view and reloading the window; writes are serialized so an older
 * snapshot never overwrites a newer one.
 */
export class ChatHistory {
  private turnList: ChatTurn[];
  private droppedCount: number;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly store: KeyValueStore) {
    const stored = store.get<unknown>(HISTORY_KEY);
    const turns = readStored(stored);
    // A store written before the bounds (or by hand) may hold more.
    this.turnList = withinBounds(turns);
    this.droppedCount = readDropped(stored) + turns.length - this.turnList.length;
  }

  get turns(): readonly ChatTurn[] {
    return this.turnList;
  }

  /** Turns dropped from this conversation so far, to keep it within the bounds. */
  get dropped(): number {
    return this.droppedCount;
  }

  find(id: string): ChatTurn | undefined {
    return this.turnList.find((turn) => turn.id === id);
  }

  /** Adds turns, dropping the oldest ones beyond the bounds (never those added): returns the ids dropped. */
  add(...turns: ChatTurn[]): { readonly stored: Promise<void>; readonly dropped: readonly string[] } {
    this.turnList.push(...turns);
    const kept = withinBounds(this.turnList, turns.length);
    const dropped = this.turnList.slice(0, this.turnList.length - kept.length).map((turn) => turn.id);
    this.turnList = kept;
    this.droppedCount += dropped.length;
    return { stored: this.persist(), dropped };
  }

  /** Replaces the turn with the same id (e.g. an answer that grew or ended). */
  replace(turn: ChatTurn): Promise<void> {
    const index = this.turnList.findIndex((t) => t.id === turn.id);
    if (index < 0) this.turnList.push(turn);
    else this.turnList[index] = turn;
    return this.persist();
  }

  clear(): Promise<void> {
    this.turnList = [];
    this.droppedCount = 0;
    return this.persist();
  }

  /** Resolves when every change so far is stored. */
  flush(): Promise<void> {
    return this.writing;
  }

  private persist(): Promise<void> {
    // Answers grow after they are added: bounded again here, so the stored copy never exceeds the bounds.
    const turns = withinBounds(this.turnList);
    const snapshot: StoredHistory = { version: 1, turns, dropped: this.droppedCount + this.turnList.length - turns.length };
    this.writing = this.writing.catch(() => undefined).then(() => this.store.update(HISTORY_KEY, snapshot));
    return this.writing;
  }
}

/**
 * The newest turns within the bounds, starting with a question (an answer whose question was
 * dropped is dropped with it). The last `keepLast` turns (those just added), and at least the
 * newest question and answer, are always kept.
 */
export function withinBounds(turns: readonly ChatTurn[], keepLast = 0): ChatTurn[] {
  const kept = Math.max(keepLast, 2);
  let chars = 0;
  let first = turns.length;
  while (first > 0) {
    const size = turns[first - 1]!.text.length + 200;
    const mustKeep = turns.length - first < kept;
    if (!mustKeep && (turns.length - first >= MAX_HISTORY_TURNS || chars + size > MAX_HISTORY_CHARS)) break;
    chars += size;
    first--;
  }
  while (first < turns.length - kept && turns[first]!.role === "assistant") first++;
  return first === 0 ? [...turns] : turns.slice(first);
}

function readDropped(value: unknown): number {
  const dropped = typeof value === "object" && value !== null ? (value as { dropped?: unknown }).dropped : undefined;
  return typeof dropped === "number" && Number.isSafeInteger(dropped) && dropped > 0 ? dropped : 0;
}

/** Reads what an earlier version (or a damaged store) left, keeping only well-formed turns. */
export function readStored(value: unknown): ChatTurn[] {
  if (typeof value !== "object" || value === null) return [];
  const turns = (value as { turns?: unknown }).turns;
  if (!Array.isArray(turns)) return [];
  return turns.filter(isTurn).map((turn) =>
    // An answer that was streaming when the window closed ends as stopped, with what it had.
    turn.role === "assistant" && !turn.end ? { ...turn, end: "stopped", notes: [...(turn.notes ?? []), "Stopped when the window closed."] } : turn,
  );
}

function isTurn(value: unknown): value is ChatTurn {
  if (typeof value !== "object" || value === null) return false;
  const turn = value as Partial<ChatTurn>;
  return (
    typeof turn.id === "string" &&
    (turn.role === "user" || turn.role === "assistant") &&
    typeof turn.text === "string" &&
    (turn.notes === undefined || (Array.isArray(turn.notes) && turn.notes.every((n) => typeof n === "string")))
  );
}
