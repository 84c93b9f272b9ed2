import * as assert from "node:assert/strict";
import { chunkAsComment } from "../../src/completion/prompt/commentSyntax";
import { buildFimPrompt, fimPromptToString, type FimPiece } from "../../src/completion/prompt/fimPrompt";
import { detectFimFormat, looksLikeInstructModel, type FimFormat, type FimModelInfo } from "../../src/models/fimFormat";

// Vocabularies cut down to the tokens that matter, spelled as the real tokenizers spell them.
const QWEN_VOCAB = [
  "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>",
  "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>",
];
const STARCODER2_VOCAB = ["<|endoftext|>", "<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<fim_pad>", "<repo_name>", "<file_sep>"];
const STARCODER1_VOCAB = ["<|endoftext|>", "<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<fim_pad>", "<filename>", "<gh_stars>", "<reponame>"];
const DEEPSEEK_VOCAB = [
  "<\uFF5Cbegin\u2581of\u2581sentence\uFF5C>", "<\uFF5Cend\u2581of\u2581sentence\uFF5C>",
  "<\uFF5Cfim\u2581hole\uFF5C>", "<\uFF5Cfim\u2581begin\uFF5C>", "<\uFF5Cfim\u2581end\uFF5C>", "<|EOT|>",
];
const CODELLAMA_VOCAB = ["<s>", "</s>", "\u2581<PRE>", "\u2581<SUF>", "\u2581<MID>", "\u2581<EOT>"];
const CODEGEMMA_VOCAB = ["<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|file_separator|>"];
const MISTRAL_V3_VOCAB = ["<s>", "</s>", "[INST]", "[/INST]", "[PREFIX]", "[MIDDLE]", "[SUFFIX]"];

function vocab(tokens: readonly string[]): (text: string) => boolean {
  const set = new Set(tokens);
  return (text) => set.has(text);
}

function detect(info: FimModelInfo): FimFormat {
  const result = detectFimFormat(info);
  assert.ok(result.format, `expected a format, got refusal: ${result.refusal?.message}`);
  return result.format;
}

/** Pieces written compactly: `[tok]` for special pieces, plain strings for text. */
function compact(pieces: readonly FimPiece[]): string[] {
  return pieces.map((p) => ("special" in p ? `[${p.special}]` : p.text));
}

