// Scripted fake model servers on loopback for the Codex CLI (OpenAI Responses API) and the
// Gemini CLI (Gemini API), the counterparts of fake-anthropic.ts.
// Recipes: /work/shared/reference/e2e-real-clients.md §6 (Gemini) and §7 (Codex).
//
// - The script is a list of steps; each step is an optional text plus at most one tool call.
//   The step for a request is the number of tool calls of this server already in the request's
//   history (stateless, so a retried request gets the same answer).
// - A request is "main" when it offers the first scripted tool; anything else is "side".
// - Every request is logged with `leaks` (forbidden strings in the RAW body) and
//   `leaksOutsideOwnToolCall`: forbidden strings anywhere except inside the tool calls this server
//   itself produced (same name, deep-equal arguments), so "nothing reached the model" is one
//   assertion.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isDeepStrictEqual } from "node:util";
import { countOccurrences, isObject, strings, type Json } from "./json-strings.js";

export interface Step {
  text?: string;
  call?: { name: string; args: Record<string, unknown> };
  /**
   * A call built from the text of the latest tool result in the request (e.g. to run the command a
   * hook's deny told the model to run instead). Only for protocols with `toolOutputs`.
   */
  callFrom?: (
    lastToolOutput: string,
  ) => { name: string; args: Record<string, unknown> } | undefined;
}

export interface Script {
  steps: Step[];
  forbid?: string[];
}

export interface Logged {
  seq: number;
  method: string;
  path: string;
  kind: "main" | "side" | "other";
  step: number | null;
  leaks: string[];
  leaksOutsideOwnToolCall: string[];
  body: unknown;
  rawBody: string;
}

export interface FakeServer {
  url: string;
  requests(): Logged[];
  close(): Promise<void>;
}

/** The wire protocol: how to recognise calls of ours in a request, and how to answer. */
interface Protocol {
  /** Tool names the request offers, or undefined when it is not a model turn. */
  offeredTools(path: string, body: unknown): string[] | undefined;
  /** This server's earlier tool calls, as they come back in the request history. */
  ownCalls(body: unknown): Array<{ node: unknown; name: string; args: unknown }>;
  /** The tool results in the request, oldest first, as text. */
  toolOutputs?(body: unknown): string[];
  answer(
    res: ServerResponse,
    path: string,
    body: unknown,
    step: Step | undefined,
    side: boolean,
  ): void;
}

function startFake(script: Script, protocol: Protocol): Promise<FakeServer> {
  const forbid = (script.forbid ?? []).filter((s) => s.length > 0);
  const firstTool = script.steps.find((s) => s.call)?.call?.name;
  const emitted = script.steps.flatMap((s) => (s.call ? [s.call] : []));
  const log: Logged[] = [];
  let seq = 0;

  function leaksOutsideOwn(raw: string, body: unknown): string[] {
    const own = protocol
      .ownCalls(body)
      .filter((c) => emitted.some((e) => e.name === c.name && isDeepStrictEqual(e.args, c.args)));
    const ownNodes = new Set(own.map((c) => c.node));
    const rest = (v: unknown): unknown =>
      ownNodes.has(v)
        ? null
        : Array.isArray(v)
          ? v.map(rest)
          : isObject(v)
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rest(x)]))
            : v;
    const found: string[] = [];
    for (const f of forbid) {
      let allowed = 0;
      for (const c of own) for (const s of strings(c.node)) allowed += countOccurrences(s, f);
      // Arguments travel as a JSON string inside JSON: count them in their raw spelling too.
      for (const c of own)
        for (const s of strings(c.node))
          allowed += countOccurrences(JSON.stringify(s), f) - countOccurrences(s, f);
      const elsewhere = [...strings(rest(body))].some((s) => s.includes(f));
      if (countOccurrences(raw, f) > Math.max(allowed, 0) || elsewhere) found.push(f);
    }
    return found;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    let body: unknown = null;
    try {
      body = rawBody ? JSON.parse(rawBody) : null;
    } catch {
      body = null;
    }
    const entry: Logged = {
      seq: ++seq,
      method: req.method ?? "GET",
      path: url.pathname,
      kind: "other",
      step: null,
      leaks: forbid.filter((f) => rawBody.includes(f)),
      leaksOutsideOwnToolCall: [],
      body,
      rawBody,
    };
    log.push(entry);
    entry.leaksOutsideOwnToolCall = leaksOutsideOwn(rawBody, body);
    const tools = entry.method === "POST" ? protocol.offeredTools(url.pathname, body) : undefined;
    if (tools === undefined) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(/\/models$/.test(url.pathname) ? JSON.stringify({ data: [], models: [] }) : "{}");
      return;
    }
    const main = firstTool !== undefined && tools.includes(firstTool);
    entry.kind = main ? "main" : "side";
    if (main) entry.step = protocol.ownCalls(body).length;
    let step = main ? (script.steps[entry.step!] ?? { text: "Done." }) : undefined;
    if (step?.callFrom) {
      const call = step.callFrom(protocol.toolOutputs?.(body).at(-1) ?? "");
      step = { text: step.text, call };
      if (call) emitted.push(call);
    }
    protocol.answer(res, url.pathname, body, step, !main);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: String(err) } }));
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

