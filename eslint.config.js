import js from "@eslint/js";
import globals from "globals";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist", "node_modules", "public", "training", "test-results", "playwright-report"] },
  {
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    files: ["**/*.{ts,tsx}"],
    languageOptions: { ecmaVersion: 2022, globals: { ...globals.browser, ...globals.node } },
    plugins: { "react-hooks": reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    // The core is pure: no DOM, React, niivue or onnxruntime.
    files: ["src/core/**/*.ts"],
    ignores: ["src/core/**/*.test.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: ["react*", "@niivue/*", "onnxruntime-*", "zustand*", "node:*", "fs", "path"] }],
    },
  },
  {
    // Features never import each other; they meet in the store and the app.
    files: ["src/features/**/*.{ts,tsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            // "../segmentation/x" from src/features/viewer; "../../stores/..." stays allowed.
            { regex: "^\\.\\./(?!\\.\\./)", message: "Features never import each other; meet in the store or the app." },
            { regex: "^(\\.\\./)+features/", message: "Features never import each other; meet in the store or the app." },
          ],
        },
      ],
    },
  },
);