describe("FIM format detection", () => {
  it("reads Qwen2.5-Coder's tokens from the GGUF's FIM keys", () => {
    const format = detect({
      architecture: "qwen2", name: "Qwen2.5 Coder 1.5B",
      fimPre: "<|fim_prefix|>", fimSuf: "<|fim_suffix|>", fimMid: "<|fim_middle|>", fimPad: "<|fim_pad|>",
      fimRep: "<|repo_name|>", fimSep: "<|file_sep|>", eos: "<|endoftext|>", eot: "<|im_end|>",
      hasToken: vocab(QWEN_VOCAB),
    });
    assert.equal(format.family, "qwen-coder");
    assert.equal(format.source, "metadata");
    assert.deepEqual(format.tokens, {
      prefix: "<|fim_prefix|>", suffix: "<|fim_suffix|>", middle: "<|fim_middle|>",
      repoName: "<|repo_name|>", fileSeparator: "<|file_sep|>",
    });
    assert.deepEqual(format.trainedLayouts, ["psm"]);
    assert.equal(format.defaultLayout, "psm");
    assert.equal(format.repoStyle, "qwen");
    for (const stop of ["<|endoftext|>", "<|fim_pad|>", "<|file_sep|>", "<|im_end|>", "<|repo_name|>"]) {
      assert.ok(format.stopTokens.includes(stop), `${stop} stops Qwen`);
    }
    assert.equal(format.caution, undefined);
  });

  it("finds the same tokens by their text when the FIM keys are absent", () => {
    const format = detect({ architecture: "qwen2", name: "SLM demo model (random weights)", hasToken: vocab(QWEN_VOCAB) });
    assert.equal(format.family, "qwen-coder");
    assert.equal(format.source, "tokenText");
    assert.equal(format.tokens.prefix, "<|fim_prefix|>");
    assert.equal(format.tokens.repoName, "<|repo_name|>");
    assert.ok(format.stopTokens.includes("<|endoftext|>"));
  });

  it("tells StarCoder2 (repo tokens) from StarCoder 1 (metadata-prefix tokens)", () => {
    const sc2 = detect({ architecture: "starcoder2", name: "starcoder2-3b", hasToken: vocab(STARCODER2_VOCAB) });
    assert.equal(sc2.family, "starcoder2");
    assert.equal(sc2.repoStyle, "starcoder2");
    assert.deepEqual(sc2.tokens, {
      prefix: "<fim_prefix>", suffix: "<fim_suffix>", middle: "<fim_middle>", repoName: "<repo_name>", fileSeparator: "<file_sep>",
    });
    assert.deepEqual(sc2.trainedLayouts, ["psm"]);

    const sc1 = detect({ architecture: "starcoder", name: "starcoderbase-1b", hasToken: vocab(STARCODER1_VOCAB) });
    assert.equal(sc1.family, "starcoder");
    assert.equal(sc1.repoStyle, "comment");
    assert.deepEqual(sc1.trainedLayouts, ["psm", "spm"]);
    assert.ok(sc1.stopTokens.includes("<|endoftext|>"));
    assert.ok(!sc1.stopTokens.includes("<file_sep>"), "only tokens the vocabulary has");
  });

  it("recognises DeepSeek-Coder's full-width bars and U+2581 and its BOS", () => {
    const format = detect({
      architecture: "llama", name: "deepseek-coder-1.3b-base", addBos: true,
      bos: "<\uFF5Cbegin\u2581of\u2581sentence\uFF5C>", eos: "<\uFF5Cend\u2581of\u2581sentence\uFF5C>",
      hasToken: vocab(DEEPSEEK_VOCAB),
    });
    assert.equal(format.family, "deepseek-coder");
    assert.equal(format.tokens.prefix, "<｜fim▁begin｜>");
    assert.equal(format.tokens.suffix, "<｜fim▁hole｜>");
    assert.equal(format.tokens.middle, "<｜fim▁end｜>");
    assert.equal(format.tokens.bos, "<｜begin▁of▁sentence｜>");
    assert.ok(format.stopTokens.includes("<｜end▁of▁sentence｜>"));
    assert.deepEqual(format.trainedLayouts, ["psm"]);
  });

  it("finds CodeLlama's tokens stored with SentencePiece's leading ▁", () => {
    const format = detect({ architecture: "llama", name: "CodeLlama-7b-hf", bos: "<s>", eos: "</s>", hasToken: vocab(CODELLAMA_VOCAB) });
    assert.equal(format.family, "codellama");
    assert.deepEqual(format.tokens, { prefix: "▁<PRE>", suffix: "▁<SUF>", middle: "▁<MID>", bos: "<s>" });
    assert.deepEqual(format.trainedLayouts, ["psm", "spm"]);
    assert.deepEqual(format.stopTokens, ["</s>", "▁<EOT>"]);
    assert.equal(format.prefixKeepsLeadingSpace, true);
  });

  it("tells CodeGemma from Qwen although both spell <|fim_prefix|>", () => {
    const format = detect({ architecture: "gemma", name: "codegemma-2b", bos: "<bos>", eos: "<eos>", hasToken: vocab(CODEGEMMA_VOCAB) });
    assert.equal(format.family, "codegemma");
    assert.ok(format.stopTokens.includes("<|file_separator|>"));
    assert.ok(format.stopTokens.includes("<end_of_turn>"));
    assert.equal(format.tokens.bos, "<bos>");
    assert.deepEqual(format.trainedLayouts, ["psm", "spm"]);
    assert.equal(format.defaultLayout, "psm");
  });

  it("makes Codestral suffix-first, the only layout it has", () => {
    const format = detect({ architecture: "llama", name: "Codestral-22B-v0.1", bos: "<s>", eos: "</s>", hasToken: vocab(MISTRAL_V3_VOCAB) });
    assert.equal(format.family, "codestral");
    assert.deepEqual(format.tokens, { prefix: "[PREFIX]", suffix: "[SUFFIX]", bos: "<s>" });
    assert.deepEqual(format.buildableLayouts, ["spm"]);
    assert.equal(format.defaultLayout, "spm");
    assert.ok(format.stopTokens.includes("</s>"));
  });

  it("knows Granite by name on StarCoder-style tokens", () => {
    const format = detect({ architecture: "llama", name: "granite-3b-code-base", hasToken: vocab(STARCODER1_VOCAB) });
    assert.equal(format.family, "granite");
  });

  it("accepts FIM tokens it has no table for, as named by the GGUF", () => {
    const format = detect({
      architecture: "glm4moe", name: "GLM 4.5 Air",
      fimPre: "<|code_prefix|>", fimSuf: "<|code_suffix|>", fimMid: "<|code_middle|>", eos: "<|endoftext|>",
      hasToken: vocab(["<|code_prefix|>", "<|code_suffix|>", "<|code_middle|>", "<|endoftext|>"]),
    });
    assert.equal(format.family, "generic");
    assert.equal(format.defaultLayout, "psm");
    assert.deepEqual(format.stopTokens, ["<|endoftext|>"]);
  });

  it("warns, without refusing, when a general Qwen model carries the FIM tokens", () => {
    const format = detect({ architecture: "qwen2", name: "Qwen2.5 7B", hasToken: vocab(QWEN_VOCAB) });
    assert.match(format.caution ?? "", /only the Qwen Coder models/);
  });
});

