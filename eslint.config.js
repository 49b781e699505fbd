import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "dist.building-*/", "node_modules/", ".cache/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        Buffer: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        URL: "readonly",
        __dirname: "readonly",
        require: "readonly",
        performance: "readonly",
        structuredClone: "readonly",
        TextDecoder: "readonly",
        TextEncoder: "readonly",
        AbortController: "readonly",
        fetch: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "no-console": "off",
    },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { module: "writable", exports: "writable" },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // Only the hook entry and the CLI touch stdout, stderr and the exit code.
    files: ["core/**", "adapters/**", "rules/**", "broker/**", "scanners/**", "installer/**"],
    // broker/daemon.ts is a process of its own (the broker), an edge like the hook entry.
    ignores: ["broker/exec.ts", "broker/exec-*.ts", "broker/daemon.ts"],
    rules: {
      "no-restricted-properties": [
        "error",
        {
          object: "process",
          property: "exit",
          message: "Return a result; only hooks/run-hook.ts and cli/ set the exit code.",
        },
        {
          object: "process",
          property: "stdout",
          message: "Return text; only hooks/run-hook.ts and cli/ write to stdout.",
        },
        {
          object: "process",
          property: "exitCode",
          message: "Return a result; only hooks/run-hook.ts and cli/ set the exit code.",
        },
      ],
    },
  },
);
