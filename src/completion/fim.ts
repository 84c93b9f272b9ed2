/**
 * Fill-in-the-middle: find a model's FIM format from plain data read out of its GGUF, and lay out
 * a prompt as a sequence of special-token pieces and text pieces. The caller turns pieces into
 * tokens (special pieces with special tokens on, text pieces with them off, so text that happens
 * to spell a control token stays text) and owns KV-cache reuse, budgets and the engine.
 */
import {
  FIM_FAMILIES, FIM_SPELLINGS, familyForSpelling,
  type FimFamily, type FimFamilyId, type FimLayout, type FimSpelling, type RepoContextStyle,
} from "./fimFamilies";

export type { FimFamilyId, FimLayout, RepoContextStyle } from "./fimFamilies";
export { FIM_FAMILIES } from "./fimFamilies";

/** What `detectFimFormat` needs to know about a model; all of it is plain data from the GGUF. */
export interface FimModelInfo {
  /** `general.architecture`. */
  readonly architecture?: string;
  /** `general.name`. */
  readonly name?: string;
  /** `general.finetune` (e.g. "Instruct"), when present. */
  readonly finetune?: string;
  /** `general.size_label` (e.g. "7B"), when present. */
  readonly sizeLabel?: string;
  /** The GGUF's file name; read for the same hints as `name`. */
  readonly fileName?: string;
  /** Texts of the tokens whose ids the GGUF names (`tokenizer.ggml.fim_pre_token_id` and friends). */
  readonly fimPre?: string;
  readonly fimSuf?: string;
  readonly fimMid?: string;
  readonly fimPad?: string;
  readonly fimRep?: string;
  readonly fimSep?: string;
  readonly bos?: string;
  readonly eos?: string;
  readonly eot?: string;
  /** Whether the tokenizer wants BOS first (`tokenizer.ggml.add_bos_token`); the family's default otherwise. */
  readonly addBos?: boolean;
  /** Whether the vocabulary has a token with exactly this text. */
  readonly hasToken: (text: string) => boolean;
}

export interface FimTokens {
  readonly prefix: string;
  readonly suffix: string;
  /** Absent for suffix-first formats without a middle token (Codestral). */
  readonly middle?: string;
  readonly repoName?: string;
  readonly fileSeparator?: string;
  /** The BOS token's text, when the prompt should start with it. */
  readonly bos?: string;
}

export interface FimFormat {
  readonly family: FimFamilyId;
  readonly label: string;
  /** Token texts exactly as this model's vocabulary spells them. */
  readonly tokens: FimTokens;
  /** Texts of the tokens that end a completion, present in this vocabulary. */
  readonly stopTokens: readonly string[];
  readonly trainedLayouts: readonly FimLayout[];
  /** The layout `buildFimPrompt` uses unless told otherwise: one the family was trained with. */
  readonly defaultLayout: FimLayout;
  /** The layouts this format can express at all (no PSM without a middle token). */
  readonly buildableLayouts: readonly FimLayout[];
  /** Repo style actually usable with this vocabulary (falls back to comments when tokens are missing). */
  readonly repoStyle: RepoContextStyle;
  readonly prefixKeepsLeadingSpace: boolean;
  /** Where the tokens were found. */
  readonly source: "metadata" | "tokenText";
  /** Something the user should know although the format works (e.g. FIM training undocumented). */
  readonly caution?: string;
  readonly evidence: string;
}

export type FimRefusalCode = "noFimTokens" | "instructModel" | "notInfillTrained";

export interface FimRefusal {
  readonly code: FimRefusalCode;
  /** A sentence for the user. */
  readonly message: string;
}

export type FimDetection =
  | { readonly format: FimFormat; readonly refusal?: undefined }
  | { readonly format?: undefined; readonly refusal: FimRefusal };

/** Name words that mark chat/instruction-tuned models, which answer FIM prompts with garbage. */
const INSTRUCT_NAME = /(?:^|[\s_.\-/()[\]])(instruct|chat|it)(?=$|[\s_.\-/()[\]])/i;

export function looksLikeInstructModel(info: Pick<FimModelInfo, "name" | "fileName" | "finetune">): boolean {
  return instructEvidence(info) !== undefined;
}

