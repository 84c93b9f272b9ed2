import * as vscode from "vscode";
import { Commands } from "../../commands/ids";
import { Disposable } from "../../util/dispose";
import { describeDrop } from "../gate/gates";
import type { DropReason } from "../types";

export type CompletionActivity =
  | { readonly kind: "off" }
  | { readonly kind: "idle" }
  | { readonly kind: "working" }
  | { readonly kind: "shown"; readonly fromCache: boolean; readonly ms: number; readonly text: string }
  | { readonly kind: "dropped"; readonly reason: DropReason; readonly detail?: string };

/**
 * The answer to "why is nothing suggested?": whether completion is on, working, and what happened
 * to the last request. A click toggles completion on and off.
 */
export class CompletionStatusItem extends Disposable {
  private readonly item: vscode.StatusBarItem;
  private last: CompletionActivity = { kind: "idle" };
  private readonly changed = this._register(new vscode.EventEmitter<CompletionActivity>());
  /** Each change of the item's state (a suggestion shown, dropped, turned off…). */
  readonly onDidChange = this.changed.event;

  constructor() {
    super();
    this.item = this._register(vscode.window.createStatusBarItem("slm.completion", vscode.StatusBarAlignment.Right, 99));
    this.item.name = "SLM Autocomplete";
    this.item.command = Commands.toggleCompletion;
    this.render();
    this.item.show();
  }

  get activity(): CompletionActivity {
    return this.last;
  }

  set(activity: CompletionActivity): void {
    this.last = activity;
    this.render();
    this.changed.fire(activity);
  }

  private render(): void {
    const a = this.last;
    switch (a.kind) {
      case "off":
        this.item.text = "$(circle-slash) Autocomplete: off";
        break;
      case "idle":
        this.item.text = "$(sparkle) Autocomplete: on";
        break;
      case "working":
        // Still, not spinning: see ui/statusText.ts (animations slow typing in the workbench).
        this.item.text = "$(sync) Autocomplete: writing…";
        break;
      case "shown":
        this.item.text = `$(sparkle) Autocomplete: ${a.fromCache ? "cached" : `${Math.round(a.ms)} ms`}`;
        break;
      case "dropped":
        this.item.text = `$(sparkle) Autocomplete: ${describeDrop(a.reason)}`;
        break;
    }
    const detail = a.kind === "dropped" && a.detail ? `\n\n${a.detail}` : "";
    this.item.tooltip = `SLM inline completion${a.kind === "off" ? " is off" : " is on"}. Click to turn it ${a.kind === "off" ? "on" : "off"}; Alt+\\ asks explicitly.${detail}\n\nEach request's timings are in the SLM Assistant log.`;
    this.item.accessibilityInformation = { label: this.item.text.replace(/\$\([^)]*\)\s*/g, "") };
  }
}
