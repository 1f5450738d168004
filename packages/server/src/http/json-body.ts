/**
 * The Connect JSON path (unary POST with `application/json`), decoded here rather than
 * inside connect-es so that two rules of behaviour.md §1 can both hold:
 * - unknown JSON *fields* are ignored (clients newer than the server keep working), and
 * - unknown enum *value names* are rejected with `invalid_argument`.
 * protobuf-es's `ignoreUnknownFields` would do both or neither, so we drop unknown keys
 * ourselves (guided by the message descriptors) and let protobuf-es decode the rest
 * strictly.
 */
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import type { DescField, DescMessage, JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";

export type NodeRequest = IncomingMessage | Http2ServerRequest;

/** Reads the whole body, refusing more than `limit` bytes with `resource_exhausted`. */
export async function readBody(req: NodeRequest, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** Parses a request body as JSON; an empty body is the empty message. */
export function parseJsonBody(body: Buffer): JsonValue {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString("utf8")) as JsonValue;
  } catch (error) {
    throw new ConnectError(`the request body is not valid JSON: ${(error as Error).message}`, Code.InvalidArgument);
  }
}

/** Removes, in place, every object key that names no field of `desc` (recursively). */
export function dropUnknownFields(desc: DescMessage, json: unknown): void {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return;
  const fields = fieldsByJsonKey(desc);
  const obj = json as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    const field = fields.get(key);
    if (!field) {
      delete obj[key];
      continue;
    }
    const value = obj[key];
    const nested = field.message;
    if (!nested || value === null || nested.typeName.startsWith("google.protobuf.")) continue;
    if (field.fieldKind === "message") dropUnknownFields(nested, value);
    else if (field.fieldKind === "list" && Array.isArray(value)) {
      for (const item of value) dropUnknownFields(nested, item);
    } else if (field.fieldKind === "map" && typeof value === "object") {
      for (const item of Object.values(value as object)) dropUnknownFields(nested, item);
    }
  }
}

const keyCache = new WeakMap<DescMessage, Map<string, DescField>>();

/** Both the lowerCamelCase JSON name and the proto name are accepted (proto3 JSON). */
function fieldsByJsonKey(desc: DescMessage): Map<string, DescField> {
  let map = keyCache.get(desc);
  if (!map) {
    map = new Map();
    for (const f of desc.fields) {
      map.set(f.jsonName, f);
      map.set(f.name, f);
    }
    keyCache.set(desc, map);
  }
  return map;
}

function tooLarge(limit: number): ConnectError {
  return new ConnectError(`the request body exceeds the limit of ${limit} bytes`, Code.ResourceExhausted);
}