const sse = (res: ServerResponse) => {
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  return (data: Json, event?: string) =>
    res.write(`${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(data)}\n\n`);
};

// ---------------------------------------------------------------------------------------------
// OpenAI Responses API (what Codex CLI speaks with `wire_api = "responses"`).

const callIdFor = (step: number) => `call_e2efake_${step}`;

const openAiResponses: Protocol = {
  offeredTools(path, body) {
    if (!/\/responses$/.test(path) || !isObject(body)) return undefined;
    const tools = Array.isArray(body.tools) ? body.tools : [];
    return tools.map((t) => (isObject(t) ? String(t.name ?? "") : ""));
  },
  ownCalls(body) {
    const input = isObject(body) && Array.isArray(body.input) ? body.input : [];
    return input
      .filter(
        (i): i is Json =>
          isObject(i) &&
          i.type === "function_call" &&
          typeof i.call_id === "string" &&
          i.call_id.startsWith("call_e2efake_"),
      )
      .map((i) => {
        let args: unknown = i.arguments;
        try {
          args = JSON.parse(String(i.arguments));
        } catch {
          /* keep raw */
        }
        return { node: i, name: String(i.name), args };
      });
  },
  answer(res, _path, body, step, side) {
    const send = sse(res);
    const model = isObject(body) && typeof body.model === "string" ? body.model : "gpt-fake";
    const id = `resp_${randomBytes(8).toString("hex")}`;
    const base = {
      id,
      object: "response",
      created_at: Math.floor(Date.now() / 1000),
      model,
      status: "in_progress",
      output: [] as unknown[],
    };
    send({ type: "response.created", response: base }, "response.created");
    const items: Json[] = [];
    const stepIndex = isObject(body) && Array.isArray(body.input) ? this.ownCalls(body).length : 0;
    const text = side ? "ok" : step?.text;
    if (text !== undefined) {
      const item = {
        type: "message",
        id: `msg_${randomBytes(6).toString("hex")}`,
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text, annotations: [] }],
      };
      const index = items.length;
      send(
        {
          type: "response.output_item.added",
          output_index: index,
          item: { ...item, status: "in_progress", content: [] },
        },
        "response.output_item.added",
      );
      send(
        {
          type: "response.output_text.delta",
          output_index: index,
          content_index: 0,
          item_id: item.id,
          delta: text,
        },
        "response.output_text.delta",
      );
      send(
        { type: "response.output_item.done", output_index: index, item },
        "response.output_item.done",
      );
      items.push(item);
    }
    if (!side && step?.call) {
      const args = JSON.stringify(step.call.args);
      const item = {
        type: "function_call",
        id: `fc_${randomBytes(6).toString("hex")}`,
        call_id: callIdFor(stepIndex),
        name: step.call.name,
        arguments: args,
        status: "completed",
      };
      const index = items.length;
      send(
        {
          type: "response.output_item.added",
          output_index: index,
          item: { ...item, arguments: "", status: "in_progress" },
        },
        "response.output_item.added",
      );
      send(
        {
          type: "response.function_call_arguments.delta",
          output_index: index,
          item_id: item.id,
          delta: args,
        },
        "response.function_call_arguments.delta",
      );
      send(
        { type: "response.output_item.done", output_index: index, item },
        "response.output_item.done",
      );
      items.push(item);
    }
    const usage = {
      input_tokens: 25,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 10,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 35,
    };
    send(
      {
        type: "response.completed",
        response: { ...base, status: "completed", output: items, usage },
      },
      "response.completed",
    );
    res.end();
  },
};

