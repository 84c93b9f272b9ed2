import { randomUUID } from "node:crypto";
import { EngineUnavailableError, type ChatResult, type Engine, type PromptMessage } from "../engine/api";
import type { EngineState } from "../engine/types";
import type { ChatHistory } from "./history";
import type { AnswerEnd, ChatTurn, HostMessage, ModelStatus, Notice, NoticeAction } from "./protocol";
import type { ChatSettings } from "./settings";

/** Where the service sends what the view must show; absent while the view is closed. */
export interface ChatSink {
  post(message: HostMessage): void;
}

export type ChatEngine = Pick<Engine, "chat" | "state" | "onDidChangeState">;

interface Running {
  readonly answerId: string;
  readonly abort: AbortController;
  text: string;
  stopNote?: string;
  ended: boolean;
  readonly done: Promise<void>;
}

/** Streaming answers are written to the store at most this often (a reload keeps what was said). */
const PERSIST_EVERY_MS = 1_000;
/**
 * Deltas are batched to one webview message per 100 ms: each message passes through the
 * workbench's main thread (the one that handles the user's keys), and the view renders a
 * streaming answer at most every 120 ms anyway (media/chat/render.ts).
 */
const DELTA_FLUSH_MS = 100;

/** Earlier conversation sent with a question at most: far more than any context this runs holds (~4 characters a token). */
export const MAX_PROMPT_HISTORY_CHARS = 400_000;

/**
 * The conversation: takes questions, streams answers from the engine into the history and the
 * view, stops them, starts over. Works with the view closed (the answer keeps streaming into
 * the history) and tells the view everything again when it (re)opens. Knows nothing of VS Code.
 */
export class ChatService {
  private sink?: ChatSink;
  private running?: Running;
  private readonly stateSubscription: { dispose(): void };
  private disposed = false;
  private lastEngineState?: EngineState;
  private reloadingAfterIdle = false;

  constructor(
    private readonly engine: ChatEngine,
    private readonly history: ChatHistory,
    private readonly settings: () => ChatSettings,
    private readonly log: (level: "info" | "warn", message: string) => void = () => undefined,
  ) {
    this.stateSubscription = engine.onDidChangeState((state) => this.onEngineState(state));
  }

  get isAnswering(): boolean {
    return this.running !== undefined && !this.running.ended;
  }

  get turns(): readonly ChatTurn[] {
    return this.history.turns;
  }

  /** Connects a view (or disconnects with undefined) and sends it the whole conversation. */
  attach(sink: ChatSink | undefined): void {
    this.sink = sink;
    if (sink) this.sendInit();
  }

  sendInit(): void {
    const running = this.running && !this.running.ended ? this.running : undefined;
    const turns = this.history.turns.map((turn) => (turn.id === running?.answerId ? { ...turn, text: running.text } : turn));
    this.post({ type: "init", turns, dropped: this.history.dropped, streamingId: running?.answerId, model: modelStatus(this.engine.state) });
  }

  /**
   * Asks `question` (Markdown, as shown in the chat). A question asked while an answer streams
   * stops that answer first (keeping what it had said). Resolves when the answer has ended.
   */
  async ask(question: string): Promise<ChatTurn> {
    if (this.disposed) throw new Error("The chat was closed.");
    if (this.running && !this.running.ended) this.stopRunning("Stopped: a newer question was asked.");
    const earlier = this.promptHistory();
    const questionTurn: ChatTurn = { id: randomUUID(), role: "user", text: question };
    const answerTurn: ChatTurn = { id: randomUUID(), role: "assistant", text: "" };
    // Registered before the first await, so a question asked right after this one stops it.
    let resolveDone!: () => void;
    const running: Running = {
      answerId: answerTurn.id,
      abort: new AbortController(),
      text: "",
      ended: false,
      done: new Promise((resolve) => (resolveDone = resolve)),
    };
    this.running = running;
    try {
      // Both turns go in together, so two questions asked at once cannot interleave.
      const { stored, dropped } = this.history.add(questionTurn, answerTurn);
      if (dropped.length > 0) this.post({ type: "turnsDropped", ids: dropped, total: this.history.dropped });
      this.post({ type: "turnAdded", turn: questionTurn });
      this.post({ type: "turnAdded", turn: answerTurn });
      await stored;
      return await this.answer(running, earlier, question);
    } finally {
      if (this.running === running) this.running = undefined;
      resolveDone();
    }
  }