describe("FIM refusals", () => {
  it("refuses instruct and chat models by name, finetune or file name", () => {
    for (const info of [
      { name: "Qwen2.5 Coder 1.5B Instruct" },
      { name: "qwen2.5-coder-7b-instruct-q4_k_m" },
      { name: "codegemma-7b-it" },
      { name: "deepseek-coder-6.7b-chat" },
      { name: "Qwen2.5 Coder", finetune: "Instruct" },
      { fileName: "CodeLlama-7b-Instruct.Q4_K_M.gguf" },
    ]) {
      const result = detectFimFormat({ ...info, hasToken: vocab([...QWEN_VOCAB, ...CODELLAMA_VOCAB]) });
      assert.equal(result.refusal?.code, "instructModel", JSON.stringify(info));
      assert.match(result.refusal.message, /instruct\/chat model/);
    }
  });

  it("says which text marked the model as instruct, since the displayed name may not show it", () => {
    const hasToken = vocab(QWEN_VOCAB);
    const byFile = detectFimFormat({ name: "SLM scripted model", fileName: "chat-model.gguf", hasToken });
    assert.match(byFile.refusal?.message ?? "", /\(its file name "chat-model\.gguf" says "chat"\)/);
    const byName = detectFimFormat({ name: "codegemma-7b-it", hasToken });
    assert.match(byName.refusal?.message ?? "", /\(its name says "it"\)/);
    const byTag = detectFimFormat({ name: "Qwen2.5 Coder", finetune: "Instruct", hasToken });
    assert.match(byTag.refusal?.message ?? "", /\(its fine-tune tag "Instruct" says "Instruct"\)/);
  });

  it("does not mistake words that merely contain 'it' or 'chat' for instruct models", () => {
    for (const name of ["granite-3b-code-base", "Qwen2.5 Coder 1.5B", "gitcoder", "chatterbox-coder-base", "starcoder2-3b"]) {
      assert.equal(looksLikeInstructModel({ name }), false, name);
    }
  });

  it("refuses a model without FIM tokens and says what to use instead", () => {
    const result = detectFimFormat({ architecture: "llama", name: "Llama 3.2 1B", hasToken: vocab(["<|begin_of_text|>", "<|eot_id|>"]) });
    assert.equal(result.refusal?.code, "noFimTokens");
    assert.match(result.refusal.message, /"Llama 3\.2 1B" has no fill-in-the-middle tokens/);
  });

  it("reports missing FIM tokens first for an instruct model without them", () => {
    const result = detectFimFormat({ name: "Llama-3.2-1B-Instruct", hasToken: vocab(["<|eot_id|>"]) });
    assert.equal(result.refusal?.code, "noFimTokens");
    assert.match(result.refusal.message, /also looks like an instruct\/chat model/);
  });

  it("refuses Code Llama variants that were not trained to infill", () => {
    for (const name of ["CodeLlama-7b-Python-hf", "CodeLlama-34b-hf", "codellama 70b"]) {
      const result = detectFimFormat({ name, hasToken: vocab(CODELLAMA_VOCAB) });
      assert.equal(result.refusal?.code, "notInfillTrained", name);
    }
  });

  it("refuses Mistral models other than Codestral that only share the control tokens", () => {
    const result = detectFimFormat({ name: "Mistral 7B v0.3", hasToken: vocab(MISTRAL_V3_VOCAB) });
    assert.equal(result.refusal?.code, "notInfillTrained");
  });
});