/**
 * Where the instruct/chat word was found, in the user's words ("its file name chat-model.gguf says
 * chat"): the displayed name may not show it, so the message must say which text did.
 */
export function instructEvidence(info: Pick<FimModelInfo, "name" | "fileName" | "finetune">): string | undefined {
  const places: ReadonlyArray<readonly [string, string | undefined]> = [
    ["its name", info.name],
    ["its file name", info.fileName],
    ["its fine-tune tag", info.finetune],
  ];
  for (const [place, text] of places) {
    const match = text === undefined ? null : INSTRUCT_NAME.exec(text.replace(/\.gguf$/i, ""));
    if (match) return place === "its name" ? `its name says "${match[1]}"` : `${place} "${text}" says "${match[1]}"`;
  }
  return undefined;
}

/**
 * Finds the model's FIM format. Uses the token ids the GGUF names when it names them, else looks
 * the known spellings up by text (llama.cpp does the same when the metadata keys are absent).
 */
export function detectFimFormat(info: FimModelInfo): FimDetection {
  const names = [info.name, info.fileName, info.sizeLabel].filter((s) => s !== undefined).join(" ");
  const found = findFimTokens(info);
  if (found === undefined) {
    const instruct = looksLikeInstructModel(info) ? " It also looks like an instruct/chat model." : "";
    return refuse("noFimTokens", `${modelLabel(info)} has no fill-in-the-middle tokens, so it cannot complete code between a prefix and a suffix.${instruct} Choose a base code model such as Qwen2.5-Coder (not -Instruct).`);
  }
  const instruct = instructEvidence(info);
  if (instruct) {
    return refuse("instructModel", `${modelLabel(info)} looks like an instruct/chat model (${instruct}). Such models answer fill-in-the-middle prompts with garbage; use the base model of the same family for completion.`);
  }
  const family = FIM_FAMILIES[found.spelling === undefined ? "generic" : familyForSpelling(found.spelling.id, names, info.hasToken)];
  if (family.notInfillTrained?.test(names)) {
    return refuse("notInfillTrained", `${modelLabel(info)} has ${family.label} fill-in-the-middle tokens, but this model was not trained to fill in the middle. Choose a ${family.label} base model that was.`);
  }
  return { format: formatFor(family, found, info, names) };
}

interface FoundTokens {
  readonly spelling?: FimSpelling;
  readonly prefix: string;
  readonly suffix: string;
  readonly middle?: string;
  readonly source: "metadata" | "tokenText";
}

function findFimTokens(info: FimModelInfo): FoundTokens | undefined {
  if (info.fimPre !== undefined && info.fimSuf !== undefined) {
    const spelling = FIM_SPELLINGS.find((s) => s.prefix.includes(info.fimPre!) && s.suffix.includes(info.fimSuf!));
    return { spelling, prefix: info.fimPre, suffix: info.fimSuf, middle: info.fimMid, source: "metadata" };
  }
  for (const spelling of FIM_SPELLINGS) {
    const prefix = spelling.prefix.find(info.hasToken);
    const suffix = spelling.suffix.find(info.hasToken);
    const middle = spelling.middle?.find(info.hasToken);
    if (prefix !== undefined && suffix !== undefined && (spelling.middle === undefined || middle !== undefined)) {
      return { spelling, prefix, suffix, middle, source: "tokenText" };
    }
  }
  return undefined;
}