  /** Stops the answer in progress; what it said so far stays. */
  stop(): void {
    this.stopRunning(undefined);
  }

  async newChat(): Promise<void> {
    const running = this.running;
    this.stopRunning(undefined);
    if (running) await running.done;
    await this.history.clear();
    this.post({ type: "cleared" });
  }

  notify(notice: Notice): void {
    this.post({ type: "notice", notice });
  }

  /** Puts a refused message back into the input box so nothing the user typed is lost. */
  restoreInput(text: string): void {
    this.post({ type: "restoreInput", text });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.stateSubscription.dispose();
    const running = this.running;
    this.stopRunning("Stopped when the window closed.");
    if (running) await running.done;
    await this.history.flush();
  }

  // ---- internals -------------------------------------------------------------------------------

  private async answer(running: Running, earlier: PromptMessage[], question: string): Promise<ChatTurn> {
    const settings = this.settings();
    let pending = "";
    let flushTimer: NodeJS.Timeout | undefined;
    let lastPersist = performance.now();
    const flush = () => {
      flushTimer = undefined;
      if (!pending || running.ended) return;
      this.post({ type: "answerDelta", id: running.answerId, text: pending });
      pending = "";
    };

    let result: ChatResult | undefined;
    let failure: unknown;
    try {
      const request = { history: earlier, question, maxAnswerTokens: settings.maxAnswerTokens, temperature: settings.temperature };
      result = await this.engine.chat(request, {
        signal: running.abort.signal,
        onText: (chunk) => {
          // The native work may still deliver a token after the answer was stopped.
          if (running.ended) return;
          const first = running.text.length === 0;
          running.text += chunk;
          pending += chunk;
          if (first) flush();
          else flushTimer ??= setTimeout(flush, DELTA_FLUSH_MS);
          if (performance.now() - lastPersist > PERSIST_EVERY_MS) {
            lastPersist = performance.now();
            void this.history.replace({ id: running.answerId, role: "assistant", text: running.text });
          }
        },
      });
    } catch (error) {
      failure = error;
    }
    if (flushTimer) clearTimeout(flushTimer);
    flush();
    running.ended = true;

    const final = this.finalTurn(running, result, failure);
    // Logged like completions: sizes and timings, never the text.
    const stats = result ? ` | prompt ${result.promptTokens} tok, generated ${result.generatedTokens} | first token ${result.timeToFirstTokenMs.toFixed(0)} ms, ${result.tokensPerSecond.toFixed(1)} tok/s, total ${result.durationMs.toFixed(0)} ms` : "";
    this.log("info", `chat: question ${question.length} chars, ${earlier.length} earlier messages → ${final.end ?? "?"}, ${final.text.length} chars${stats}`);
    await this.history.replace(final);
    this.post({ type: "answerEnded", turn: final });
    return final;
  }

