/**
 * What each model family's fill-in-the-middle format looks like, as data. `fim.ts` matches a
 * GGUF's tokens against these tables and builds prompts from them; nothing here imports `vscode`
 * or node-llama-cpp.
 *
 * Layouts (the names the FIM literature uses; llama-server's `--spm-infill` is a different order):
 *   psm  PRE prefix SUF suffix MID            the model writes the middle after MID
 *   spm  PRE SUF suffix MID prefix            the model continues the prefix; nothing follows it,
 *                                             so typing forward re-evaluates only the new tokens
 *   Codestral has no middle token and is suffix-first only: SUFFIX suffix PREFIX prefix.
 * "trained" means the family's own papers, model cards or training code say so; see `evidence`.
 */

export type FimLayout = "psm" | "spm";

export type FimFamilyId =
  | "qwen-coder"
  | "codegemma"
  | "granite"
  | "starcoder"
  | "starcoder2"
  | "deepseek-coder"
  | "codellama"
  | "codestral"
  | "generic";

/** How context from other files is written before the current file. */
export type RepoContextStyle =
  /** `<|repo_name|>name\n<|file_sep|>path\ncontent…<|file_sep|>current path\n` then the FIM part. */
  | "qwen"
  /** `<repo_name>name<file_sep>path\ncontent…<file_sep>` then the FIM part, whose prefix starts with `current path\n`. */
  | "starcoder2"
  /** Each chunk as line comments (`// Path: a.ts`, `// …`) at the top of the prefix. */
  | "comment";

/** One way of spelling the FIM control tokens; a vocabulary has at most one of these. */
export interface FimSpelling {
  readonly id: "pipe" | "underscore" | "deepseek" | "codellama" | "codestral";
  /** Alternatives in order of preference: SentencePiece vocabularies may store `▁<PRE>`. */
  readonly prefix: readonly string[];
  readonly suffix: readonly string[];
  readonly middle?: readonly string[];
}

export const FIM_SPELLINGS: readonly FimSpelling[] = [
  { id: "pipe", prefix: ["<|fim_prefix|>"], suffix: ["<|fim_suffix|>"], middle: ["<|fim_middle|>"] },
  { id: "underscore", prefix: ["<fim_prefix>"], suffix: ["<fim_suffix>"], middle: ["<fim_middle>"] },
  // U+FF5C FULLWIDTH VERTICAL LINE and U+2581 LOWER ONE EIGHTH BLOCK, as DeepSeek's tokenizer spells them.
  { id: "deepseek", prefix: ["<\uFF5Cfim\u2581begin\uFF5C>"], suffix: ["<\uFF5Cfim\u2581hole\uFF5C>"], middle: ["<\uFF5Cfim\u2581end\uFF5C>"] },
  { id: "codellama", prefix: ["<PRE>", "\u2581<PRE>"], suffix: ["<SUF>", "\u2581<SUF>"], middle: ["<MID>", "\u2581<MID>"] },
  { id: "codestral", prefix: ["[PREFIX]"], suffix: ["[SUFFIX]"] },
];

export interface FimFamily {
  readonly id: FimFamilyId;
  readonly label: string;
  /** Matched against `general.name` / the file name to tell families that share a spelling apart. */
  readonly namePattern?: RegExp;
  readonly repoStyle: RepoContextStyle;
  /** Token texts for the repo-level format, in order of preference (only the ones the model has are used). */
  readonly repoName?: readonly string[];
  readonly fileSeparator?: readonly string[];
  /** End-of-generation token texts besides the model's eos/eot; only those the vocabulary has are used. */
  readonly stops: readonly string[];
  readonly trainedLayouts: readonly FimLayout[];
  readonly defaultLayout: FimLayout;
  /** Whether the BOS token starts the prompt when the GGUF does not say (`tokenizer.ggml.add_bos_token`). */
  readonly addBos: boolean;
  /**
   * SentencePiece families encode the prefix with the tokenizer's implicit leading space and the
   * suffix without it (CodeLlama's `encode` vs `encode_infilling`, mistral-common's `encode_fim`).
   */
  readonly prefixKeepsLeadingSpace: boolean;
  /** Where the layout facts come from and how sure they are. */
  readonly evidence: string;
  /** Names of models that share this vocabulary but were not trained to fill in the middle. */
  readonly notInfillTrained?: RegExp;
  /** Names of models that share the tokens but whose FIM training is undocumented. */
  readonly cautionPattern?: { readonly matches: RegExp; readonly unless: RegExp; readonly message: string };
  /** What this family's models are known to write that is not code; post-processing removes it. */
  readonly artefacts?: FimArtefacts;
}

