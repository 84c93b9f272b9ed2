/**
 * Lays out a fill-in-the-middle prompt as a sequence of special-token pieces and text pieces, in
 * the format the model's family was trained with (models/fimFormat.ts finds it). The engine turns
 * pieces into tokens: special pieces with special tokens on, text pieces with them off, so text
 * that happens to spell a control token stays text.
 */
import type { FimFormat, FimLayout, FimTokens } from "../../models/fimFormat";
import { chunkAsComment } from "./commentSyntax";

/** A piece of another file, given to the model as context. */
export interface FimChunk {
  /** Workspace-relative path, shown to the model. */
  readonly fileName: string;
  readonly text: string;
}

export interface FimParts {
  /** Text before the cursor (already windowed by the caller). */
  readonly prefix: string;
  /** Text after the cursor (already windowed by the caller). */
  readonly suffix: string;
  /** Context from other files, most stable first: they open the prompt, so they are what the KV cache keeps. */
  readonly chunks?: readonly FimChunk[];
  /** The current file's workspace-relative path, used by the repo-level formats. */
  readonly fileName?: string;
  /** Repository name for the repo-level formats; default "project". */
  readonly repoName?: string;
  /** The current document's language, to write chunks as comments it understands. */
  readonly languageId?: string;
}

export interface FimBuildOptions {
  /** Default: the format's `defaultLayout` (one the family was trained with). */
  readonly layout?: FimLayout;
  /**
   * Put the BOS token first when the model wants one. node-llama-cpp's `generateCompletion`
   * already prepends it, so leave this off there; turn it on when evaluating tokens directly.
   */
  readonly includeBos?: boolean;
}

/** What a piece of text is, so the caller can find the stable and the volatile parts. */
export type FimTextRole = "repo" | "chunk" | "file" | "prefix" | "suffix";

export type FimPiece =
  | { readonly special: string; readonly role: "bos" | "control" }
  | {
    readonly text: string;
    readonly role: FimTextRole;
    /**
     * Tokenize with node-llama-cpp's "trimLeadingSpace". False only for the first text of the
     * prefix in SentencePiece families, which were trained with the tokenizer's implicit space there.
     */
    readonly trimLeadingSpace: boolean;
  };

export interface FimPrompt {
  readonly pieces: readonly FimPiece[];
  /** Texts to stop on if the model writes them as plain text. */
  readonly stopStrings: readonly string[];
  /** Texts of stop tokens (tokenize each with special tokens on to get its id). */
  readonly stopTokens: readonly string[];
  readonly layout: FimLayout;
  /**
   * How many pieces come after the last prefix piece. In PSM these (the suffix and the middle
   * token) are re-evaluated on every keystroke; in SPM there are none, so typing forward only
   * evaluates the new characters.
   */
  readonly piecesAfterPrefix: number;
}

/**
 * Lays out a FIM prompt. Stable parts come first (repo header, chunks), then the current file.
 *   psm: [bos] PRE <chunks as comments> prefix SUF suffix MID
 *   spm: [bos] PRE SUF suffix MID <chunks as comments> prefix      (families with a middle token)
 *   spm: [bos] SUF suffix PRE <chunks as comments> prefix          (Codestral)
 * In the repo-level styles the chunks come before all of that instead.
 */
export function buildFimPrompt(format: FimFormat, parts: FimParts, options: FimBuildOptions = {}): FimPrompt {
  const requested = options.layout ?? format.defaultLayout;
  const layout = format.buildableLayouts.includes(requested) ? requested : format.defaultLayout;
  const chunks = (parts.chunks ?? []).filter((c) => c.text.length > 0);
  const pieces: FimPiece[] = [];
  const special = (text: string, role: "bos" | "control" = "control"): void => {
    pieces.push({ special: text, role });
  };
  const text = (value: string, role: FimTextRole, trimLeadingSpace = true): void => {
    if (value.length > 0) pieces.push({ text: value, role, trimLeadingSpace });
  };

  if (options.includeBos && format.tokens.bos !== undefined) special(format.tokens.bos, "bos");

  const repoLevel = chunks.length > 0 && format.repoStyle !== "comment";
  const fileName = parts.fileName?.trim() || "untitled";
  if (repoLevel) {
    const { repoName, fileSeparator } = format.tokens as Required<Pick<FimTokens, "repoName" | "fileSeparator">>;
    const repo = parts.repoName?.trim() || "project";
    if (format.repoStyle === "qwen") {
      special(repoName);
      text(`${repo}\n`, "repo");
      for (const chunk of chunks) {
        special(fileSeparator);
        text(`${chunk.fileName}\n${withFinalNewline(chunk.text)}`, "chunk");
      }
      special(fileSeparator);
      text(`${fileName}\n`, "file");
    } else {
      special(repoName);
      text(repo, "repo");
      for (const chunk of chunks) {
        special(fileSeparator);
        text(`${chunk.fileName}\n${withFinalNewline(chunk.text)}`, "chunk");
      }
      special(fileSeparator);
    }
  }

  // The prefix segment: what the model reads right before it writes.
  let prefixSegmentEnd = 0;
  const prefixSegment = (): void => {
    let first = true;
    const prefixText = (value: string, role: FimTextRole): void => {
      if (value.length === 0) return;
      text(value, role, !(first && format.prefixKeepsLeadingSpace));
      first = false;
    };
    if (repoLevel && format.repoStyle === "starcoder2") prefixText(`${fileName}\n`, "file");
    if (!repoLevel) {
      for (const chunk of chunks) prefixText(chunkAsComment(chunk, parts.languageId), "chunk");
    }
    prefixText(parts.prefix, "prefix");
    prefixSegmentEnd = pieces.length;
  };

  const { prefix: PRE, suffix: SUF, middle: MID } = format.tokens;
  if (layout === "psm" && MID !== undefined) {
    special(PRE);
    prefixSegment();
    special(SUF);
    text(parts.suffix, "suffix");
    special(MID);
  } else if (MID !== undefined) {
    special(PRE);
    special(SUF);
    text(parts.suffix, "suffix");
    special(MID);
    prefixSegment();
  } else {
    special(SUF);
    text(parts.suffix, "suffix");
    special(PRE);
    prefixSegment();
  }

  return {
    pieces,
    stopTokens: format.stopTokens,
    stopStrings: unique(format.stopTokens.map((t) => t.replace(/^\u2581/, ""))),
    layout,
    piecesAfterPrefix: pieces.length - prefixSegmentEnd,
  };
}

/** Joins the pieces into one string, for logs and tests only (it loses the special/text distinction). */
export function fimPromptToString(prompt: FimPrompt): string {
  return prompt.pieces.map((p) => ("special" in p ? p.special : p.text)).join("");
}

function withFinalNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}


function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
