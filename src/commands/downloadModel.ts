import * as fs from "node:fs/promises";
import * as path from "node:path";
import * as vscode from "vscode";
import { readSettings } from "../config";
import { CATALOG, type CatalogModel, localFileName, modelUrl, parseExtraModels, parseMirror } from "../download/catalog";
import { download, DownloadError } from "../download/downloader";
import { redactUrl } from "../download/errors";
import { formatBytes } from "../util/bytes";
import { type HashCacheStore, modelSha256 } from "../models/modelHash";
import { withAbortSignal } from "../util/abort";
import { Commands } from "./ids";
import { type ModelRole, useModel } from "./useModel";

/** The optional argument: skips the pickers (tests, walkthrough links, other tooling). */
export interface DownloadModelArgs {
  readonly id?: string;
  readonly use?: ModelRole;
}

export type DownloadModelResult =
  | {
      readonly status: "downloaded" | "alreadyPresent";
      readonly path: string;
      readonly sha256: string;
      readonly checksumSource: string;
      readonly use?: ModelRole;
    }
  | { readonly status: "refused" | "failed" | "cancelled"; readonly message: string; readonly kind?: string };

const USE_CHOICES: readonly { readonly use: ModelRole; readonly label: string }[] = [
  { use: "both", label: "Completion and chat" },
  { use: "completion", label: "Completion only" },
  { use: "chat", label: "Chat only" },
  { use: "nextEdit", label: "Next-edit suggestions" },
];

const ROLE_LABEL = { completion: "completion (base, fill-in-the-middle)", chat: "chat (instruct)", nextEdit: "next edit" } as const;

/**
 * Downloads a recommended model into the extension's global storage, only with slm.allowNetwork on:
 * pick, download with a cancellable progress notification (resumable, verified by SHA-256), then
 * choose what to use it for. A verified copy already present is not downloaded again.
 */
export async function downloadModel(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  arg?: unknown,
): Promise<DownloadModelResult | undefined> {
  const args = readArgs(arg);
  const settings = readSettings();
  if (!settings.allowNetwork) {
    const message =
      "SLM Assistant does not use the network unless you allow it (slm.allowNetwork is off), so it cannot download models. Turn the setting on to download, or copy a GGUF file to this machine and choose it with SLM: Select Model…";
    log.info("Download refused: slm.allowNetwork is off; no connection was made.");
    offerSetting(vscode.window.showWarningMessage(message, "Open Setting"), "slm.allowNetwork");
    return { status: "refused", kind: "networkDisabled", message };
  }
  const mirror = parseMirror(settings.downloadMirror);
  if ("error" in mirror) {
    log.warn(`Download refused: ${mirror.error}`);
    offerSetting(vscode.window.showErrorMessage(`SLM Assistant: ${mirror.error}`, "Open Setting"), "slm.downloadMirror");
    return { status: "refused", kind: "mirror", message: mirror.error };
  }
  const extra = parseExtraModels(settings.downloadExtraModels);
  for (const problem of extra.problems) log.warn(problem);
  const catalog = [...CATALOG, ...extra.models];
  const folder = path.join(context.globalStorageUri.fsPath, "models");

  const model = args.id !== undefined ? catalog.find((m) => m.id === args.id) : await pickModel(catalog, folder);
  if (!model) {
    if (args.id === undefined) return undefined;
    const message = `There is no model "${args.id}" to download. Known: ${catalog.map((m) => m.id).join(", ")}.`;
    void vscode.window.showErrorMessage(`SLM Assistant: ${message}`);
    return { status: "failed", kind: "unknownModel", message };
  }

  const destination = path.join(folder, localFileName(model));
  const url = modelUrl(model, mirror.url);
  const present = await verifiedCopy(model, destination, context.globalState, log);
  let outcome: { status: "downloaded" | "alreadyPresent"; sha256: string; checksumSource: string };
  if (present) {
    log.info(`${model.name} is already downloaded and verified (${destination}); not downloading it again.`);
    outcome = { status: "alreadyPresent", sha256: present, checksumSource: model.checksumSource };
  } else {
    log.info(`Downloading ${model.name} from ${redactUrl(url)} to ${destination} (checksum ${model.checksumSource}).`);
    try {
      const result = await withProgressNotification(model, (signal, onProgress) =>
        download({
          url,
          destination,
          allowNetwork: true,
          sha256: model.sha256,
          size: model.size,
          displayName: model.name,
          signal,
          onProgress,
          log: (line) => log.info(line),
        }),
      );
      outcome = { status: "downloaded", sha256: result.sha256, checksumSource: model.checksumSource };
    } catch (error) {
      return reportFailure(error, model, args, log);
    }
  }

  const use = args.use ?? (await askUse(model, outcome.sha256, outcome.checksumSource));
  if (use) await useModel(destination, use, log);
  return { ...outcome, path: destination, use };
}

function readArgs(arg: unknown): DownloadModelArgs {
  if (typeof arg !== "object" || arg === null) return {};
  const { id, use } = arg as Record<string, unknown>;
  return {
    id: typeof id === "string" ? id : undefined,
    use: use === "both" || use === "completion" || use === "chat" || use === "nextEdit" ? use : undefined,
  };
}