export const startFakeOpenAI = (script: Script) => startFake(script, openAiResponses);

// ---------------------------------------------------------------------------------------------
// Gemini API (generateContent / streamGenerateContent), as the Gemini CLI calls it.

/** Answers the CLI's JSON side requests (the model router's classifier, next-speaker checks). */
const SIDE_JSON = {
  complexity_reasoning: "a simple scripted task",
  complexity_score: 10,
  reasoning: "done",
  next_speaker: "user",
};

const gemini: Protocol = {
  offeredTools(path, body) {
    if (!/:(stream)?[gG]enerateContent$/.test(path) || !isObject(body)) return undefined;
    const tools = Array.isArray(body.tools) ? body.tools : [];
    const names: string[] = [];
    for (const t of tools)
      if (isObject(t) && Array.isArray(t.functionDeclarations))
        for (const d of t.functionDeclarations) if (isObject(d)) names.push(String(d.name));
    return names;
  },
  ownCalls(body) {
    const contents = isObject(body) && Array.isArray(body.contents) ? body.contents : [];
    const out: Array<{ node: unknown; name: string; args: unknown }> = [];
    for (const c of contents) {
      if (!isObject(c) || c.role !== "model" || !Array.isArray(c.parts)) continue;
      for (const p of c.parts)
        if (isObject(p) && isObject(p.functionCall))
          out.push({ node: p, name: String(p.functionCall.name), args: p.functionCall.args });
    }
    return out;
  },
  answer(res, path, body, step, side) {
    const stream = /:streamGenerateContent$/.test(path);
    const wantsJson =
      isObject(body) &&
      isObject(body.generationConfig) &&
      body.generationConfig.responseMimeType === "application/json";
    const parts: Json[] = [];
    if (side) parts.push({ text: wantsJson ? JSON.stringify(SIDE_JSON) : "ok" });
    else {
      if (step?.text !== undefined) parts.push({ text: step.text });
      if (step?.call) parts.push({ functionCall: { name: step.call.name, args: step.call.args } });
    }
    const chunk = {
      candidates: [{ content: { role: "model", parts }, finishReason: "STOP", index: 0 }],
      usageMetadata: { promptTokenCount: 25, candidatesTokenCount: 10, totalTokenCount: 35 },
      modelVersion: "gemini-fake",
    };
    if (!stream) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(chunk));
      return;
    }
    sse(res)(chunk);
    res.end();
  },
};

export const startFakeGemini = (script: Script) => startFake(script, gemini);

// ---------------------------------------------------------------------------------------------
// OpenAI Chat Completions API (what Qwen Code and OpenCode's openai-compatible provider speak).
// Answers in SSE when the request asks for `stream: true`, as one JSON document otherwise.

