// A scripted fake Anthropic Messages API on loopback, for driving the real Claude Code client.
// Recipe: /work/shared/reference/e2e-real-clients.md §2.
//
// - The script is a list of steps; the step for a request is the number of `role:"assistant"`
//   messages already in `body.messages` (stateless, so client retries get the same answer).
// - A request is "main" when `body.tools` holds the first scripted tool's name; anything else
//   is a "side" request and gets the text `ok`.
// - Every request is logged with `leaks`: the forbidden strings found in the RAW body. The
//   fake model's own tool_use blocks legitimately carry whatever the script put there, so each
//   entry also has `leaksOutsideOwnToolUse`: forbidden strings found anywhere in the raw body
//   except inside the assistant tool_use blocks that this server itself produced (same id,
//   same name, deep-equal input).
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isDeepStrictEqual } from "node:util";
import { countOccurrences, isObject, strings, type Json } from "./json-strings.js";

export interface ScriptToolUse {
  name: string;
  input: Record<string, unknown>;
  /** Fill input fields from the previous tool_result text: field → regex (capture group 1). */
  input_from_result?: Record<string, string>;
}

export interface ScriptStep {
  text?: string;
  tool_use?: ScriptToolUse;
  tool_uses?: ScriptToolUse[];
}

export interface FakeScript {
  steps: ScriptStep[];
  /** Strings that must never reach the model (searched in every raw request body). */
  forbid?: string[];
}

export type RequestKind = "main" | "side" | "count_tokens" | "models" | "other";

export interface EmittedToolUse {
  id: string;
  name: string;
  input: Record<string, unknown>;
}

export interface LoggedRequest {
  seq: number;
  ts: string;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  kind: RequestKind;
  /** Script step answered (main requests only), else null. */
  step: number | null;
  has_tool_result: boolean;
  /** Forbidden strings found anywhere in the raw request body. */
  leaks: string[];
  /** Forbidden strings found in the raw body outside the fake model's own tool_use blocks. */
  leaksOutsideOwnToolUse: string[];
  /** The parsed JSON body (or null when the body was empty or not JSON). */
  body: unknown;
  rawBody: string;
  /** What the fake answered: content blocks for messages, or the JSON body otherwise. */
  response: unknown;
}

export interface FakeAnthropic {
  url: string;
  requests(): LoggedRequest[];
  close(): Promise<void>;
}

type ContentBlock =
  { type: "text"; text: string } | { type: "tool_use"; id: string; name: string; input: Json };

const KEPT_HEADERS = [
  "user-agent",
  "anthropic-beta",
  "anthropic-version",
  "content-type",
  "x-api-key",
  "authorization",
];

/** The deterministic tool_use id for a step and position (same on retries). */
function toolUseId(step: number, index: number): string {
  return `toolu_e2efake_${step}_${index}`;
}

/** Text of the last tool_result in the conversation (string or text blocks). */
function lastToolResultText(messages: unknown[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (!isObject(m) || !Array.isArray(m.content)) continue;
    for (let j = m.content.length - 1; j >= 0; j--) {
      const b = m.content[j];
      if (!isObject(b) || b.type !== "tool_result") continue;
      if (typeof b.content === "string") return b.content;
      if (Array.isArray(b.content)) {
        return b.content
          .map((c) => (isObject(c) && typeof c.text === "string" ? c.text : ""))
          .join("\n");
      }
      return "";
    }
  }
  return "";
}

function hasToolResult(messages: unknown[]): boolean {
  return messages.some(
    (m) =>
      isObject(m) &&
      Array.isArray(m.content) &&
      m.content.some((b) => isObject(b) && b.type === "tool_result"),
  );
}

