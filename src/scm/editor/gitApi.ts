/**
 * The part of the built-in Git extension's API (vscode.git, API version 1) that we use, declared
 * here: the extension ships no typings package. Found at run time; absent when Git is disabled.
 */
import * as vscode from "vscode";

export interface GitRepository {
  readonly rootUri: vscode.Uri;
  readonly inputBox: { value: string };
  /** `cached`: the staged changes (git diff --cached). */
  diff(cached?: boolean): Promise<string>;
}

export interface GitApi {
  readonly repositories: readonly GitRepository[];
  getRepository(uri: vscode.Uri): GitRepository | null;
  openRepository?(root: vscode.Uri): Promise<GitRepository | null>;
}

interface GitExtension {
  readonly enabled: boolean;
  getAPI(version: 1): GitApi;
}

/** The Git API, or a sentence saying why there is none. */
export async function gitApi(): Promise<GitApi | string> {
  const extension = vscode.extensions.getExtension<GitExtension>("vscode.git");
  if (!extension) return "the built-in Git extension is not installed in this editor.";
  const exports = extension.isActive ? extension.exports : await extension.activate();
  if (!exports.enabled) return "the built-in Git extension is disabled (git.enabled is off).";
  return exports.getAPI(1);
}
