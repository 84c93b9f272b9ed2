// Prints the path of a generated model, building it if needed (used by scripts/start.sh and benchmarks):
//   node out/test/support/cli.js tiny
//   node out/test/support/cli.js qwen05b
//   node out/test/support/cli.js scripted --text "hello" [--mode chat]
import { qwen25Coder05BShape, scriptedModel, tinyModel } from "./models";

const USAGE = 'usage: cli.js tiny | qwen05b | scripted --text "..." [--mode completion|chat]';

async function main(args: readonly string[]): Promise<string> {
  const [kind, ...rest] = args;
  switch (kind) {
    case "tiny":
      return tinyModel();
    case "qwen05b":
      return qwen25Coder05BShape();
    case "scripted": {
      const text = optionValue(rest, "--text");
      const mode = optionValue(rest, "--mode") ?? "completion";
      if (text === undefined || (mode !== "completion" && mode !== "chat")) {
        throw new Error(USAGE);
      }
      return scriptedModel(text, { mode });
    }
    default:
      throw new Error(USAGE);
  }
}

function optionValue(args: readonly string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 && index + 1 < args.length ? args[index + 1] : undefined;
}

main(process.argv.slice(2)).then(
  (path) => process.stdout.write(`${path}\n`),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