const openAiChat: Protocol = {
  offeredTools(path, body) {
    if (!/\/chat\/completions$/.test(path) || !isObject(body)) return undefined;
    const tools = Array.isArray(body.tools) ? body.tools : [];
    return tools.map((t) =>
      isObject(t) && isObject(t.function) ? String(t.function.name ?? "") : "",
    );
  },
  ownCalls(body) {
    const messages = isObject(body) && Array.isArray(body.messages) ? body.messages : [];
    const out: Array<{ node: unknown; name: string; args: unknown }> = [];
    for (const m of messages) {
      if (!isObject(m) || m.role !== "assistant" || !Array.isArray(m.tool_calls)) continue;
      for (const c of m.tool_calls) {
        if (
          !isObject(c) ||
          typeof c.id !== "string" ||
          !c.id.startsWith("call_e2efake_") ||
          !isObject(c.function)
        )
          continue;
        let args: unknown = c.function.arguments;
        try {
          args = JSON.parse(String(c.function.arguments));
        } catch {
          /* keep raw */
        }
        out.push({ node: c, name: String(c.function.name), args });
      }
    }
    return out;
  },
  toolOutputs(body) {
    const messages = isObject(body) && Array.isArray(body.messages) ? body.messages : [];
    const text = (c: unknown): string =>
      typeof c === "string"
        ? c
        : Array.isArray(c)
          ? c.map((p) => (isObject(p) && typeof p.text === "string" ? p.text : "")).join("")
          : "";
    return messages
      .filter((m): m is Json => isObject(m) && m.role === "tool")
      .map((m) => text(m.content));
  },
  answer(res, _path, body, step, side) {
    const model = isObject(body) && typeof body.model === "string" ? body.model : "gpt-fake";
    const id = `chatcmpl_${randomBytes(8).toString("hex")}`;
    const created = Math.floor(Date.now() / 1000);
    const stepIndex = this.ownCalls(body).length;
    const text = side ? "ok" : step?.text;
    const call =
      !side && step?.call
        ? {
            id: callIdFor(stepIndex),
            type: "function",
            function: { name: step.call.name, arguments: JSON.stringify(step.call.args) },
          }
        : undefined;
    const finish = call ? "tool_calls" : "stop";
    const usage = { prompt_tokens: 25, completion_tokens: 10, total_tokens: 35 };
    if (!(isObject(body) && body.stream === true)) {
      res.writeHead(200, { "content-type": "application/json" });
      const message = {
        role: "assistant",
        content: text ?? null,
        ...(call ? { tool_calls: [call] } : {}),
      };
      res.end(
        JSON.stringify({
          id,
          object: "chat.completion",
          created,
          model,
          choices: [{ index: 0, message, finish_reason: finish }],
          usage,
        }),
      );
      return;
    }
    const send = sse(res);
    const chunk = (delta: Json, finish_reason: string | null, extra: Json = {}) =>
      send({
        id,
        object: "chat.completion.chunk",
        created,
        model,
        choices: [{ index: 0, delta, finish_reason }],
        ...extra,
      });
    chunk({ role: "assistant", content: "" }, null);
    if (text !== undefined) chunk({ content: text }, null);
    if (call) chunk({ tool_calls: [{ index: 0, ...call }] }, null);
    chunk({}, finish, { usage });
    res.write("data: [DONE]\n\n");
    res.end();
  },
};

export const startFakeOpenAIChat = (script: Script) => startFake(script, openAiChat);

// ---------------------------------------------------------------------------------------------
// An HTTPS front for a fake server: hookpack's relay forwards over TLS only, so the relay e2e
// tests put this (a self-signed certificate for 127.0.0.1, its CA handed to the relay) between the
// relay and the plain-http fake server. WebSocket upgrades are refused, as by the fakes.

export interface TlsFront {
  url: string;
  /** The PEM certificate to trust (`hookpack run --relay --upstream-ca`). */
  cert: string;
  close(): Promise<void>;
}

export async function startTlsFront(target: string): Promise<TlsFront> {
  const { selfSignedLoopbackCert } = await import("../helpers/tls.js");
  const https = await import("node:https");
  const http = await import("node:http");
  const tls = selfSignedLoopbackCert();
  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const up = http.request(
      `${target}${req.url}`,
      { method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cert: tls.cert,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => (tls.cleanup(), r()));
      }),
  };
}
