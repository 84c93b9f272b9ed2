import type * as vscode from "vscode";

/** Base for long-lived objects: everything registered is disposed once, in reverse order. */
export abstract class Disposable implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private isDisposed = false;

  protected get disposed(): boolean {
    return this.isDisposed;
  }

  protected _register<T extends vscode.Disposable>(value: T): T {
    if (this.isDisposed) value.dispose();
    else this.disposables.push(value);
    return value;
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    for (const item of this.disposables.splice(0).reverse()) {
      try {
        item.dispose();
      } catch {
        // Keep disposing the rest.
      }
    }
  }
}