/** Known non-code output of a family (post-processing's first filter reads this). */
export interface FimArtefacts {
  /** A space the SentencePiece tokenizer puts before the first word after the middle token. */
  readonly leadingSpace?: boolean;
  /** `<think>…</think>` reasoning before the code (reasoning-tuned models sharing the vocabulary). */
  readonly thinkBlocks?: boolean;
  /** The completion starts by writing the cursor's line again (`return |` + `return a + b`). */
  readonly repeatsLinePrefix?: boolean;
  /** Control texts written as plain text (a file separator): the completion ends there. */
  readonly strayText?: readonly string[];
}

const QWEN_STOPS = [
  "<|endoftext|>", "<|fim_pad|>", "<|file_sep|>", "<|repo_name|>", "<|im_end|>",
  "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>",
];
const STARCODER_STOPS = [
  "<|endoftext|>", "<file_sep>", "<repo_name>", "<filename>", "<reponame>", "<fim_pad>",
  "<fim_prefix>", "<fim_suffix>", "<fim_middle>",
];

export const FIM_FAMILIES: Readonly<Record<FimFamilyId, FimFamily>> = {
  "qwen-coder": {
    id: "qwen-coder",
    label: "Qwen2.5-Coder",
    namePattern: /qwen/i,
    repoStyle: "qwen",
    repoName: ["<|repo_name|>"],
    fileSeparator: ["<|file_sep|>"],
    stops: QWEN_STOPS,
    trainedLayouts: ["psm"],
    defaultLayout: "psm",
    addBos: false,
    prefixKeepsLeadingSpace: false,
    evidence: "PSM: Qwen2.5-Coder model card and report (file- and repo-level formats); no SPM training is published. Sure about PSM, fairly sure there is no SPM.",
    cautionPattern: {
      matches: /qwen/i,
      unless: /coder/i,
      message: "This Qwen model has fill-in-the-middle tokens, but only the Qwen Coder models are documented as trained to use them; completions may be poor.",
    },
    artefacts: { thinkBlocks: true, strayText: ["<|file_sep|>", "<|repo_name|>"] },
  },
  codegemma: {
    id: "codegemma",
    label: "CodeGemma",
    namePattern: /gemma/i,
    repoStyle: "comment",
    stops: ["<|file_separator|>", "<end_of_turn>", "<eos>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"],
    trainedLayouts: ["psm", "spm"],
    defaultLayout: "psm",
    addBos: true,
    prefixKeepsLeadingSpace: false,
    evidence: "CodeGemma report: trained with both PSM and SPM; its model card documents only the PSM prompt, and the exact SPM token order is not published. Multi-file context uses <|file_separator|> but the path format is not documented, so chunks go in as comments.",
    artefacts: { strayText: ["<|file_separator|>"] },
  },
  granite: {
    id: "granite",
    label: "Granite Code",
    namePattern: /granite/i,
    repoStyle: "comment",
    stops: [...STARCODER_STOPS, "<|end_of_text|>", ...QWEN_STOPS],
    trainedLayouts: ["psm"],
    defaultLayout: "psm",
    addBos: false,
    prefixKeepsLeadingSpace: false,
    evidence: "Granite Code uses StarCoder-style <fim_prefix>/<fim_suffix>/<fim_middle> tokens (llama.cpp's token table names Granite for them); PSM is the documented prompt. Whether SPM was trained could not be confirmed here.",
    artefacts: { repeatsLinePrefix: true },
  },
  starcoder: {
    id: "starcoder",
    label: "StarCoder",
    namePattern: /starcoder|santacoder/i,
    repoStyle: "comment",
    stops: STARCODER_STOPS,
    trainedLayouts: ["psm", "spm"],
    defaultLayout: "psm",
    addBos: false,
    prefixKeepsLeadingSpace: false,
    evidence: "PSM is the documented prompt. Trained with BigCode's Megatron fork, whose FIM code has an SPM rate (PRE SUF suffix MID prefix); the 0.5 rate is recalled from the paper, not re-checked here. Medium confidence on SPM.",
    artefacts: { strayText: ["<file_sep>", "<filename>"] },
  },
  starcoder2: {
    id: "starcoder2",
    label: "StarCoder2",
    namePattern: /starcoder2|starcoder-2/i,
    repoStyle: "starcoder2",
    repoName: ["<repo_name>"],
    fileSeparator: ["<file_sep>"],
    stops: STARCODER_STOPS,
    trainedLayouts: ["psm"],
    defaultLayout: "psm",
    addBos: false,
    prefixKeepsLeadingSpace: false,
    evidence: "StarCoder2 paper: PSM, with a repo-level form <repo_name>…<file_sep>path\\ncode…<file_sep><fim_prefix>path\\nprefix<fim_suffix>suffix<fim_middle>. No SPM is published.",
    artefacts: { strayText: ["<file_sep>", "<repo_name>"] },
  },
  "deepseek-coder": {
    id: "deepseek-coder",
    label: "DeepSeek-Coder",
    namePattern: /deepseek/i,
    repoStyle: "comment",
    stops: [
      "<\uFF5Cend\u2581of\u2581sentence\uFF5C>", "<|EOT|>",
      "<\uFF5Cfim\u2581begin\uFF5C>", "<\uFF5Cfim\u2581hole\uFF5C>", "<\uFF5Cfim\u2581end\uFF5C>",
    ],
    trainedLayouts: ["psm"],
    defaultLayout: "psm",
    addBos: true,
    prefixKeepsLeadingSpace: false,
    evidence: "DeepSeek-Coder report: FIM at a 0.5 rate in PSM mode (SPM discussed, not used). Repo-level examples put files one after another with a path comment, so chunks go in as comments. Fairly sure.",
    artefacts: { thinkBlocks: true },
  },
  codellama: {
    id: "codellama",
    label: "Code Llama",
    namePattern: /code.?llama/i,
    repoStyle: "comment",
    stops: ["<EOT>", "\u2581<EOT>", "</s>"],
    trainedLayouts: ["psm", "spm"],
    defaultLayout: "psm",
    addBos: true,
    prefixKeepsLeadingSpace: true,
    evidence: "Meta's Code Llama prompt docs and reference code: both PSM (<s><PRE> prefix<SUF>suffix<MID>) and SPM (<s><PRE><SUF>suffix<MID> prefix); only the 7B and 13B base models were trained to infill. Sure.",
    notInfillTrained: /python|\b(34|70)\s?b\b/i,
    artefacts: { leadingSpace: true },
  },
  codestral: {
    id: "codestral",
    label: "Codestral",
    namePattern: /codestral/i,
    repoStyle: "comment",
    stops: ["</s>", "[PREFIX]", "[SUFFIX]", "[MIDDLE]"],
    trainedLayouts: ["spm"],
    defaultLayout: "spm",
    addBos: true,
    prefixKeepsLeadingSpace: true,
    evidence: "mistral-common's FIM encoding: <s>[SUFFIX]suffix[PREFIX] prefix, suffix first, no middle token. Sure.",
    // Other Mistral models carry [PREFIX]/[SUFFIX] control tokens but were not trained to infill.
    notInfillTrained: /^(?!.*codestral)/i,
    artefacts: { leadingSpace: true },
  },
  generic: {
    id: "generic",
    label: "unrecognised FIM family",
    repoStyle: "comment",
    stops: [],
    trainedLayouts: ["psm"],
    defaultLayout: "psm",
    addBos: false,
    prefixKeepsLeadingSpace: false,
    evidence: "The GGUF names FIM tokens this table does not know; PSM is what llama.cpp's own infill uses.",
    artefacts: { thinkBlocks: true },
  },
};

/** Which family a spelling belongs to, given the model's name and vocabulary. */
export function familyForSpelling(
  spelling: FimSpelling["id"],
  names: string,
  hasToken: (text: string) => boolean,
): FimFamilyId {
  switch (spelling) {
    case "pipe":
      if (/gemma/i.test(names) || hasToken("<|file_separator|>")) return "codegemma";
      if (/granite/i.test(names)) return "granite";
      return "qwen-coder";
    case "underscore":
      if (/granite/i.test(names)) return "granite";
      if (hasToken("<file_sep>") || hasToken("<repo_name>") || /starcoder-?2/i.test(names)) return "starcoder2";
      return "starcoder";
    case "deepseek":
      return "deepseek-coder";
    case "codellama":
      return "codellama";
    case "codestral":
      return "codestral";
  }
}
