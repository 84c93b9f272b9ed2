import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Commands } from "../../src/commands/ids";
import { MODEL_READY_CONTEXT, noModelConfigured, shouldOfferFirstRun, WALKTHROUGH_ID, WALKTHROUGH_REF, WalkthroughContext } from "../../src/firstRun/firstRunState";

const root = path.resolve(__dirname, "..", "..", "..");

interface Step {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly media: { readonly markdown?: string; readonly svg?: string; readonly image?: string };
  readonly completionEvents?: readonly string[];
}
interface Manifest {
  readonly publisher: string;
  readonly name: string;
  readonly contributes: {
    readonly commands: readonly { readonly command: string }[];
    readonly configuration: { readonly properties: Record<string, unknown> };
    readonly walkthroughs?: readonly { readonly id: string; readonly title: string; readonly steps: readonly Step[] }[];
  };
}

const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as Manifest;
const walkthrough = manifest.contributes.walkthroughs?.find((w) => w.id === WALKTHROUGH_ID);
const contributed = new Set(manifest.contributes.commands.map((c) => c.command));
const stepCommands = (step: Step) => [...step.description.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]!);

describe("first run", () => {
  describe("when to offer the first-run notification", () => {
    const none = { modelPath: "", completionModelPath: "", chatModelPath: "" };
    it("offers it once, to someone with no model in any of the three settings", () => {
      assert.equal(shouldOfferFirstRun(none, false), true);
      assert.equal(shouldOfferFirstRun({ ...none, modelPath: "  " }, false), true, "a blank path is no model");
      assert.equal(shouldOfferFirstRun(none, true), false, "already offered on this installation");
    });
    it("does not offer it when any model setting names a file", () => {
      assert.equal(noModelConfigured({ ...none, modelPath: "~/m.gguf" }), false);
      assert.equal(shouldOfferFirstRun({ ...none, completionModelPath: "/m/c.gguf" }, false), false);
      assert.equal(shouldOfferFirstRun({ ...none, chatModelPath: "/m/chat.gguf" }, false), false);
    });
  });

  describe("the walkthrough in package.json", () => {
    it("is contributed under the id the extension opens", () => {
      assert.ok(walkthrough, `no walkthrough ${WALKTHROUGH_ID} in package.json`);
      assert.equal(WALKTHROUGH_REF, `${manifest.publisher}.${manifest.name}#${WALKTHROUGH_ID}`);
      assert.equal(walkthrough.title, "Get started with SLM Assistant");
      assert.deepEqual(walkthrough.steps.map((s) => s.id), ["chooseModel", "scanFolder", "downloadModel", "tryCompletion", "nextEdit", "openChat", "editSelection", "runtimeInfo"]);
    });

    it("gives every step one button, to a command of this extension", () => {
      const known = new Set<string>(Object.values(Commands));
      for (const step of walkthrough!.steps) {
        const commands = stepCommands(step);
        assert.equal(commands.length, 1, `${step.id}: ${commands.join(", ")}`);
        // The walkthrough renders links in step descriptions, nothing else: `code` would show its backticks.
        assert.doesNotMatch(step.description, /`/, `${step.id}: backticks show as typed in a walkthrough step`);
        assert.ok(known.has(commands[0]!), `${step.id} links to ${commands[0]}, not in src/commands/ids.ts`);
      }
      assert.deepEqual(walkthrough!.steps.map((s) => stepCommands(s)[0]), [
        Commands.selectModel, Commands.chooseModelsFolder, Commands.downloadModel, Commands.triggerCompletion, Commands.selectNextEditModel, Commands.openChat, Commands.editSelection, Commands.showRuntimeInfo,
      ]);
    });

    it("links only to commands package.json contributes (other than the download command)", () => {
      for (const command of walkthrough!.steps.flatMap(stepCommands).filter((c) => c !== Commands.downloadModel)) {
        assert.ok(contributed.has(command), `${command} is not in contributes.commands`);
      }
      assert.ok(contributed.has(Commands.openWalkthrough));
    });

    it("links to slm.downloadModel, which package.json contributes", function () {
      // The download command is built separately; until it lands this is pending, not failing.
      if (!contributed.has(Commands.downloadModel)) this.skip();
      assert.ok(contributed.has(Commands.downloadModel));
    });

    it("ticks each step on events that exist: contributed commands and settings, or context keys the extension sets", () => {
      const settings = new Set(Object.keys(manifest.contributes.configuration.properties));
      for (const step of walkthrough!.steps) {
        assert.ok(step.completionEvents && step.completionEvents.length > 0, `${step.id} has no completion events`);
        for (const event of step.completionEvents) {
          const [kind, name] = event.split(/:(.*)/s) as [string, string];
          if (kind === "onSettingChanged") assert.ok(settings.has(name), `${step.id}: no setting ${name}`);
          else if (kind === "onCommand") assert.ok(Object.values(Commands).includes(name as never), `${step.id}: no command ${name}`);
          else if (kind === "onContext") assert.ok([MODEL_READY_CONTEXT, ...Object.values(WalkthroughContext)].includes(name), `${step.id}: no context key ${name} is set`);
          else if (kind === "onView") assert.equal(name, "slm.chatView");
          else assert.fail(`${step.id}: unexpected completion event ${event}`);
        }
      }
    });

    it("has a local markdown page per step that loads nothing from the network", () => {
      for (const step of walkthrough!.steps) {
        const file = step.media.markdown ?? "";
        assert.ok(file?.startsWith("media/walkthrough/"), `${step.id}: media ${JSON.stringify(step.media)}`);
        const text = fs.readFileSync(path.join(root, file), "utf8");
        assert.match(text, /^# /, `${file} has no title`);
        assert.doesNotMatch(text, /https?:\/\/|!\[|<img|<iframe|<script/i, `${file} links or loads something remote`);
      }
    });
  });
});
