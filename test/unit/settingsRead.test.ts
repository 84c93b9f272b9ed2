import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.resolve(__dirname, "..", "..", "..");

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sources(full) : entry.name.endsWith(".ts") ? [full] : [];
  });
}

describe("settings in package.json", () => {
  it("every slm.* setting is read somewhere in src/ (a setting nobody reads does nothing)", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { contributes: { configuration: { properties: Record<string, unknown> } | { properties: Record<string, unknown> }[] } };
    const sections = ([] as { properties: Record<string, unknown> }[]).concat(manifest.contributes.configuration);
    const keys = sections.flatMap((section) => Object.keys(section.properties));
    const text = sources(path.join(root, "src")).map((file) => fs.readFileSync(file, "utf8")).join("\n");
    // Read as config.get("completion.x"), a "slm.x" key, or the last part within its section's reader.
    const unread = keys.filter((key) => {
      const inSection = key.slice("slm.".length);
      const last = inSection.split(".").at(-1)!;
      return !text.includes(`"${inSection}"`) && !text.includes(`"${key}"`) && !text.includes(`"${last}"`) && !text.includes(`\`${inSection}\``);
    });
    assert.deepEqual(unread, []);
  });
});
