/**
 * A mocha root hook plugin (required by `npm run test:unit`): a promise
 * rejection nobody handles fails the test during which it surfaced, and the run.
 */
const unhandled: unknown[] = [];

process.on("unhandledRejection", (reason) => {
  unhandled.push(reason);
  process.exitCode = 1;
});

export const mochaHooks = {
  afterEach(): void {
    if (unhandled.length === 0) return;
    const reasons = unhandled.splice(0).map((reason) => (reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)));
    throw new Error(`Unhandled promise rejection${reasons.length > 1 ? "s" : ""}:\n${reasons.join("\n")}`);
  },
};
