// What the scripted test models answer, shared by the launcher (which writes the models) and the
// tests inside the editor (which check what the extension made of the answer).

/** The file the edit tests rewrite, and the model's answer: prose around a fenced rewrite with two changes. */
export const EDIT_SOURCE = ["import math", "", "def add(a, b):", "    return a + b", "", "", "def sub(a, b):", "    return a - b", "", "print(add(1, 2))", ""].join("\n");
export const EDIT_REWRITE = ["def add(a: int, b: int) -> int:", "    return a + b", "", "", "def sub(a: int, b: int) -> int:", "    return a - b", ""].join("\n");
export const EDIT_MODEL_ANSWER = `Here is the updated code:\n\n\`\`\`python\n${EDIT_REWRITE}\`\`\`\n\nThis adds type hints to both functions.`;

/** The commit message model's answer: a fenced conventional message (the fences must go). */
export const COMMIT_MESSAGE = "feat(math): add a subtract helper\n\nsub() returns the difference of two numbers.";
export const COMMIT_MODEL_ANSWER = `\`\`\`\n${COMMIT_MESSAGE}\n\`\`\``;
