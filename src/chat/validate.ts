import {
  MAX_CODE_CHARS,
  MAX_LINK_CHARS,
  MAX_USER_MESSAGE_CHARS,
  MAX_WEBVIEW_MESSAGE_BYTES,
  type NoticeAction,
  type WebviewMessage,
} from "./protocol";

export type Validated =
  | { readonly ok: true; readonly message: WebviewMessage }
  /** `userMessage` is set when the user must do something (e.g. shorten the text). */
  | { readonly ok: false; readonly reason: string; readonly userMessage?: string; readonly rejectedText?: string };

const NOTICE_ACTIONS: ReadonlySet<NoticeAction> = new Set(["selectModel", "selectChatModel", "showLog", "openSettings"]);

/**
 * Checks a message from the webview before the host uses it: the webview renders model output,
 * so whatever it sends is treated as untrusted. Checks the shape, the type of every field and
 * every size; unknown types and extra junk are refused.
 */
export function validateWebviewMessage(raw: unknown): Validated {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return refuse("not an object");
  const size = roughSize(raw);
  if (size > MAX_WEBVIEW_MESSAGE_BYTES) {
    const text = (raw as { text?: unknown }).text;
    if ((raw as { type?: unknown }).type === "send" && typeof text === "string") return tooLong(text);
    return refuse(`message too large (${size} bytes)`);
  }
  const message = raw as Record<string, unknown>;
  const type = message.type;
  if (typeof type !== "string") return refuse("no type");

  switch (type) {
    case "ready":
    case "stop":
    case "newChat":
      return ok({ type });
    case "send": {
      if (typeof message.text !== "string") return refuse("send without text");
      const text = message.text;
      if (text.length > MAX_USER_MESSAGE_CHARS) return tooLong(text);
      if (text.trim().length === 0) return refuse("empty message", "Type a question first.");
      return ok({ type, text });
    }
    case "copyCode":
    case "insertCode": {
      if (typeof message.code !== "string") return refuse(`${type} without code`);
      if (message.code.length > MAX_CODE_CHARS) return refuse(`${type}: code too large`, "That code block is too large to copy or insert.");
      return ok({ type, code: message.code });
    }
    case "openLink": {
      if (typeof message.href !== "string" || message.href.length > MAX_LINK_CHARS) return refuse("bad link");
      return ok({ type, href: message.href });
    }
    case "runAction": {
      const action = message.action;
      if (typeof action !== "string" || !NOTICE_ACTIONS.has(action as NoticeAction)) return refuse("unknown action");
      return ok({ type, action: action as NoticeAction });
    }
    case "renderStats": {
      const { frames, longestFrameMs, framesOver50Ms } = message;
      if (![frames, longestFrameMs, framesOver50Ms].every((n) => typeof n === "number" && Number.isFinite(n) && n >= 0)) {
        return refuse("bad renderStats");
      }
      return ok({ type, frames: frames as number, longestFrameMs: longestFrameMs as number, framesOver50Ms: framesOver50Ms as number });
    }
    default:
      return refuse(`unknown type ${JSON.stringify(type.slice(0, 40))}`);
  }
}

/** Only these schemes leave the editor, and only after the user confirms. */
export function safeExternalLink(href: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(href.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:" && url.protocol !== "mailto:") return undefined;
  if (url.username || url.password) return undefined;
  return url;
}

function ok(message: WebviewMessage): Validated {
  return { ok: true, message };
}

function refuse(reason: string, userMessage?: string): Validated {
  return { ok: false, reason, userMessage };
}

function tooLong(text: string): Validated {
  return {
    ok: false,
    reason: `message too long (${text.length} characters)`,
    userMessage:
      `Your message is ${text.length.toLocaleString("en-US")} characters long; the limit is ${MAX_USER_MESSAGE_CHARS.toLocaleString("en-US")}. ` +
      "Shorten it, or select the code in an editor and use “Explain Selection”, which trims it to what the model can read.",
    // Nothing the user typed is lost: the host puts a text this large back only if it is not huge.
    rejectedText: text.length <= 4 * MAX_USER_MESSAGE_CHARS ? text : undefined,
  };
}

/** Size of a JSON-like value without serializing it (strings counted by UTF-16 length). */
function roughSize(value: unknown, depth = 0): number {
  if (depth > 4) return Number.POSITIVE_INFINITY;
  if (typeof value === "string") return value.length;
  if (typeof value !== "object" || value === null) return 8;
  let total = 2;
  for (const [key, item] of Object.entries(value)) {
    total += key.length + roughSize(item, depth + 1);
    if (total > MAX_WEBVIEW_MESSAGE_BYTES) return total;
  }
  return total;
}
