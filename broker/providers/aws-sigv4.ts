// AWS Signature Version 4 for the Query API (STS, IAM), with node:crypto only: no AWS SDK.
// The algorithm, as documented in the IAM User Guide ("Create a signed AWS API request"):
//   canonical request = METHOD \n URI \n QUERY \n headers (lowercase, sorted, "name:value\n")
//                       \n signed header names (";") \n hex(SHA-256(body))
//   string to sign    = "AWS4-HMAC-SHA256" \n X-Amz-Date \n date/region/service/aws4_request
//                       \n hex(SHA-256(canonical request))
//   signing key       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
//   Authorization     = AWS4-HMAC-SHA256 Credential=KEYID/scope, SignedHeaders=…, Signature=hex
// Temporary credentials add the X-Amz-Security-Token header (signed). Checked against moto 5.2.4,
// which recomputes the signature with botocore's signer and refuses a mismatch.
import { createHash, createHmac } from "node:crypto";

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const sha256 = (data: string) => createHash("sha256").update(data, "utf8").digest("hex");
const hmac = (key: Buffer | string, data: string) =>
  createHmac("sha256", key).update(data, "utf8").digest();

/** "20261206T061500Z" */
export function amzDate(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
export function awsEncode(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Signs a request; returns the headers to send (host is sent by fetch from the URL, and signed). */
export function signV4(req: {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string;
  region: string;
  service: string;
  credentials: AwsCredentials;
  now?: Date;
}): Record<string, string> {
  const date = amzDate(req.now ?? new Date());
  const day = date.slice(0, 8);
  const headers: Record<string, string> = {
    ...req.headers,
    "x-amz-date": date,
    ...(req.credentials.sessionToken
      ? { "x-amz-security-token": req.credentials.sessionToken }
      : {}),
  };
  const canon: Record<string, string> = { host: req.url.host };
  for (const [k, v] of Object.entries(headers))
    canon[k.toLowerCase()] = v.trim().replace(/\s+/g, " ");
  const names = Object.keys(canon).sort();
  const query = [...req.url.searchParams]
    .map(([k, v]) => `${awsEncode(k)}=${awsEncode(v)}`)
    .sort()
    .join("&");
  const canonical = [
    req.method,
    req.url.pathname || "/",
    query,
    names.map((n) => `${n}:${canon[n]}\n`).join(""),
    names.join(";"),
    sha256(req.body),
  ].join("\n");
  const scope = `${day}/${req.region}/${req.service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", date, scope, sha256(canonical)].join("\n");
  const key = hmac(
    hmac(hmac(hmac(`AWS4${req.credentials.secretAccessKey}`, day), req.region), req.service),
    "aws4_request",
  );
  const signature = createHmac("sha256", key).update(toSign, "utf8").digest("hex");
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${req.credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`,
  };
}

export interface QueryReply {
  status: number;
  body: string;
  /** The AWS error code (<Code>…</Code>), if the reply is an error. */
  code: string | undefined;
  message: string | undefined;
}

/** The text of the first <tag>…</tag> in an AWS XML reply (entities decoded). */
export function xmlText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  if (!m) return undefined;
  return m[1]!
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&amp;/g, "&");
}

/** One signed Query API call (POST, form-encoded): Action=…&Version=…&params. */
export async function awsQuery(opts: {
  endpoint: string;
  region: string;
  service: "sts" | "iam";
  action: string;
  params?: Record<string, string>;
  credentials: AwsCredentials | undefined;
  timeoutMs?: number;
}): Promise<QueryReply> {
  const version = opts.service === "sts" ? "2011-06-15" : "2010-05-08";
  // Form-encoded the way botocore does (RFC 3986 unreserved characters kept, space as "+"): moto
  // re-encodes the parsed form with botocore to check the signature over it.
  const form = (x: string) => awsEncode(x).replace(/%20/g, "+");
  const body = Object.entries({ Action: opts.action, Version: version, ...opts.params })
    .map(([k, v]) => `${form(k)}=${form(v)}`)
    .join("&");
  const url = new URL(opts.endpoint.endsWith("/") ? opts.endpoint : `${opts.endpoint}/`);
  const base = { "content-type": "application/x-www-form-urlencoded; charset=utf-8" };
  const headers = opts.credentials
    ? signV4({
        method: "POST",
        url,
        headers: base,
        body,
        region: opts.region,
        service: opts.service,
        credentials: opts.credentials,
      })
    : base;
  const res = await fetch(url, {
    method: "POST",
    headers,
    body,
    signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    redirect: "error",
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text,
    code: res.status >= 400 ? xmlText(text, "Code") : undefined,
    message: res.status >= 400 ? xmlText(text, "Message")?.slice(0, 200) : undefined,
  };
}
