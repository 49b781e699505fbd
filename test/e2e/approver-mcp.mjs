#!/usr/bin/env node
// The user at Claude Code's permission prompt, for `claude -p`: a minimal MCP server (stdio,
// newline-delimited JSON-RPC 2.0) with one tool, `approve`, used with
// `--permission-prompt-tool mcp__approver__approve`. Claude Code calls it with
// { tool_name, input, tool_use_id } whenever a call needs the user's approval (a hook's "ask");
// it appends what the user was shown to APPROVER_LOG and answers {"behavior":"allow"} with the
// input unchanged, as the documented permission-prompt-tool contract says.
import { appendFileSync } from "node:fs";
import { createInterface } from "node:readline";

const log = process.env.APPROVER_LOG;
const send = (msg) => process.stdout.write(`${JSON.stringify({ jsonrpc: "2.0", ...msg })}\n`);

createInterface({ input: process.stdin }).on("line", (line) => {
  let req;
  try {
    req = JSON.parse(line);
  } catch {
    return;
  }
  const { id, method, params } = req;
  if (id === undefined) return; // notifications
  if (method === "initialize") {
    send({
      id,
      result: {
        protocolVersion: params?.protocolVersion ?? "2025-06-18",
        capabilities: { tools: {} },
        serverInfo: { name: "approver", version: "1.0.0" },
      },
    });
  } else if (method === "tools/list") {
    send({
      id,
      result: {
        tools: [
          {
            name: "approve",
            description: "Answers a permission prompt as the user would.",
            inputSchema: {
              type: "object",
              properties: {
                tool_name: { type: "string" },
                input: { type: "object" },
                tool_use_id: { type: "string" },
              },
              required: ["tool_name", "input"],
            },
          },
        ],
      },
    });
  } else if (method === "tools/call") {
    const args = params?.arguments ?? {};
    if (log) appendFileSync(log, `${JSON.stringify(args)}\n`);
    send({
      id,
      result: {
        content: [
          { type: "text", text: JSON.stringify({ behavior: "allow", updatedInput: args.input }) },
        ],
      },
    });
  } else if (method === "ping") {
    send({ id, result: {} });
  } else {
    send({ id, error: { code: -32601, message: `unknown method ${method}` } });
  }
});
