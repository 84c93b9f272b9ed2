// The chat view's front end. Receives the conversation from the host as typed messages, renders
// it (model output only through render.ts), and sends the user's actions back. It never acts on
// anything itself: links, clipboard and editor edits all go through the host.
import "./chat.css";
import {
  assertNever,
  MAX_USER_MESSAGE_CHARS,
  type ChatTurn,
  type HostMessage,
  type ModelStatus,
  type Notice,
  type WebviewMessage,
} from "../../src/chat/protocol";
import { FrameMonitor } from "./frames";
import { MarkdownStream, renderMarkdown, warmUp } from "./render";

const vscode = acquireVsCodeApi();
const post = (message: WebviewMessage) => vscode.postMessage(message);

interface TurnView {
  turn: ChatTurn;
  readonly element: HTMLElement;
  readonly body: HTMLElement;
  readonly footer: HTMLElement;
  stream?: MarkdownStream;
}

const app = document.getElementById("app")!;
app.innerHTML = `
  <div class="messages" role="log" aria-live="polite" aria-label="Conversation"></div>
  <div class="notices" aria-live="assertive"></div>
  <div class="composer">
    <textarea class="input" rows="3" placeholder="Ask about your code… (Enter to send, Shift+Enter for a new line)" aria-label="Message"></textarea>
    <div class="composer-bar">
      <span class="model-status"></span>
      <button type="button" class="secondary new-chat" title="Start a new chat">New chat</button>
      <button type="button" class="send" title="Send (Enter)">Send</button>
      <button type="button" class="stop" title="Stop generating" hidden>Stop</button>
    </div>
  </div>`;

const messages = app.querySelector<HTMLElement>(".messages")!;
const notices = app.querySelector<HTMLElement>(".notices")!;
const input = app.querySelector<HTMLTextAreaElement>(".input")!;
const sendButton = app.querySelector<HTMLButtonElement>(".send")!;
const stopButton = app.querySelector<HTMLButtonElement>(".stop")!;
const newChatButton = app.querySelector<HTMLButtonElement>(".new-chat")!;
const modelLabel = app.querySelector<HTMLElement>(".model-status")!;

const views = new Map<string, TurnView>();
let streamingId: string | undefined;
/** An answer the user stopped: it stops changing at once, before the host confirms. */
let stoppedId: string | undefined;
const frames = new FrameMonitor();

// ---- host messages -----------------------------------------------------------------------------

window.addEventListener("message", (event: MessageEvent<HostMessage>) => {
  const message = event.data;
  if (typeof message !== "object" || message === null || typeof message.type !== "string") return;
  handle(message);
});

function handle(message: HostMessage): void {
  switch (message.type) {
    case "init":
      views.clear();
      messages.replaceChildren();
      showDropped(message.dropped);
      for (const turn of message.turns) addTurn(turn);
      setStreaming(message.streamingId);
      if (message.streamingId) views.get(message.streamingId)?.stream?.set(views.get(message.streamingId)!.turn.text);
      setModel(message.model);
      showEmptyState();
      scrollToEnd(true);
      return;
    case "turnAdded":
      addTurn(message.turn);
      if (message.turn.role === "assistant" && !message.turn.end) {
        setStreaming(message.turn.id);
        frames.start();
      }
      scrollToEnd(true);
      return;
    case "answerDelta": {
      const view = views.get(message.id);
      if (!view || message.id === stoppedId) return;
      const atEnd = isNearEnd();
      view.stream ??= new MarkdownStream(view.body, (ms) => frames.recordRender(ms));
      view.body.classList.remove("pending");
      view.stream.append(message.text);
      if (atEnd) requestAnimationFrame(() => scrollToEnd(false));
      return;
    }
    case "answerEnded": {
      const view = views.get(message.turn.id);
      if (view) {
        const atEnd = isNearEnd();
        view.turn = message.turn;
        view.body.classList.remove("pending");
        view.stream ??= new MarkdownStream(view.body, (ms) => frames.recordRender(ms));
        view.stream.set(message.turn.text);
        renderFooter(view);
        if (atEnd) scrollToEnd(false);
      }
      if (streamingId === message.turn.id || stoppedId === message.turn.id) {
        if (streamingId === message.turn.id) setStreaming(undefined);
        stoppedId = undefined;
        const stats = frames.stop();
        if (stats) post({ type: "renderStats", ...stats });
      }
      return;
    }
    case "turnsDropped":
      for (const id of message.ids) {
        views.get(id)?.element.remove();
        views.delete(id);
      }
      showDropped(message.total);
      return;
    case "cleared":
      views.clear();
      messages.replaceChildren();
      notices.replaceChildren();
      setStreaming(undefined);
      showEmptyState();
      input.focus();
      return;
    case "notice":
      showNotice(message.notice);
      return;
    case "modelStatus":
      setModel(message.model);
      return;
    case "restoreInput":
      if (!input.value) input.value = message.text;
      return;
    default:
      assertNever(message);
  }
}