function offerSetting(choice: Thenable<string | undefined>, setting: string): void {
  void choice.then((picked) => {
    if (picked) void vscode.commands.executeCommand("workbench.action.openSettings", setting);
  });
}

async function pickModel(catalog: readonly CatalogModel[], folder: string): Promise<CatalogModel | undefined> {
  const items = await Promise.all(
    catalog.map(async (model) => {
      const onDisk = await fs.stat(path.join(folder, localFileName(model))).then(() => true, () => false);
      return {
        label: model.name,
        description: `${ROLE_LABEL[model.role]} · ${model.size ? formatBytes(model.size, "progress") : "size not stated"}${onDisk ? " · downloaded" : ""}`,
        detail: model.description,
        model,
      };
    }),
  );
  const picked = await vscode.window.showQuickPick(items, {
    title: "SLM Assistant: download a recommended model",
    placeHolder: "Base models complete code; instruct models chat. Each file is verified (SHA-256).",
    matchOnDescription: true,
  });
  return picked?.model;
}

/** The SHA-256 of a copy already at `destination` that matches the catalog, else undefined. */
async function verifiedCopy(model: CatalogModel, destination: string, store: HashCacheStore, log: vscode.LogOutputChannel): Promise<string | undefined> {
  const stats = await fs.stat(destination).catch(() => undefined);
  if (!stats?.isFile()) return undefined;
  if (model.size === undefined || stats.size === model.size) {
    const { sha256 } = await modelSha256(destination, store);
    if (sha256 === model.sha256) return sha256;
  }
  log.warn(`${destination} does not match ${model.name}'s checksum; downloading it again.`);
  await fs.rm(destination, { force: true });
  return undefined;
}

type ProgressCallback = (received: number, total: number | undefined, bytesPerSecond: number) => void;

function withProgressNotification<T>(model: CatalogModel, work: (signal: AbortSignal, onProgress: ProgressCallback) => Promise<T>): Promise<T> {
  return Promise.resolve(
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Downloading ${model.name}`, cancellable: true },
      (progress, token) =>
        withAbortSignal(token, (signal) => {
          let shownPercent = 0;
          let lastReport = 0;
          return work(signal, (received, total, bytesPerSecond) => {
            const now = Date.now();
            const done = total !== undefined && received >= total;
            if (!done && now - lastReport < 250) return;
            lastReport = now;
            const percent = total ? Math.floor((received / total) * 100) : 0;
            progress.report({ message: progressMessage(received, total, bytesPerSecond), increment: total ? percent - shownPercent : undefined });
            shownPercent = percent;
          });
        }),
    ),
  );
}

export function progressMessage(received: number, total: number | undefined, bytesPerSecond: number): string {
  const mb = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1);
  const speed = bytesPerSecond > 0 ? ` · ${formatBytes(Math.round(bytesPerSecond), "progress")}/s` : "";
  if (total === undefined || total === 0) return `${mb(received)} MB${speed}`;
  return `${Math.floor((received / total) * 100)}% · ${mb(received)} of ${mb(total)} MB${speed}`;
}

function reportFailure(error: unknown, model: CatalogModel, args: DownloadModelArgs, log: vscode.LogOutputChannel): DownloadModelResult {
  if (!(error instanceof DownloadError)) {
    const message = `The download of ${model.name} failed: ${error instanceof Error ? error.message : String(error)}`;
    log.error(message);
    void vscode.window.showErrorMessage(`SLM Assistant: ${message}`);
    return { status: "failed", message };
  }
  if (error.kind === "cancelled") {
    log.info(error.message);
    return { status: "cancelled", kind: error.kind, message: error.message };
  }
  log.error(error.message);
  const again = error.partialBytes > 0 ? "Resume" : "Try Again";
  const buttons = error.kind === "offline" || error.kind === "interrupted" || error.kind === "diskFull" || error.kind === "http" ? [again, "Show Log"] : ["Show Log"];
  void vscode.window.showErrorMessage(`SLM Assistant: ${error.message}`, ...buttons).then((picked) => {
    if (picked === again) void vscode.commands.executeCommand(Commands.downloadModel, { id: model.id, use: args.use });
    else if (picked === "Show Log") log.show(true);
  });
  return { status: "failed", kind: error.kind, message: error.message };
}

async function askUse(model: CatalogModel, sha256: string, checksumSource: string): Promise<ModelRole | undefined> {
  // The button matching the model's role comes first (right after "Completion and chat" for base models).
  const order: ModelRole[] = model.role === "nextEdit" ? ["nextEdit"] : model.role === "chat" ? ["chat", "both", "completion"] : ["both", "completion", "chat"];
  const labels = order.map((use) => USE_CHOICES.find((c) => c.use === use)!.label);
  const picked = await vscode.window.showInformationMessage(
    `SLM Assistant: ${model.name} is downloaded and verified (SHA-256 ${sha256.slice(0, 12)}…, checksum ${checksumSource}). Use it for:`,
    ...labels,
  );
  return USE_CHOICES.find((c) => c.label === picked)?.use;
}

