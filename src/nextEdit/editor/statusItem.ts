import * as vscode from "vscode";
import { Commands } from "../../commands/ids";
import { Disposable } from "../../util/dispose";
import type { DropReason } from "../proposal";

export type NextEditActivity =
  | { readonly kind: "noModel" }
  | { readonly kind: "off" }
  | { readonly kind: "idle" }
  | { readonly kind: "working" }
  | { readonly kind: "proposed"; readonly where: "ghost" | "jump"; readonly ms: number }
  | { readonly kind: "none"; readonly reason: DropReason | "noHistory" | "dismissed" | "applied"; readonly detail: string }
  | { readonly kind: "error"; readonly message: string };

const REASON_TEXT: Readonly<Record<Extract<NextEditActivity, { kind: "none" }>["reason"], string>> = {
  noHistory: "no recent edit",
  noChange: "no change expected",
  undoesLastEdit: "would undo your edit",
  unparsable: "answer did not parse",
  dismissed: "dismissed",
  applied: "applied",
};

/** The answer to "why is no next edit proposed?", as completion's item answers it for ghost text. */
export class NextEditStatusItem extends Disposable {
  private readonly item: vscode.StatusBarItem;
  private last: NextEditActivity = { kind: "noModel" };

  constructor() {
    super();
    this.item = this._register(vscode.window.createStatusBarItem("slm.nextEdit", vscode.StatusBarAlignment.Right, 98));
    this.item.name = "SLM Next Edit";
    this.render();
  }

  get activity(): NextEditActivity {
    return this.last;
  }

  set(activity: NextEditActivity): void {
    this.last = activity;
    this.render();
  }

  private render(): void {
    const a = this.last;
    this.item.command = a.kind === "noModel" ? Commands.selectNextEditModel : Commands.showLog;
    let tooltip = "SLM next-edit suggestions: after a pause in editing, the change you are likely to make next. Tab goes there, Tab again applies it, Escape dismisses.";
    switch (a.kind) {
      case "noModel":
        this.item.text = "$(circle-slash) Next edit: no model";
        tooltip = "Next-edit suggestions need a next-edit model such as Sweep Next-Edit 0.5B or 1.5B. Click to choose one (slm.nextEdit.modelPath).";
        break;
      case "off":
        this.item.text = "$(circle-slash) Next edit: off";
        tooltip = "Next-edit suggestions are off (slm.nextEdit.enabled).";
        break;
      case "idle":
        this.item.text = "$(arrow-swap) Next edit";
        break;
      case "working":
        this.item.text = "$(sync) Next edit";
        break;
      case "proposed":
        this.item.text = `$(arrow-swap) Next edit ${Math.round(a.ms)} ms`;
        tooltip += a.where === "jump" ? "\n\nA change is proposed: Tab to go there." : "\n\nShown as ghost text at the cursor.";
        break;
      case "none":
        this.item.text = `$(arrow-swap) Next edit: ${REASON_TEXT[a.reason]}`;
        tooltip += `\n\nNothing proposed: ${a.detail}.`;
        break;
      case "error":
        this.item.text = "$(warning) Next edit";
        tooltip = a.message;
        break;
    }
    this.item.tooltip = `${tooltip}\n\nEach request's timings are in the SLM Assistant log.`;
    this.item.accessibilityInformation = { label: this.item.text.replace(/\$\([^)]*\)\s*/g, "") };
    this.item.show();
  }
}