/** Says at the top of the conversation that its oldest messages were dropped (the chat keeps its newest). */
function showDropped(total: number): void {
  let note = messages.querySelector<HTMLElement>(".dropped-note");
  if (total <= 0) {
    note?.remove();
    return;
  }
  if (!note) {
    note = document.createElement("div");
    note.className = "dropped-note";
    messages.prepend(note);
  }
  note.textContent = `${total} earlier message${total === 1 ? " was" : "s were"} removed: a chat keeps its newest messages. New chat starts over.`;
}

function addTurn(turn: ChatTurn): void {
  document.querySelector(".empty-state")?.remove();
  const element = document.createElement("article");
  element.className = `turn ${turn.role}`;
  element.dataset.id = turn.id;
  const heading = document.createElement("div");
  heading.className = "turn-role";
  heading.textContent = turn.role === "user" ? "You" : "Assistant";
  const body = document.createElement("div");
  body.className = "turn-body markdown";
  const footer = document.createElement("div");
  footer.className = "turn-footer";
  element.append(heading, body, footer);
  messages.append(element);
  const view: TurnView = { turn, element, body, footer };
  views.set(turn.id, view);
  if (turn.role === "assistant" && !turn.end && !turn.text) {
    body.classList.add("pending");
    body.textContent = "Thinking…";
  } else if (turn.role === "assistant") {
    view.stream = new MarkdownStream(body);
    view.stream.set(turn.text);
  } else {
    body.replaceChildren(renderMarkdown(turn.text, true, true));
  }
  renderFooter(view);
}

function renderFooter(view: TurnView): void {
  const { turn, footer } = view;
  footer.replaceChildren();
  if (turn.role !== "assistant" || !turn.end) return;
  const parts: string[] = [];
  if (turn.stats) {
    parts.push(turn.stats.model);
    if (turn.stats.generatedTokens > 0) {
      parts.push(`${turn.stats.tokensPerSecond.toFixed(1)} tokens/s`);
      parts.push(`${turn.stats.generatedTokens} tokens`);
      parts.push(`first token ${formatMs(turn.stats.timeToFirstTokenMs)}`);
    }
  }
  if (turn.end === "stopped") parts.push("stopped");
  if (parts.length > 0) {
    const stats = document.createElement("div");
    stats.className = "turn-stats";
    stats.textContent = parts.join(" · ");
    footer.append(stats);
  }
  for (const note of turn.notes ?? []) {
    const line = document.createElement("div");
    line.className = `turn-note ${turn.end === "error" ? "error" : ""}`;
    line.textContent = note;
    footer.append(line);
  }
}

function setStreaming(id: string | undefined): void {
  streamingId = id;
  stopButton.hidden = id === undefined;
  sendButton.hidden = id !== undefined;
  app.classList.toggle("streaming", id !== undefined);
}

