import { randomBytes } from "node:crypto";

export interface ChatHtmlParts {
  /** `webview.cspSource` */
  readonly cspSource: string;
  readonly scriptUri: string;
  readonly styleUri: string;
  /** A fresh nonce for each page; see newNonce(). */
  readonly nonce: string;
}

export function newNonce(): string {
  return randomBytes(18).toString("base64");
}

/**
 * The chat page: no inline script or style, nothing remote. The only script is our bundle,
 * allowed by nonce; styles only from the extension's media folder. Model output reaches this
 * page as data and is sanitized there before it becomes HTML (media/chat/render.ts).
 */
export function chatHtml(parts: ChatHtmlParts): string {
  const csp = [
    "default-src 'none'",
    `style-src ${parts.cspSource}`,
    `font-src ${parts.cspSource}`,
    `script-src 'nonce-${parts.nonce}'`,
    "form-action 'none'",
    "base-uri 'none'",
    "frame-src 'none'",
    "object-src 'none'",
  ].join("; ");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttribute(parts.styleUri)}">
<title>SLM Chat</title>
</head>
<body>
<div id="app"></div>
<script nonce="${escapeAttribute(parts.nonce)}" src="${escapeAttribute(parts.scriptUri)}"></script>
</body>
</html>`;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
