// What the scripted test models answer, shared by the launcher (which writes the models) and the
// tests inside the editor (which check what the extension made of the answer).

/** The file the edit tests rewrite, and the model's answer: prose around a fenced rewrite with two changes. */
export const EDIT_SOURCE = ["import math", "", "def add(a, b):", "    return a + b", "", "", "def sub(a, b):", "    return a - b", "", "print(add(1, 2))", ""].join("\n");
export const EDIT_REWRITE = ["def add(a: int, b: int) -> int:", "    return a + b", "", "", "def sub(a: int, b: int) -> int:", "    return a - b", ""].join("\n");
export const EDIT_MODEL_ANSWER = `Here is the updated code:\n\n\`\`\`python\n${EDIT_REWRITE}\`\`\`\n\nThis adds type hints to both functions.`;

/** The commit message model's answer: a fenced conventional message (the fences must go). */
export const COMMIT_MESSAGE = "feat(math): add a subtract helper\n\nsub() returns the difference of two numbers.";
export const COMMIT_MODEL_ANSWER = `\`\`\`\n${COMMIT_MESSAGE}\n\`\`\``;

const WORDS = ["total", "price", "order", "cart", "user", "items", "limit", "index", "report", "ledger", "account", "parser", "buffer", "window", "cursor", "result", "invoice", "tax", "rate", "queue"];

/**
 * A long function body for tests that must still be generating when they act (abort, kill): every
 * line differs in shape and names from the lines around it, so no end rule (loops of variations,
 * repeated blocks) stops the generation early. Deterministic.
 */
export function longVariedBody(lineCount: number): string {
  let seed = 12345;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const word = (): string => WORDS[next(WORDS.length)]!;
  const shapes = [
    () => `const ${word()}${next(90)} = ${word()}.${word()}(${next(1000)});`,
    () => `if (${word()} > ${next(500)}) { ${word()}.push("${word()} ${word()}"); }`,
    () => `// ${word()} before ${word()}, then ${word()} with ${next(70)} ${word()}s`,
    () => `for (const ${word()} of ${word()}List) ${word()} += ${word()}.length * ${next(9)};`,
    () => `await save${word()[0]!.toUpperCase()}${word().slice(1)}({ ${word()}: ${next(100)}, ${word()}: "${word()}" });`,
    () => `return ${word()} ?? ${word()}[${next(40)}];`,
  ];
  const lines: string[] = [];
  let previous = -1;
  for (let i = 0; i < lineCount; i++) {
    let shape = next(shapes.length);
    if (shape === previous) shape = (shape + 1 + next(shapes.length - 1)) % shapes.length;
    previous = shape;
    lines.push(`  ${shapes[shape]!()}`);
  }
  return lines.join("\n");
}