function setModel(model: ModelStatus): void {
  const text: Record<ModelStatus["kind"], string> = {
    noModel: "No model selected",
    loading: "Loading model…",
    ready: model.modelName ?? "Model ready",
    busy: model.modelName ?? "Model busy",
    error: "Model failed to load",
  };
  modelLabel.textContent = text[model.kind];
  modelLabel.title = model.modelName ? `Model: ${model.modelName}` : text[model.kind];
  modelLabel.dataset.kind = model.kind;
}

function showNotice(notice: Notice): void {
  const element = document.createElement("div");
  element.className = `notice ${notice.level}`;
  element.setAttribute("role", notice.level === "error" ? "alert" : "status");
  const text = document.createElement("span");
  text.textContent = notice.text;
  element.append(text);
  if (notice.action) {
    const action = notice.action;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = action.label;
    button.addEventListener("click", () => post({ type: "runAction", action: action.run }));
    element.append(button);
  }
  const close = document.createElement("button");
  close.type = "button";
  close.className = "secondary dismiss";
  close.textContent = "Dismiss";
  close.addEventListener("click", () => element.remove());
  element.append(close);
  while (notices.childElementCount >= 3) notices.firstElementChild?.remove();
  notices.append(element);
}

function showEmptyState(): void {
  if (views.size > 0 || document.querySelector(".empty-state")) return;
  const empty = document.createElement("div");
  empty.className = "empty-state";
  empty.innerHTML = `<p><strong>Chat with your local model.</strong></p>
    <p>Nothing leaves this machine. Ask a question below, or select code in an editor and run
    <em>SLM: Explain Selection</em> or <em>SLM: Summarize Selection</em> from the context menu.</p>`;
  messages.append(empty);
}

// ---- user actions ------------------------------------------------------------------------------

function send(): void {
  const text = input.value;
  if (text.trim().length === 0) return;
  if (text.length > MAX_USER_MESSAGE_CHARS) {
    showNotice({
      level: "warning",
      text:
        `Your message is ${text.length.toLocaleString("en-US")} characters long; the limit is ${MAX_USER_MESSAGE_CHARS.toLocaleString("en-US")}. ` +
        "Shorten it, or select the code in an editor and use “Explain Selection”, which trims it to what the model can read.",
    });
    return;
  }
  post({ type: "send", text });
  input.value = "";
}

input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});
sendButton.addEventListener("click", send);
stopButton.addEventListener("click", () => {
  if (!streamingId) return;
  post({ type: "stop" });
  stoppedId = streamingId;
  setStreaming(undefined);
});
newChatButton.addEventListener("click", () => post({ type: "newChat" }));

// Code block buttons and links, for every message (delegated; rendered content has no handlers).
messages.addEventListener("click", (event) => {
  const target = event.target as Element | null;
  const link = target?.closest("a");
  if (link) {
    event.preventDefault();
    const href = link.getAttribute("href");
    if (href) post({ type: "openLink", href });
    return;
  }
  const button = target?.closest("button");
  const block = button?.closest(".code-block");
  const code = block?.querySelector("code")?.textContent;
  if (!button || code == null) return;
  if (button.classList.contains("code-copy")) {
    post({ type: "copyCode", code });
    flash(button, "Copied");
  } else if (button.classList.contains("code-insert")) {
    post({ type: "insertCode", code });
    flash(button, "Inserted");
  }
});

function flash(button: HTMLButtonElement, text: string): void {
  const original = button.textContent;
  button.textContent = text;
  setTimeout(() => (button.textContent = original), 1200);
}

// ---- helpers -----------------------------------------------------------------------------------

function isNearEnd(): boolean {
  return messages.scrollHeight - messages.scrollTop - messages.clientHeight < 40;
}

function scrollToEnd(force: boolean): void {
  if (force || isNearEnd()) messages.scrollTop = messages.scrollHeight;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

post({ type: "ready" });
warmUp();