function formatFor(family: FimFamily, found: FoundTokens, info: FimModelInfo, names: string): FimFormat {
  const has = (text: string | undefined): text is string => text !== undefined && (info.hasToken(text) || isNamedToken(info, text));
  const repoName = info.fimRep ?? family.repoName?.find(has);
  const fileSeparator = info.fimSep ?? family.fileSeparator?.find(has);
  const repoStyle: RepoContextStyle = family.repoStyle !== "comment" && repoName !== undefined && fileSeparator !== undefined
    ? family.repoStyle
    : "comment";
  const addBos = info.addBos ?? family.addBos;
  const stopTokens = unique([
    info.eos, info.eot, info.fimPad, info.fimRep, info.fimSep,
    ...family.stops,
  ].filter(has));
  const buildableLayouts: FimLayout[] = found.middle === undefined ? ["spm"] : ["psm", "spm"];
  const trainedLayouts = family.trainedLayouts.filter((l) => buildableLayouts.includes(l));
  const caution = family.cautionPattern !== undefined
    && family.cautionPattern.matches.test(names) && !family.cautionPattern.unless.test(names)
    ? family.cautionPattern.message
    : undefined;
  return {
    family: family.id,
    label: family.id === "generic" ? `${found.prefix}/${found.suffix} (${family.label})` : family.label,
    tokens: {
      prefix: found.prefix,
      suffix: found.suffix,
      ...(found.middle !== undefined ? { middle: found.middle } : {}),
      ...(repoStyle !== "comment" ? { repoName, fileSeparator } : {}),
      ...(addBos && info.bos !== undefined ? { bos: info.bos } : {}),
    },
    stopTokens,
    trainedLayouts: trainedLayouts.length > 0 ? trainedLayouts : buildableLayouts,
    defaultLayout: buildableLayouts.includes(family.defaultLayout) ? family.defaultLayout : buildableLayouts[0]!,
    buildableLayouts,
    repoStyle,
    prefixKeepsLeadingSpace: family.prefixKeepsLeadingSpace,
    source: found.source,
    ...(caution !== undefined ? { caution } : {}),
    evidence: family.evidence,
  };
}

function isNamedToken(info: FimModelInfo, text: string): boolean {
  return [info.fimPre, info.fimSuf, info.fimMid, info.fimPad, info.fimRep, info.fimSep, info.eos, info.eot].includes(text);
}

function refuse(code: FimRefusalCode, message: string): FimDetection {
  return { refusal: { code, message } };
}

function modelLabel(info: FimModelInfo): string {
  const name = info.name?.trim() || info.fileName;
  return name ? `The model "${name}"` : "This model";
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

// ---------------------------------------------------------------------------------------------
// Prompt building

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

// ---------------------------------------------------------------------------------------------
// Chunks as comments, for families without a repo-level format

interface CommentSyntax {
  readonly start: string;
  readonly end: string;
}

const HASH = new Set([
  "python", "shellscript", "ruby", "perl", "perl6", "r", "yaml", "toml", "dockerfile", "makefile",
  "powershell", "elixir", "julia", "nim", "coffeescript", "cmake", "properties", "graphql", "terraform",
  "hcl", "nix", "gdscript", "crystal", "tcl", "awk", "fish", "zsh", "bash",
]);
const DOUBLE_DASH = new Set(["sql", "lua", "haskell", "elm", "ada", "vhdl", "purescript", "plsql"]);
const SEMICOLON = new Set(["clojure", "lisp", "scheme", "racket", "ini", "asm", "nasm"]);
const PERCENT = new Set(["latex", "tex", "bibtex", "erlang", "matlab", "octave", "prolog"]);
const MARKUP = new Set(["html", "xml", "xsl", "markdown", "vue", "svelte", "vue-html", "razor", "svg"]);
const BLOCK = new Set(["css"]);

export function commentSyntax(languageId: string | undefined): CommentSyntax {
  const id = (languageId ?? "").toLowerCase();
  if (HASH.has(id)) return { start: "#", end: "" };
  if (DOUBLE_DASH.has(id)) return { start: "--", end: "" };
  if (SEMICOLON.has(id)) return { start: ";", end: "" };
  if (PERCENT.has(id)) return { start: "%", end: "" };
  if (MARKUP.has(id)) return { start: "<!--", end: " -->" };
  if (BLOCK.has(id)) return { start: "/*", end: " */" };
  if (id === "vb" || id === "vba") return { start: "'", end: "" };
  return { start: "//", end: "" };
}

/** `// Path: a/b.ts` then every line of the chunk commented out, ending with a newline. */
export function chunkAsComment(chunk: FimChunk, languageId: string | undefined): string {
  const { start, end } = commentSyntax(languageId);
  const lines = chunk.text.replace(/\r\n?/g, "\n").replace(/\n$/, "").split("\n");
  const commented = lines.map((line) => (line.length > 0 ? `${start} ${line}${end}` : `${start}${end}`));
  return [`${start} Path: ${chunk.fileName}${end}`, ...commented].join("\n") + "\n";
}
