import type { ChatTurn } from "./protocol";

/** The part of VS Code's `Memento` (workspaceState) the history needs; tests pass a Map. */
export interface KeyValueStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void> | Promise<void>;
}

export const HISTORY_KEY = "slm.chat.history.v1";
/** Stored conversations larger than this keep only their newest turns (workspaceState is not a database). */
export const MAX_STORED_CHARS = 2_000_000;
export const MAX_STORED_TURNS = 400;

interface StoredHistory {
  readonly version: 1;
  readonly turns: readonly ChatTurn[];
}

/**
 * The conversation of one workspace. Every change is written through to the store, so the
 * history survives closing the view and reloading the window; writes are serialized so an older
 * snapshot never overwrites a newer one.
 */
export class ChatHistory {
  private turnList: ChatTurn[];
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly store: KeyValueStore) {
    this.turnList = readStored(store.get<unknown>(HISTORY_KEY));
  }

  get turns(): readonly ChatTurn[] {
    return this.turnList;
  }

  find(id: string): ChatTurn | undefined {
    return this.turnList.find((turn) => turn.id === id);
  }

  add(...turns: ChatTurn[]): Promise<void> {
    this.turnList.push(...turns);
    return this.persist();
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
    return this.persist();
  }

  /** Resolves when every change so far is stored. */
  flush(): Promise<void> {
    return this.writing;
  }

  private persist(): Promise<void> {
    const snapshot: StoredHistory = { version: 1, turns: boundForStorage(this.turnList) };
    this.writing = this.writing.catch(() => undefined).then(() => this.store.update(HISTORY_KEY, snapshot));
    return this.writing;
  }
}

/** Keeps the newest turns within the storage limits; the live conversation is not touched. */
export function boundForStorage(turns: readonly ChatTurn[]): ChatTurn[] {
  let chars = 0;
  let first = turns.length;
  while (first > 0 && turns.length - first < MAX_STORED_TURNS) {
    const size = turns[first - 1]!.text.length + 200;
    if (chars + size > MAX_STORED_CHARS && first < turns.length) break;
    chars += size;
    first--;
  }
  return turns.slice(first);
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
