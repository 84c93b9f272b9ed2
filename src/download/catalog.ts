// The models SLM: Download a Recommended Model… offers. Completion wants a base model with
// fill-in-the-middle tokens (the ggml-org Qwen2.5-Coder Q8_0 conversions llama.vscode and
// llama-server's --fim-qwen-* presets use); chat wants an instruct model.
//
// Checksums: each `sha256` and `size` is the Hugging Face LFS object id and size of the file at the
// pinned `revision` (a commit, so the bytes behind the URL cannot change under the hash). No network is reachable where this was written, so they were taken from
// public sources that pin these files (and read them from the Hugging Face API; the 0.5B one was
// also hashed after download there), cross-checked where two sources agree: 1.5B and the instruct
// model. The downloader refuses any file that does not match, and fails before the body when the
// server states a different SHA-256 (`X-Linked-Etag`), so a wrong value here can only cause a
// refused download, never an unverified one.

export type ModelRole = "completion" | "chat" | "nextEdit";

export interface CatalogModel {
  /** Stable: names the file on disk and is what the command's `id` argument takes. */
  readonly id: string;
  readonly name: string;
  readonly role: ModelRole;
  /** One line for the quick pick. */
  readonly description: string;
  /** `owner/name` under the mirror. */
  readonly repo: string;
  /** Branch or commit in the resolve URL. */
  readonly revision: string;
  readonly file: string;
  /** Bytes; unknown only for an administrator's entry that does not state it. */
  readonly size?: number;
  readonly sha256: string;
  /** Where `sha256` comes from, as the command reports it. */
  readonly checksumSource: string;
}

export const DEFAULT_MIRROR = "https://huggingface.co";

const PINNED = "pinned in SLM Assistant's catalog (Hugging Face LFS SHA-256)";

export const CATALOG: readonly CatalogModel[] = [
  {
    id: "qwen2.5-coder-0.5b-q8_0",
    name: "Qwen2.5-Coder 0.5B (base, Q8_0)",
    role: "completion",
    description: "Fastest; completes the current line well. Apache-2.0.",
    repo: "ggml-org/Qwen2.5-Coder-0.5B-Q8_0-GGUF",
    revision: "5788aee90e725673490be18f553d234feaa8303d",
    file: "qwen2.5-coder-0.5b-q8_0.gguf",
    size: 531_068_128,
    sha256: "d0f8cd6c49bab52a0abdbe47948518b1f4d9b1a8a2a6825099cea31cea10ac56",
    checksumSource: PINNED,
  },
  {
    id: "qwen2.5-coder-1.5b-q8_0",
    name: "Qwen2.5-Coder 1.5B (base, Q8_0)",
    role: "completion",
    description: "Recommended for completion on most machines. Apache-2.0.",
    repo: "ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF",
    revision: "8be1b8a895a84beea772817caaa71eba6b6e0d07",
    file: "qwen2.5-coder-1.5b-q8_0.gguf",
    size: 1_646_573_056,
    sha256: "29871c94d15727a6e243f79a37113d4ae625a6215b5e800bf41a23af2da32832",
    checksumSource: PINNED,
  },
  {
    id: "qwen2.5-coder-3b-q8_0",
    name: "Qwen2.5-Coder 3B (base, Q8_0)",
    role: "completion",
    description: "Best completions; needs more memory. Qwen research licence (non-commercial).",
    repo: "ggml-org/Qwen2.5-Coder-3B-Q8_0-GGUF",
    revision: "9c1de162ae417c9c3aacde97c729c4128de047d8",
    file: "qwen2.5-coder-3b-q8_0.gguf",
    size: 3_285_476_160,
    sha256: "a522a906e299ed34db738b9626b2cd0da9e446c14674468a22fc2eae3dbd344d",
    checksumSource: PINNED,
  },
  {
    id: "qwen2.5-coder-1.5b-instruct-q4_k_m",
    name: "Qwen2.5-Coder 1.5B Instruct (Q4_K_M)",
    role: "chat",
    description: "For chat, explain and summarize. Apache-2.0.",
    repo: "Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
    revision: "f86cb2c1fa58255f8052cc32aeede1b7482d4361",
    file: "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size: 1_117_320_768,
    sha256: "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    checksumSource: PINNED,
  },
  // Sweep Next-Edit (Apache-2.0), the publisher's own Q8_0 files. 1.5B: revision, size and SHA-256
  // agree across independent public pins of this file. 0.5B: the SHA-256 is the one public pins
  // give for the file on `main` (no commit or size was found published), so the revision is the
  // branch and the size is not stated; a changed file is refused by the checksum.
  {
    id: "sweep-next-edit-0.5b-q8_0",
    name: "Sweep Next-Edit 0.5B (Q8_0)",
    role: "nextEdit",
    description: "Next-edit suggestions: proposes the change you are about to make. Fastest. Apache-2.0.",
    repo: "sweepai/sweep-next-edit-0.5B",
    revision: "main",
    file: "sweep-next-edit-0.5b.q8_0.gguf",
    sha256: "2d2f5ca856765a086d4ee3d0dc4d30358e9d562e36480e0c754240e9cf45ed64",
    checksumSource: PINNED,
  },
  {
    id: "sweep-next-edit-1.5b-q8_0",
    name: "Sweep Next-Edit 1.5B (Q8_0)",
    role: "nextEdit",
    description: "Next-edit suggestions: better proposals, needs more memory. Apache-2.0.",
    repo: "sweepai/sweep-next-edit-1.5B",
    revision: "409016591c6c1a94f545f22328a85a3516118f34",
    file: "sweep-next-edit-1.5b.q8_0.v2.gguf",
    size: 1_537_269_856,
    sha256: "1321ea5e5d7529e60f9770c6a0b3a965f89542d16cf4ae51bab267f6a88150da",
    checksumSource: PINNED,
  },
];

