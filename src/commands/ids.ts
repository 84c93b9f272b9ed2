/** Every command id the extension contributes; package.json must list the same ones. */
export const Commands = {
  selectModel: "slm.selectModel",
  selectCompletionModel: "slm.selectCompletionModel",
  selectChatModel: "slm.selectChatModel",
  reloadModel: "slm.reloadModel",
  showLog: "slm.showLog",
  statusMenu: "slm.statusMenu",
  openSettings: "slm.openSettings",
  openChat: "slm.openChat",
  newChat: "slm.newChat",
  explainSelection: "slm.explainSelection",
  summarizeSelection: "slm.summarizeSelection",
  toggleCompletion: "slm.toggleCompletion",
  triggerCompletion: "slm.triggerCompletion",
  copyForContext: "slm.copyForContext",
  showRuntimeInfo: "slm.showRuntimeInfo",
  downloadModel: "slm.downloadModel",
  chooseModelsFolder: "slm.chooseModelsFolder",
  openWalkthrough: "slm.openWalkthrough",
  editSelection: "slm.editSelection",
  editAcceptAll: "slm.edit.acceptAll",
  editRejectAll: "slm.edit.rejectAll",
  editAcceptChange: "slm.edit.acceptChange",
  editRejectChange: "slm.edit.rejectChange",
  commitMessage: "slm.commitMessage",
} as const;

export type CommandId = (typeof Commands)[keyof typeof Commands];
