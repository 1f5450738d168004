/** Small HTTP pieces the sign-in pages share: reading a form or JSON body, answering. */
import type { Code } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { type NodeResponse, writeMethodNotAllowed } from "../http/error-response.js";
import { sendHtmlPage } from "../http/html-page.js";
import { type NodeRequest, readBody } from "../http/json-body.js";

/** Sign-in bodies are a token and a path: nothing bigger is needed. */
const bodyLimit = 16 * 1024;

export type BodyKind = "json" | "form";

/** The body's fields, or a reason it could not be read. */
export async function readFields(
  req: NodeRequest,
): Promise<{ kind: BodyKind; fields: Record<string, string> } | { error: string; status: number }> {
  const type = String(req.headers["content-type"] ?? "")
    .split(";", 1)[0]
    ?.trim()
    .toLowerCase();
  const kind: BodyKind | undefined =
    type === "application/json" ? "json" : type === "application/x-www-form-urlencoded" ? "form" : undefined;
  if (!kind) return { error: "send application/json or application/x-www-form-urlencoded", status: 415 };
  let body: Buffer;
  try {
    body = await readBody(req, bodyLimit);
  } catch {
    return { error: "the request body is too large", status: 413 };
  }
  if (kind === "form") return { kind, fields: Object.fromEntries(new URLSearchParams(body.toString("utf8"))) };
  try {
    const parsed: unknown = body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed)) if (typeof v === "string") fields[k] = v;
    return { kind, fields };
  } catch {
    return { error: "the request body is not a JSON object", status: 400 };
  }
}

export function sendJson(res: NodeResponse, status: number, body: unknown, cookies: string[] = []): void {
  res.writeHead(status, {
    "content-type": "application/json",
    "cache-control": "no-store",
    ...(cookies.length > 0 ? { "set-cookie": cookies } : {}),
  });
  res.end(JSON.stringify(body));
}

/** A Connect-shaped error body, so one client helper reads every answer of the server. */
export function sendError(res: NodeResponse, status: number, code: Code, message: string, cookies: string[] = []) {
  sendJson(res, status, { code: codeToString(code), message }, cookies);
}

export function redirect(res: NodeResponse, location: string, cookies: string[] = []): void {
  res.writeHead(303, {
    location,
    "cache-control": "no-store",
    ...(cookies.length > 0 ? { "set-cookie": cookies } : {}),
  });
  res.end();
}

/** 405 in the shape every endpoint sends it (http/error-response.ts), never cached. */
export function methodNotAllowed(req: NodeRequest, res: NodeResponse, allow: string): void {
  res.setHeader("cache-control", "no-store");
  writeMethodNotAllowed(res, req.method, (req.url ?? "/").split("?", 1)[0] ?? "/", allow);
}

/** A small page for the browser when a flow it was sent through fails (http/html-page.ts). */
export function sendPage(res: NodeResponse, status: number, title: string, message: string, cookies: string[] = []) {
  sendHtmlPage(res, status, title, message, cookies.length > 0 ? { "set-cookie": cookies } : {}, {
    href: "/",
    text: "Back",
  });
}