  private finalTurn(running: Running, result: ChatResult | undefined, failure: unknown): ChatTurn {
    const base = { id: running.answerId, role: "assistant" as const };
    if (!result) {
      const message = failure instanceof Error ? failure.message : String(failure);
      const unavailable = failure instanceof EngineUnavailableError;
      const aborted = failure instanceof Error && failure.name === "AbortError";
      if (!aborted) this.log("warn", `Chat answer failed: ${failure instanceof Error ? (failure.stack ?? message) : message}`);
      if (unavailable) {
        // Only chat's own model failing (completion's loaded): pick one for chat, not for both.
        const action: NoticeAction = this.engine.state.laneErrors?.chat ? "selectChatModel" : "selectModel";
        this.notify({ level: "error", text: message, action: { label: action === "selectChatModel" ? "Select Chat Model…" : "Select Model…", run: action } });
      } else if (!aborted) {
        this.notify({ level: "error", text: `The model could not answer: ${message}`, action: { label: "Show Log", run: "showLog" } });
      }
      const end: AnswerEnd = aborted ? "stopped" : "error";
      const notes = aborted ? (running.stopNote ? [running.stopNote] : undefined) : [unavailable ? message : `The model could not answer: ${message}`];
      return { ...base, text: running.text, end, notes };
    }
    const end: AnswerEnd = result.stopReason === "abort" ? "stopped" : result.stopReason === "maxTokens" ? "maxTokens" : "done";
    const notes = [...result.notes];
    // A stop the user asked for shows as "stopped" in the stats line; other stops say why.
    if (end === "stopped" && running.stopNote) notes.push(running.stopNote);
    if (end === "maxTokens") notes.push(`The answer reached the ${this.settings().maxAnswerTokens}-token limit (slm.chat.maxAnswerTokens) and was cut off.`);
    return {
      ...base,
      text: running.text,
      end,
      notes: notes.length > 0 ? notes : undefined,
      stats: {
        model: this.engine.state.lanes?.chat?.name ?? this.engine.state.modelName ?? "model",
        generatedTokens: result.generatedTokens,
        tokensPerSecond: result.tokensPerSecond,
        timeToFirstTokenMs: result.timeToFirstTokenMs,
        durationMs: result.durationMs,
      },
    };
  }

  /**
   * Earlier turns as the model should see them: failed or empty answers, and their questions, left
   * out; only the newest pairs within MAX_PROMPT_HISTORY_CHARS (the engine then trims them to the
   * context and says so), so a long conversation never sends megabytes to the engine per question.
   */
  private promptHistory(): PromptMessage[] {
    const turns = this.history.turns;
    const pairs: PromptMessage[][] = [];
    let chars = 0;
    for (let i = turns.length - 2; i >= 0; i--) {
      const [turn, answer] = [turns[i]!, turns[i + 1]!];
      if (turn.role !== "user" || answer.role !== "assistant" || answer.end === "error" || answer.text.trim() === "") continue;
      chars += turn.text.length + answer.text.length;
      if (chars > MAX_PROMPT_HISTORY_CHARS) break;
      pairs.push([{ role: "user", text: turn.text }, { role: "assistant", text: answer.text }]);
    }
    return pairs.reverse().flat();
  }

  private stopRunning(note: string | undefined): void {
    const running = this.running;
    if (!running || running.ended) return;
    running.stopNote = note;
    running.abort.abort();
  }

  private onEngineState(state: EngineState): void {
    // Loading the same model back after an idle unload, or in a restarted engine process after it
    // stopped, is the question's own doing: keep it.
    const previous = this.lastEngineState;
    const restarting = previous?.kind === "error" && previous.error?.code === "engineStopped";
    this.reloadingAfterIdle =
      state.kind === "loading" &&
      (previous?.modelPath === state.modelPath || restarting) &&
      (previous?.kind === "unloaded" || restarting || (previous?.kind === "loading" && this.reloadingAfterIdle));
    this.lastEngineState = state;
    if ((state.kind === "loading" && !this.reloadingAfterIdle) || state.kind === "noModel" || state.kind === "error") {
      this.stopRunning("Stopped: the model was changed or unloaded while it answered.");
    }
    this.post({ type: "modelStatus", model: modelStatus(state) });
  }

  private post(message: HostMessage): void {
    if (this.disposed && message.type !== "answerEnded") return;
    try {
      this.sink?.post(message);
    } catch (error) {
      this.log("warn", `Could not update the chat view: ${String(error)}`);
    }
  }
}

export function modelStatus(state: EngineState): ModelStatus {
  // An idle-unloaded model answers like a ready one: the question loads it again.
  // Chat's own model failed while completion's loaded: for chat, that is an error.
  if (state.laneErrors?.chat) return { kind: "error", modelName: undefined };
  return { kind: state.kind === "unloaded" ? "ready" : state.kind, modelName: state.lanes?.chat?.name ?? state.modelName };
}