export function startFakeAnthropic(script: FakeScript): Promise<FakeAnthropic> {
  const forbid = (script.forbid ?? []).filter((s) => s.length > 0);
  const log: LoggedRequest[] = [];
  /** Every tool_use this server emitted, by id (ids are deterministic, so retries map to one entry). */
  const emitted = new Map<string, EmittedToolUse>();
  const firstTool = script.steps.flatMap((s) => s.tool_uses ?? (s.tool_use ? [s.tool_use] : []))[0]
    ?.name;
  let seq = 0;

  function blocksForStep(
    step: number,
    messages: unknown[],
  ): { blocks: ContentBlock[]; stop: "tool_use" | "end_turn" } {
    const s = script.steps[step];
    if (!s) return { blocks: [{ type: "text", text: "Done." }], stop: "end_turn" };
    const blocks: ContentBlock[] = [];
    if (s.text !== undefined) blocks.push({ type: "text", text: s.text });
    const uses = s.tool_uses ?? (s.tool_use ? [s.tool_use] : []);
    uses.forEach((u, i) => {
      const input: Json = structuredClone(u.input);
      if (u.input_from_result) {
        const prev = lastToolResultText(messages);
        for (const [field, re] of Object.entries(u.input_from_result)) {
          const m = new RegExp(re).exec(prev);
          if (m?.[1] !== undefined) input[field] = m[1];
        }
      }
      const block: ContentBlock = { type: "tool_use", id: toolUseId(step, i), name: u.name, input };
      emitted.set(block.id, { id: block.id, name: block.name, input });
      blocks.push(block);
    });
    if (blocks.length === 0) blocks.push({ type: "text", text: "Done." });
    return { blocks, stop: uses.length > 0 ? "tool_use" : "end_turn" };
  }

  /** Forbidden strings outside the assistant tool_use blocks this server produced. */
  function leaksOutsideOwn(raw: string, body: unknown): string[] {
    const own: unknown[] = [];
    const rest: unknown[] = [];
    if (isObject(body)) {
      const { messages, ...top } = body;
      rest.push(top);
      if (Array.isArray(messages)) {
        for (const m of messages) {
          if (!isObject(m)) {
            rest.push(m);
            continue;
          }
          const { content, ...mTop } = m;
          rest.push(mTop);
          if (!Array.isArray(content)) {
            rest.push(content);
            continue;
          }
          for (const b of content) {
            const mine =
              m.role === "assistant" &&
              isObject(b) &&
              b.type === "tool_use" &&
              typeof b.id === "string" &&
              emitted.has(b.id) &&
              b.name === emitted.get(b.id)!.name &&
              isDeepStrictEqual(b.input, emitted.get(b.id)!.input);
            (mine ? own : rest).push(b);
          }
        }
      } else if (messages !== undefined) rest.push(messages);
    } else {
      rest.push(body);
    }
    const found: string[] = [];
    for (const f of forbid) {
      // Raw check: every occurrence in the raw bytes must be accounted for by an own tool_use block.
      const rawCount = countOccurrences(raw, f);
      let allowed = 0;
      for (const s of strings(own)) allowed += countOccurrences(s, f);
      // Parsed check: decoded strings everywhere else (catches JSON-escaped spellings).
      let elsewhere = false;
      for (const s of strings(rest)) if (s.includes(f)) elsewhere = true;
      if (rawCount > allowed || elsewhere) found.push(f);
    }
    return found;
  }

  function sendJson(res: ServerResponse, status: number, value: unknown): void {
    const text = JSON.stringify(value);
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
    });
    res.end(text);
  }

  function sendMessage(
    res: ServerResponse,
    model: string,
    blocks: ContentBlock[],
    stop: string,
    stream: boolean,
  ): void {
    const id = `msg_${randomBytes(12).toString("hex")}`;
    const usage = {
      input_tokens: 25,
      output_tokens: 10,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    };
    if (!stream) {
      sendJson(res, 200, {
        id,
        type: "message",
        role: "assistant",
        model,
        content: blocks,
        stop_reason: stop,
        stop_sequence: null,
        usage,
      });
      return;
    }
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    const ev = (type: string, data: Json) =>
      res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    ev("message_start", {
      message: {
        id,
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    });
    blocks.forEach((b, index) => {
      if (b.type === "text") {
        ev("content_block_start", { index, content_block: { type: "text", text: "" } });
        // Two deltas, to exercise the client's accumulation.
        const cut = Math.floor(b.text.length / 2);
        for (const part of [b.text.slice(0, cut), b.text.slice(cut)]) {
          if (part) ev("content_block_delta", { index, delta: { type: "text_delta", text: part } });
        }
      } else {
        ev("content_block_start", {
          index,
          content_block: { type: "tool_use", id: b.id, name: b.name, input: {} },
        });
        const json = JSON.stringify(b.input);
        const cut = Math.floor(json.length / 2);
        for (const part of [json.slice(0, cut), json.slice(cut)]) {
          if (part)
            ev("content_block_delta", {
              index,
              delta: { type: "input_json_delta", partial_json: part },
            });
        }
      }
      ev("content_block_stop", { index });
    });
    ev("message_delta", {
      delta: { stop_reason: stop, stop_sequence: null },
      usage: { output_tokens: 10 },
    });
    ev("message_stop", {});
    res.end();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = req.method ?? "GET";
    let body: unknown = null;
    if (rawBody) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = null;
      }
    }

    if (method === "GET" && url.pathname === "/__fake/requests") {
      sendJson(res, 200, log);
      return;
    }

    const headers: Record<string, string> = {};
    for (const h of KEPT_HEADERS) {
      const v = req.headers[h];
      if (typeof v !== "string") continue;
      headers[h] = h === "x-api-key" || h === "authorization" ? `${v.slice(0, 10)}…` : v;
    }
    const messages = isObject(body) && Array.isArray(body.messages) ? body.messages : [];
    const entry: LoggedRequest = {
      seq: ++seq,
      ts: new Date().toISOString(),
      method,
      path: url.pathname,
      query: url.search,
      headers,
      kind: "other",
      step: null,
      has_tool_result: hasToolResult(messages),
      leaks: forbid.filter((f) => rawBody.includes(f)),
      leaksOutsideOwnToolUse: [],
      body,
      rawBody,
      response: null,
    };
    log.push(entry);

    if (method === "POST" && /\/v1\/messages\/count_tokens$/.test(url.pathname)) {
      entry.kind = "count_tokens";
      entry.response = { input_tokens: 100 };
      entry.leaksOutsideOwnToolUse = leaksOutsideOwn(rawBody, body);
      sendJson(res, 200, entry.response);
      return;
    }
    if (method === "GET" && /\/v1\/models$/.test(url.pathname)) {
      entry.kind = "models";
      entry.response = { data: [], has_more: false, first_id: null, last_id: null };
      sendJson(res, 200, entry.response);
      return;
    }
    if (method === "POST" && /\/v1\/messages$/.test(url.pathname) && isObject(body)) {
      const tools = Array.isArray(body.tools) ? body.tools : [];
      const toolNames = tools.map((t) => (isObject(t) ? t.name : undefined));
      const main = firstTool !== undefined ? toolNames.includes(firstTool) : tools.length > 0;
      const model = typeof body.model === "string" ? body.model : "claude-fake";
      const stream = body.stream === true;
      let out: { blocks: ContentBlock[]; stop: "tool_use" | "end_turn" };
      if (main) {
        const step = messages.filter((m) => isObject(m) && m.role === "assistant").length;
        entry.kind = "main";
        entry.step = step;
        out = blocksForStep(step, messages);
      } else {
        entry.kind = "side";
        out = { blocks: [{ type: "text", text: "ok" }], stop: "end_turn" };
      }
      entry.response = out.blocks;
      entry.leaksOutsideOwnToolUse = leaksOutsideOwn(rawBody, body);
      sendMessage(res, model, out.blocks, out.stop, stream);
      return;
    }
    entry.leaksOutsideOwnToolUse = leaksOutsideOwn(rawBody, body);
    entry.response = {};
    sendJson(res, 200, {});
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent)
        sendJson(res, 500, { type: "error", error: { type: "api_error", message: String(err) } });
      else res.end();
    });
  });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        requests: () => log.slice(),
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
