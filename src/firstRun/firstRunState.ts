/** The walkthrough's id in package.json (contributes.walkthroughs). */
export const WALKTHROUGH_ID = "slm.gettingStarted";
/** What `workbench.action.openWalkthrough` takes: `<publisher>.<name>#<walkthrough id>`. */
export const WALKTHROUGH_REF = `slm-assistant.slm-assistant#${WALKTHROUGH_ID}`;
/** globalState key: the first-run notification was shown on this installation. */
export const FIRST_RUN_OFFERED_KEY = "slm.firstRunOffered";
/** Context key the walkthrough's first step waits on (onContext:slm.modelReady). */
export const MODEL_READY_CONTEXT = "slm.modelReady";

/**
 * Context keys the walkthrough's steps also tick on (package.json completionEvents), set from the
 * current state at every start, so a step already done (a model loaded, a folder set) shows ticked
 * in every folder and window, not only where the setting was changed.
 */
export const WalkthroughContext = {
  modelsFolderSet: "slm.walkthrough.modelsFolderSet",
  nextEditModelSet: "slm.walkthrough.nextEditModelSet",
  suggestionShown: "slm.walkthrough.suggestionShown",
} as const;
/** globalState key: a suggestion has been shown on this installation. */
export const SUGGESTION_SHOWN_KEY = "slm.suggestionShown";

/** The model settings as configured, before `~` expansion and fallbacks. */
export interface ConfiguredModels {
  readonly modelPath: string;
  readonly completionModelPath: string;
  readonly chatModelPath: string;
}

/** True when no setting names a model file: the user has nothing to run yet. */
export function noModelConfigured(models: ConfiguredModels): boolean {
  return [models.modelPath, models.completionModelPath, models.chatModelPath].every((p) => p.trim() === "");
}

/** Offer the first-run notification once per installation, and only to someone without a model. */
export function shouldOfferFirstRun(models: ConfiguredModels, alreadyOffered: boolean): boolean {
  return !alreadyOffered && noModelConfigured(models);
}
