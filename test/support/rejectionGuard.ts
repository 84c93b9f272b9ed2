/**
 * A promise rejection nobody handles fails the test during which it surfaced, and the run.
 * Required as a mocha root hook plugin by the unit and engine layers; the extension-host layer
 * installs `guardRejections` with a filter, since other extensions share its process.
 */
import type { RootHookObject } from "mocha";

/** Root hooks that fail a test when a rejection that `ours` accepts went unhandled during it. */
export function guardRejections(ours: (reason: unknown) => boolean = () => true, setExitCode = true): RootHookObject {
  const unhandled: unknown[] = [];
  process.on("unhandledRejection", (reason) => {
    if (!ours(reason)) return;
    unhandled.push(reason);
    // A rejection after the last test still fails a mocha run of its own (not the editor's process).
    if (setExitCode) process.exitCode = 1;
  });
  return {
    afterEach(): void {
      if (unhandled.length === 0) return;
      const reasons = unhandled.splice(0).map((reason) => (reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)));
      throw new Error(`Unhandled promise rejection${reasons.length > 1 ? "s" : ""}:\n${reasons.join("\n")}`);
    },
  };
}

export const mochaHooks = guardRejections();
