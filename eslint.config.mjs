// Lint: typescript-eslint's type-aware rules for the extension (tsconfig.json, with
// noUncheckedIndexedAccess) and the chat webview (media/chat/tsconfig.json), plus the import boundaries
// that keep the pipeline runnable under plain mocha (STYLE.md: "The shape we want").
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

const vscode = {
  name: "vscode",
  message: "Only editor-facing code imports vscode; this folder takes plain data and an AbortSignal.",
};
const nodeLlamaCpp = {
  name: "node-llama-cpp",
  message: "Only src/engine/** talks to node-llama-cpp.",
};
const engineInward = {
  regex: "^(\\.\\./)+(completion|chat)(/|$)",
  message: "The engine does not depend on completion or chat; move what both need into the engine.",
};

/** The import rules for one folder; a later block replaces an earlier one's options, so each block lists all. */
function restrict({ paths, patterns = [] }) {
  return {
    "@typescript-eslint/no-restricted-imports": ["error", { paths, patterns }],
    // no-restricted-imports sees neither import() nor `typeof import("…")`.
    "no-restricted-syntax": [
      "error",
      ...paths.map((p) => ({ selector: `ImportExpression[source.value='${p.name}']`, message: p.message })),
      ...paths.map((p) => ({ selector: `TSImportType[argument.literal.value='${p.name}']`, message: p.message })),
    ],
  };
}

export default defineConfig(
  globalIgnores(["out/", "dist/", "node_modules/", ".vscode-test/", ".test-run/", ".ci/", "bench/out/", "**/*.vsix"]),

  js.configs.recommended,

  {
    name: "slm/typescript",
    files: ["**/*.ts"],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { project: "./tsconfig.json", tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // Async mistakes: a rejection nobody handles, a promise where a callback's result is ignored,
      // awaiting a non-promise, a returned promise whose rejection escapes a try/catch.
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/return-await": ["error", "in-try-catch"],
      "@typescript-eslint/no-unnecessary-type-assertion": "error",
      // Webview messages, engine events and settings are unions; a new member must be handled everywhere.
      "@typescript-eslint/switch-exhaustiveness-check": [
        "error",
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      "@typescript-eslint/prefer-optional-chain": "error",
      "@typescript-eslint/no-deprecated": "error",
      "@typescript-eslint/require-array-sort-compare": ["error", { ignoreStringArrays: true }],
      eqeqeq: ["error", "smart"],
      // An async fake or interface method without await is how it returns a Promise (and turns a throw
      // into a rejection); the forgotten-await bugs are no-floating-promises' and no-misused-promises'.
      "@typescript-eslint/require-await": "off",
      // tsc's noUnusedLocals and noUnusedParameters already fail the build on these.
      "@typescript-eslint/no-unused-vars": "off",
    },
  },

  {
    name: "slm/webview",
    files: ["media/chat/**/*.ts"],
    languageOptions: { parserOptions: { project: "./media/chat/tsconfig.json" } },
  },

  {
    name: "slm/javascript",
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    languageOptions: { globals: globals.node },
  },
  { files: ["**/*.js"], languageOptions: { sourceType: "commonjs" } },

  // Import boundaries. Tests and benchmarks may import anything.
  { name: "slm/boundaries/src", files: ["src/**/*.ts"], rules: restrict({ paths: [nodeLlamaCpp] }) },
  {
    name: "slm/boundaries/engine",
    files: ["src/engine/**/*.ts"],
    rules: restrict({ paths: [vscode], patterns: [engineInward] }),
  },
  {
    name: "slm/boundaries/no-vscode",
    files: ["src/models/**/*.ts", "src/completion/**/*.ts", "src/chat/**/*.ts", "src/util/**/*.ts", "src/lm/**/*.ts", "src/edit/**/*.ts", "src/scm/**/*.ts", "src/nextEdit/**/*.ts"],
    ignores: [
      // The editor side of completion, chat, the language model provider, edit and commit message.
      "src/completion/editor/**",
      "src/chat/editor/**",
      "src/lm/editor/**",
      "src/edit/editor/**",
      "src/scm/editor/**",
      "src/nextEdit/editor/**",
      // The vscode adapters STYLE.md asks for (Disposable base, CancellationToken → AbortSignal); type-only.
      "src/util/abort.ts",
      "src/util/dispose.ts",
    ],
    rules: restrict({ paths: [vscode, nodeLlamaCpp] }),
  },
  {
    name: "slm/boundaries/webview",
    files: ["media/chat/**/*.ts"],
    rules: restrict({ paths: [vscode, nodeLlamaCpp] }),
  },
);
