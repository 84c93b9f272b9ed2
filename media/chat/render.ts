// Markdown → sanitized DOM for model output. markdown-it parses (raw HTML off: it is shown as
// text), highlight.js colours code, DOMPurify removes anything executable that slipped through.
// Model output is untrusted; nothing it writes may run script, load a resource or submit a form.
import DOMPurify from "dompurify";
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import csharp from "highlight.js/lib/languages/csharp";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import kotlin from "highlight.js/lib/languages/kotlin";
import markdown from "highlight.js/lib/languages/markdown";
import php from "highlight.js/lib/languages/php";
import plaintext from "highlight.js/lib/languages/plaintext";
import python from "highlight.js/lib/languages/python";
import ruby from "highlight.js/lib/languages/ruby";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import swift from "highlight.js/lib/languages/swift";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";
import MarkdownIt from "markdown-it";
import { stableBoundary } from "./blocks";

const LANGUAGES = { bash, c, cpp, csharp, css, diff, go, java, javascript, json, kotlin, markdown, php, plaintext, python, ruby, rust, sql, swift, typescript, xml, yaml };
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);
hljs.registerAliases(["sh", "shell", "zsh", "console", "shellscript"], { languageName: "bash" });
hljs.registerAliases(["html", "svg"], { languageName: "xml" });

const SAFE_LINK = /^(?:https?:|mailto:)/i;

const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false });
md.validateLink = (url) => SAFE_LINK.test(url.trim());

md.renderer.rules.fence = (tokens, index) => {
  const token = tokens[index]!;
  const language = token.info.trim().split(/\s+/)[0]?.toLowerCase() ?? "";
  const known = language && hljs.getLanguage(language) ? language : "";
  const body = known ? hljs.highlight(token.content, { language: known, ignoreIllegals: true }).value : md.utils.escapeHtml(token.content);
  const label = md.utils.escapeHtml(language.slice(0, 32));
  return (
    `<div class="code-block"><div class="code-toolbar"><span class="code-lang">${label}</span>` +
    `<button type="button" class="code-copy" title="Copy code">Copy</button>` +
    `<button type="button" class="code-insert" title="Insert at the cursor in the editor">Insert</button></div>` +
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
  const queue = ["__markdown__", ...Object.keys(LANGUAGES)];
  const next = (deadline: IdleDeadline) => {
    while (queue.length > 0 && deadline.timeRemaining() > 5) {
      const language = queue.shift()!;
      if (language === "__markdown__") renderMarkdown("# a\n\n*b* `c` [d](https://e.f)\n\n- g\n\n| h |\n| - |\n| i |");
      else hljs.highlight("const a = 1; // b\nfunction c(d) { return 'e' + d; }", { language, ignoreIllegals: true });
    }
    if (queue.length > 0) requestIdleCallback(next);
  };
  requestIdleCallback(next);
}

/** Renders Markdown to a sanitized fragment. */
export function renderMarkdown(source: string): DocumentFragment {
  const html = md.render(source);
  return DOMPurify.sanitize(html, {
    RETURN_DOM_FRAGMENT: true,
    FORBID_TAGS: FORBIDDEN_TAGS,
    FORBID_ATTR: FORBIDDEN_ATTRIBUTES,
    ALLOW_DATA_ATTR: false,
    ALLOWED_URI_REGEXP: SAFE_LINK,
  });
}

/**
 * Renders an answer as it streams. Finished blocks (up to a blank line outside a code fence that
 * is followed by an unindented line) are rendered once and kept; only the unfinished tail is
 * rendered again, at most once per animation frame. The cost of a frame stays bounded by the
 * size of the last block, not of the whole answer.
 */
export class MarkdownStream {
  private text = "";
  private committed = 0;
  private readonly stable: HTMLElement;
  private readonly live: HTMLElement;
  private frame?: number;

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

  append(delta: string): void {
    this.text += delta;
    this.frame ??= requestAnimationFrame(() => {
      this.frame = undefined;
      this.render();
    });
  }

  /** Replaces the whole text and renders at once (an answer's final form, or history). */
  set(text: string): void {
    if (this.frame !== undefined) cancelAnimationFrame(this.frame);
    this.frame = undefined;
    if (!text.startsWith(this.text.slice(0, this.committed))) {
      this.committed = 0;
      this.stable.replaceChildren();
    }
    this.text = text;
    this.render();
  }

  private render(): void {
    const started = performance.now();
    const boundary = stableBoundary(this.text, this.committed);
    if (boundary > this.committed) {
      this.stable.append(renderMarkdown(this.text.slice(this.committed, boundary)));
      this.committed = boundary;
    }
    this.live.replaceChildren(renderMarkdown(this.text.slice(this.committed)));
    this.onRendered(performance.now() - started);
  }
}