describe("FIM prompt pieces", () => {
  const qwen = detect({ name: "Qwen2.5 Coder 0.5B", eos: "<|endoftext|>", hasToken: vocab(QWEN_VOCAB) });
  const prefix = "def add(a, b):\n    ";
  const suffix = "\n\nprint(add(1, 2))\n";

  it("Qwen PSM, file level", () => {
    const prompt = buildFimPrompt(qwen, { prefix, suffix });
    assert.equal(prompt.layout, "psm");
    assert.deepEqual(prompt.pieces, [
      { special: "<|fim_prefix|>", role: "control" },
      { text: prefix, role: "prefix", trimLeadingSpace: true },
      { special: "<|fim_suffix|>", role: "control" },
      { text: suffix, role: "suffix", trimLeadingSpace: true },
      { special: "<|fim_middle|>", role: "control" },
    ]);
    assert.equal(prompt.piecesAfterPrefix, 3);
    assert.ok(prompt.stopTokens.includes("<|file_sep|>"));
    assert.ok(prompt.stopStrings.includes("<|endoftext|>"));
  });

  it("Qwen PSM, repo level with chunks from other files", () => {
    const prompt = buildFimPrompt(qwen, {
      prefix, suffix, fileName: "src/main.py", repoName: "calc",
      chunks: [{ fileName: "src/util.py", text: "def sub(a, b):\n    return a - b" }, { fileName: "README.md", text: "# calc\n" }],
    });
    assert.deepEqual(compact(prompt.pieces), [
      "[<|repo_name|>]", "calc\n",
      "[<|file_sep|>]", "src/util.py\ndef sub(a, b):\n    return a - b\n",
      "[<|file_sep|>]", "README.md\n# calc\n",
      "[<|file_sep|>]", "src/main.py\n",
      "[<|fim_prefix|>]", prefix, "[<|fim_suffix|>]", suffix, "[<|fim_middle|>]",
    ]);
    assert.deepEqual(prompt.pieces.filter((p) => "text" in p).map((p) => p.role), ["repo", "chunk", "chunk", "file", "prefix", "suffix"]);
  });

  it("Qwen SPM (buildable, not trained): nothing follows the prefix", () => {
    const prompt = buildFimPrompt(qwen, { prefix, suffix, chunks: [{ fileName: "u.py", text: "x = 1\n" }], fileName: "m.py" }, { layout: "spm" });
    assert.equal(prompt.layout, "spm");
    assert.deepEqual(compact(prompt.pieces), [
      "[<|repo_name|>]", "project\n", "[<|file_sep|>]", "u.py\nx = 1\n", "[<|file_sep|>]", "m.py\n",
      "[<|fim_prefix|>]", "[<|fim_suffix|>]", suffix, "[<|fim_middle|>]", prefix,
    ]);
    assert.equal(prompt.piecesAfterPrefix, 0);
  });

  it("StarCoder2 repo level puts the current path inside the FIM prefix", () => {
    const sc2 = detect({ name: "starcoder2-3b", hasToken: vocab(STARCODER2_VOCAB) });
    const prompt = buildFimPrompt(sc2, { prefix: "fn main() {\n    ", suffix: "\n}\n", fileName: "src/main.rs", repoName: "demo", chunks: [{ fileName: "src/lib.rs", text: "pub fn two() -> i32 { 2 }\n" }] });
    assert.deepEqual(compact(prompt.pieces), [
      "[<repo_name>]", "demo", "[<file_sep>]", "src/lib.rs\npub fn two() -> i32 { 2 }\n", "[<file_sep>]",
      "[<fim_prefix>]", "src/main.rs\n", "fn main() {\n    ", "[<fim_suffix>]", "\n}\n", "[<fim_middle>]",
    ]);
  });

  it("StarCoder2 without chunks is the plain file-level prompt", () => {
    const sc2 = detect({ name: "starcoder2-3b", hasToken: vocab(STARCODER2_VOCAB) });
    assert.equal(fimPromptToString(buildFimPrompt(sc2, { prefix: "a", suffix: "b", fileName: "x.rs" })), "<fim_prefix>a<fim_suffix>b<fim_middle>");
  });

  it("StarCoder 1 SPM is PRE SUF suffix MID prefix", () => {
    const sc1 = detect({ name: "starcoderbase-1b", hasToken: vocab(STARCODER1_VOCAB) });
    assert.equal(fimPromptToString(buildFimPrompt(sc1, { prefix: "P", suffix: "S" }, { layout: "spm" })), "<fim_prefix><fim_suffix>S<fim_middle>P");
    assert.equal(fimPromptToString(buildFimPrompt(sc1, { prefix: "P", suffix: "S" })), "<fim_prefix>P<fim_suffix>S<fim_middle>");
  });

  it("DeepSeek-Coder PSM with BOS and chunks as comments at the top of the prefix", () => {
    const ds = detect({ name: "deepseek-coder-1.3b-base", bos: "<｜begin▁of▁sentence｜>", addBos: true, hasToken: vocab(DEEPSEEK_VOCAB) });
    const prompt = buildFimPrompt(ds, {
      prefix: "import { two } from './two';\nconst x = ", suffix: ";\n", languageId: "typescript",
      chunks: [{ fileName: "src/two.ts", text: "export const two = 2;\n" }],
    }, { includeBos: true });
    assert.deepEqual(compact(prompt.pieces), [
      "[<｜begin▁of▁sentence｜>]", "[<｜fim▁begin｜>]",
      "// Path: src/two.ts\n// export const two = 2;\n",
      "import { two } from './two';\nconst x = ",
      "[<｜fim▁hole｜>]", ";\n", "[<｜fim▁end｜>]",
    ]);
    assert.equal(prompt.pieces[0]!.role, "bos");
    assert.equal(buildFimPrompt(ds, { prefix: "a", suffix: "b" }).pieces[0]!.role, "control", "no BOS unless asked");
  });

  it("CodeLlama PSM and SPM keep SentencePiece's space on the prefix only", () => {
    const cl = detect({ name: "CodeLlama-7b-hf", bos: "<s>", hasToken: vocab(CODELLAMA_VOCAB) });
    const psm = buildFimPrompt(cl, { prefix: "def f():\n    ", suffix: "\n    return x\n" }, { includeBos: true });
    assert.deepEqual(psm.pieces, [
      { special: "<s>", role: "bos" },
      { special: "▁<PRE>", role: "control" },
      { text: "def f():\n    ", role: "prefix", trimLeadingSpace: false },
      { special: "▁<SUF>", role: "control" },
      { text: "\n    return x\n", role: "suffix", trimLeadingSpace: true },
      { special: "▁<MID>", role: "control" },
    ]);
    const spm = buildFimPrompt(cl, { prefix: "P", suffix: "S", chunks: [{ fileName: "a.py", text: "A" }], languageId: "python" }, { layout: "spm" });
    assert.deepEqual(spm.pieces, [
      { special: "▁<PRE>", role: "control" },
      { special: "▁<SUF>", role: "control" },
      { text: "S", role: "suffix", trimLeadingSpace: true },
      { special: "▁<MID>", role: "control" },
      { text: "# Path: a.py\n# A\n", role: "chunk", trimLeadingSpace: false },
      { text: "P", role: "prefix", trimLeadingSpace: true },
    ]);
    assert.deepEqual(spm.stopStrings, ["<EOT>", "</s>"]);
  });

  it("CodeGemma PSM", () => {
    const cg = detect({ name: "codegemma-2b", bos: "<bos>", hasToken: vocab(CODEGEMMA_VOCAB) });
    assert.equal(
      fimPromptToString(buildFimPrompt(cg, { prefix: "import ", suffix: "\nif __name__ == '__main__':\n    sys.exit(0)" }, { includeBos: true })),
      "<bos><|fim_prefix|>import <|fim_suffix|>\nif __name__ == '__main__':\n    sys.exit(0)<|fim_middle|>",
    );
  });

  it("Codestral is suffix-first whatever layout is asked for", () => {
    const cs = detect({ name: "Codestral-22B-v0.1", bos: "<s>", hasToken: vocab(MISTRAL_V3_VOCAB) });
    for (const layout of [undefined, "psm", "spm"] as const) {
      const prompt = buildFimPrompt(cs, { prefix: "func main() {\n\t", suffix: "\n}\n" }, { layout, includeBos: true });
      assert.equal(prompt.layout, "spm");
      assert.deepEqual(prompt.pieces, [
        { special: "<s>", role: "bos" },
        { special: "[SUFFIX]", role: "control" },
        { text: "\n}\n", role: "suffix", trimLeadingSpace: true },
        { special: "[PREFIX]", role: "control" },
        { text: "func main() {\n\t", role: "prefix", trimLeadingSpace: false },
      ]);
      assert.equal(prompt.piecesAfterPrefix, 0);
    }
  });

  it("handles the cursor at offset 0 and at the end of the file", () => {
    const atStart = buildFimPrompt(qwen, { prefix: "", suffix: "x = 1\n" });
    assert.deepEqual(compact(atStart.pieces), ["[<|fim_prefix|>]", "[<|fim_suffix|>]", "x = 1\n", "[<|fim_middle|>]"]);
    assert.equal(atStart.piecesAfterPrefix, 3);
    const atEnd = buildFimPrompt(qwen, { prefix: "x = 1\n", suffix: "" });
    assert.deepEqual(compact(atEnd.pieces), ["[<|fim_prefix|>]", "x = 1\n", "[<|fim_suffix|>]", "[<|fim_middle|>]"]);
    assert.equal(atEnd.piecesAfterPrefix, 2);
  });

  it("keeps text that spells a control token as a text piece", () => {
    const prompt = buildFimPrompt(qwen, { prefix: "s = '<|fim_middle|>'", suffix: "" });
    assert.deepEqual(prompt.pieces[1], { text: "s = '<|fim_middle|>'", role: "prefix", trimLeadingSpace: true });
  });
});

describe("chunks as comments", () => {
  it("comments every line in the document's language", () => {
    assert.equal(chunkAsComment({ fileName: "a.go", text: "package a\n\nfunc A() {}\n" }, "go"), "// Path: a.go\n// package a\n//\n// func A() {}\n");
    assert.equal(chunkAsComment({ fileName: "q.sql", text: "SELECT 1" }, "sql"), "-- Path: q.sql\n-- SELECT 1\n");
    assert.equal(chunkAsComment({ fileName: "i.html", text: "<p>é</p>\r\n" }, "html"), "<!-- Path: i.html -->\n<!-- <p>é</p> -->\n");
  });
});
