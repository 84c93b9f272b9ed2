// Markdown → sanitized DOM for model output. markdown-it parses (raw HTML off: it is shown as
// text), highlight.js colours code, DOMPurify removes anything executable that slipped through.
// Model output is untrusted; nothing it writes may run script, load a resource or submit a form.
import DOMPurify from "dompurify";
import MarkdownIt from "markdown-it";
import { stableBoundary } from "./blocks";
import { CodeHighlighter, FINAL_HIGHLIGHT_BUDGET_MS, HIGHLIGHT_BUDGET_MS, LANGUAGE_NAMES, warmUpLanguage } from "./highlight";

const highlighter = new CodeHighlighter();

/** What a render is for: `final` text is rendered once (history, a finished block), the rest every frame. */
interface RenderEnv {
  [key: string | symbol]: unknown;
  final?: boolean;
  /** The user's own text: its code blocks get Copy but no Insert (Insert is for what the model wrote). */
  fromUser?: boolean;
}

const SAFE_LINK = /^(?:https?:|mailto:)/i;

const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false });
md.validateLink = (url) => SAFE_LINK.test(url.trim());

md.renderer.rules.fence = (tokens, index, _options, env?: RenderEnv) => {
  const token = tokens[index]!;
  const language = token.info.trim().split(/\s+/)[0]?.toLowerCase() ?? "";
  // A block too large to colour within the frame budget is shown as plain text, and says so.
  const budget = env?.final ? FINAL_HIGHLIGHT_BUDGET_MS : HIGHLIGHT_BUDGET_MS;
  const skipped = highlighter.skipped(token.content, language, budget);
  const highlighted = skipped ? undefined : highlighter.highlight(token.content, language, budget);
  const known = highlighted ? highlighted.language : "";
  const body = highlighted ? highlighted.html : md.utils.escapeHtml(token.content);
  const label = md.utils.escapeHtml(language.slice(0, 32));
  const plain = skipped ? `<span class="code-plain" title="Shown without colours: too large to highlight quickly">plain</span>` : "";
  return (
    `<div class="code-block"><div class="code-toolbar"><span class="code-lang">${label}</span>${plain}` +
    `<button type="button" class="code-copy" title="Copy code">Copy</button>` +
    (env?.fromUser ? "" : `<button type="button" class="code-insert" title="Insert at the cursor in the editor">Insert</button>`) +
    `</div>` +
    `<pre><code class="hljs${known ? ` language-${known}` : ""}">${body}</code></pre></div>`
  );
};
md.renderer.rules.code_block = (tokens, index) => `<pre><code class="hljs">${md.utils.escapeHtml(tokens[index]!.content)}</code></pre>`;
// Images would load remote resources (and CSP blocks them anyway): show them as text.
md.renderer.rules.image = (tokens, index) => {
  const token = tokens[index]!;
  const alt = token.children ? md.renderer.renderInlineAsText(token.children, md.options, {}) : token.content;
  return `<span class="image-placeholder">[image: ${md.utils.escapeHtml(alt)}]</span>`;
};

const FORBIDDEN_TAGS = ["style", "form", "input", "textarea", "select", "option", "iframe", "frame", "object", "embed", "svg", "math", "img", "video", "audio", "source", "track", "link", "meta", "base", "script", "template", "dialog"];
const FORBIDDEN_ATTRIBUTES = ["style", "srcset", "action", "formaction", "background", "poster", "ping", "target"];

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.nodeName === "A") {
    const href = node.getAttribute("href") ?? "";
    if (!SAFE_LINK.test(href)) node.removeAttribute("href");
    else node.setAttribute("title", href);
    node.setAttribute("rel", "noopener noreferrer");
  }
});

/**
 * highlight.js compiles a grammar the first time it is used, and the first Markdown render
 * compiles markdown-it's rules: do that while the view is idle, one language per idle period,
 * so the first streamed code block does not pay for it in a frame.
 */
export function warmUp(): void {
  const queue = ["__markdown__", ...LANGUAGE_NAMES];
  const next = (deadline: IdleDeadline) => {
    while (queue.length > 0 && deadline.timeRemaining() > 5) {
      const language = queue.shift()!;
      if (language === "__markdown__") renderMarkdown("# a\n\n*b* `c` [d](https://e.f)\n\n- g\n\n| h |\n| - |\n| i |");
      else warmUpLanguage(language);
    }
    if (queue.length > 0) requestIdleCallback(next);
  };
  requestIdleCallback(next);
}

/**
 * Renders Markdown to a sanitized fragment; `final` when it is rendered once, not again each
 * frame; `fromUser` for the user's own messages.
 */
export function renderMarkdown(source: string, final = true, fromUser = false): DocumentFragment {
  const env: RenderEnv = { final, fromUser };
  const html = md.render(source, env);
  return DOMPurify.sanitize(html, {
    RETURN_DOM_FRAGMENT: true,
    FORBID_TAGS: FORBIDDEN_TAGS,
    FORBID_ATTR: FORBIDDEN_ATTRIBUTES,
    ALLOW_DATA_ATTR: false,
    ALLOWED_URI_REGEXP: SAFE_LINK,
  });
}

/** Least time between two renders of a streaming answer (about 8 a second). */
const STREAM_RENDER_MS = 120;

/**
 * Renders an answer as it streams. Finished blocks (up to a blank line outside a code fence that
 * is followed by an unindented line) are rendered once and kept; only the unfinished tail is
 * rendered again, at most once per animation frame and every STREAM_RENDER_MS. The cost of a
 * render stays bounded by the size of the last block, not of the whole answer.
 */
export class MarkdownStream {
  private text = "";
  private committed = 0;
  private readonly stable: HTMLElement;
  private readonly live: HTMLElement;
  private frame?: number;
  private timer?: ReturnType<typeof setTimeout>;
  private renderedAt = 0;

  constructor(
    container: HTMLElement,
    private readonly onRendered: (durationMs: number) => void = () => undefined,
  ) {
    this.stable = document.createElement("div");
    this.live = document.createElement("div");
    container.replaceChildren(this.stable, this.live);
  }

  get source(): string {
    return this.text;
  }

  /**
   * Adds streamed text. Rendered in the next animation frame, at most every STREAM_RENDER_MS: the
   * view shares the workbench's renderer, and a render at every token takes time from typing.
   */
  append(delta: string): void {
    this.text += delta;
    if (this.frame !== undefined || this.timer !== undefined) return;
    const wait = STREAM_RENDER_MS - (performance.now() - this.renderedAt);
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.renderNextFrame();
      }, wait);
    } else {
      this.renderNextFrame();
    }
  }

  /** Replaces the whole text and renders at once (an answer's final form, or history). */
  set(text: string): void {
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.frame = undefined;
    this.timer = undefined;
    if (!text.startsWith(this.text.slice(0, this.committed))) {
      this.committed = 0;
      this.stable.replaceChildren();
    }
    this.text = text;
    this.render(true);
  }

  private renderNextFrame(): void {
    this.frame = requestAnimationFrame(() => {
      this.frame = undefined;
      this.render(false);
    });
  }

  /** `final`: the tail is rendered once now, not again next frame (it may take longer to colour). */
  private render(final: boolean): void {
    const started = performance.now();
    this.renderedAt = started;
    const boundary = stableBoundary(this.text, this.committed);
    if (boundary > this.committed) {
      this.stable.append(renderMarkdown(this.text.slice(this.committed, boundary)));
      this.committed = boundary;
    }
    this.live.replaceChildren(renderMarkdown(this.text.slice(this.committed), final));
    this.onRendered(performance.now() - started);
  }
}
