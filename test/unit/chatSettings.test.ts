import * as assert from "node:assert/strict";
import { DEFAULT_CHAT_SETTINGS, resolveChatSettings } from "../../src/chat/settings";

describe("chat settings", () => {
  it("uses the defaults when nothing is set", () => {
    assert.deepEqual(resolveChatSettings({}), { settings: DEFAULT_CHAT_SETTINGS, notices: [] });
  });

  it("clamps out-of-range values and says so", () => {
    const { settings, notices } = resolveChatSettings({ maxAnswerTokens: 1_000_000, temperature: -1 });
    assert.deepEqual(settings, { maxAnswerTokens: 16_384, temperature: 0 });
    assert.deepEqual(notices, [
      "slm.chat.maxAnswerTokens is 1000000; it must be between 16 and 16384, so 16384 is used.",
      "slm.chat.temperature is -1; it must be between 0 and 2, so 0 is used.",
    ]);
  });

  it("rounds token counts and refuses non-numbers", () => {
    const { settings, notices } = resolveChatSettings({ maxAnswerTokens: 100.4, temperature: "hot" });
    assert.deepEqual(settings, { maxAnswerTokens: 100, temperature: DEFAULT_CHAT_SETTINGS.temperature });
    assert.equal(notices.length, 2);
    assert.match(notices[1]!, /slm\.chat\.temperature must be a number/);
  });
});