/** `<mirror>/<repo>/resolve/<revision>/<file>`: Hugging Face's layout, which a mirror must share. */
export function modelUrl(model: Pick<CatalogModel, "repo" | "revision" | "file">, mirror: string): string {
  const base = mirror.trim().replace(/\/+$/, "");
  const parts = [...model.repo.split("/"), "resolve", model.revision, ...model.file.split("/")].map(encodeURIComponent);
  return `${base}/${parts.join("/")}`;
}

/** The mirror setting, checked: an http(s) URL, or the reason it is not usable. */
export function parseMirror(value: unknown): { url: string } | { error: string } {
  if (value === undefined || value === null || (typeof value === "string" && value.trim() === "")) return { url: DEFAULT_MIRROR };
  if (typeof value !== "string") return { error: "slm.downloadMirror must be a URL such as https://huggingface.co." };
  try {
    const url = new URL(value.trim());
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      return { error: `slm.downloadMirror must start with https:// or http://, not ${url.protocol}//.` };
    }
    return { url: url.href.replace(/\/+$/, "") };
  } catch {
    return { error: `slm.downloadMirror is not a valid URL: "${value}".` };
  }
}

/**
 * Models an administrator adds to the list (`slm.downloadExtraModels`), e.g. their organisation's
 * approved models on an internal mirror. Each must state its SHA-256; malformed entries are named.
 */
export function parseExtraModels(value: unknown): { models: CatalogModel[]; problems: string[] } {
  const models: CatalogModel[] = [];
  const problems: string[] = [];
  if (!Array.isArray(value)) return { models, problems: value === undefined ? [] : ["slm.downloadExtraModels must be a list."] };
  value.forEach((entry: unknown, index) => {
    const item = (entry ?? {}) as Record<string, unknown>;
    const label = typeof item.name === "string" && item.name ? `"${item.name}"` : `entry ${index + 1}`;
    const text = (key: string) => (typeof item[key] === "string" ? item[key].trim() : "");
    const sha256 = text("sha256").replace(/^sha256:/i, "").toLowerCase();
    const missing = ["name", "repo", "file"].filter((key) => !text(key));
    if (missing.length > 0) return void problems.push(`slm.downloadExtraModels ${label} has no ${missing.join(", ")}.`);
    if (!/^[0-9a-f]{64}$/.test(sha256)) return void problems.push(`slm.downloadExtraModels ${label} needs a sha256 of 64 hexadecimal digits.`);
    if (["repo", "file", "revision"].some((key) => text(key).split(/[\\/]/).some((segment) => segment === ".." || segment === "."))) {
      return void problems.push(`slm.downloadExtraModels ${label} has a "." or ".." segment in its repo, file or revision; it is ignored.`);
    }
    const size = typeof item.size === "number" && Number.isInteger(item.size) && item.size > 0 ? item.size : undefined;
    if (item.size !== undefined && size === undefined) return void problems.push(`slm.downloadExtraModels ${label} has a size that is not a positive whole number of bytes.`);
    const role: ModelRole = item.role === "chat" ? "chat" : "completion";
    models.push({
      id: text("id") || `${text("repo")}/${text("file")}`,
      name: text("name"),
      role,
      description: text("description") || "Added by slm.downloadExtraModels.",
      repo: text("repo"),
      revision: text("revision") || "main",
      file: text("file"),
      size,
      sha256,
      checksumSource: "stated in slm.downloadExtraModels",
    });
  });
  return { models, problems };
}

/** The file name a model gets on disk: its catalog id, so two entries never share a file. */
export function localFileName(model: CatalogModel): string {
  const safe = model.id.replace(/[^A-Za-z0-9._-]+/g, "_");
  return safe.toLowerCase().endsWith(".gguf") ? safe : `${safe}.gguf`;
}
