/**
 * The Connect JSON path (unary POST with `application/json`), decoded here rather than
 * inside connect-es so that two rules of behaviour.md §1 can both hold:
 * - unknown JSON *fields* are ignored (clients newer than the server keep working), and
 * - unknown enum *value names* are rejected with `invalid_argument` naming the field.
 * protobuf-es's `ignoreUnknownFields` would do both or neither, so we walk the JSON with
 * the message descriptors ourselves and let protobuf-es decode the result strictly.
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

/**
 * Prepares a decoded JSON request for strict decoding, in one walk guided by the
 * descriptors: removes (in place) every object key that names no field, and rejects an enum
 * value name the contract does not declare with `invalid_argument` naming the field path.
 */
export function prepareJsonRequest(desc: DescMessage, json: unknown, path = ""): void {
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
    if (value === null) continue;
    const fieldPath = path + field.name;
    const enumType = field.enum;
    if (enumType && !enumType.typeName.startsWith("google.protobuf.")) {
      const names = field.fieldKind === "map" ? Object.values(value as object) : [value].flat();
      names.forEach((name, i) => {
        if (typeof name === "string" && !enumType.values.some((v) => v.name === name)) {
          const at = field.fieldKind === "list" ? `${fieldPath}[${i}]` : fieldPath;
          throw new ConnectError(`${at}: "${name}" is not a value of ${enumType.typeName}`, Code.InvalidArgument);
        }
      });
      continue;
    }
    const nested = field.message;
    if (!nested || nested.typeName.startsWith("google.protobuf.")) continue;
    if (field.fieldKind === "message") prepareJsonRequest(nested, value, `${fieldPath}.`);
    else if (field.fieldKind === "list" && Array.isArray(value)) {
      for (const [i, item] of value.entries()) prepareJsonRequest(nested, item, `${fieldPath}[${i}].`);
    } else if (field.fieldKind === "map" && typeof value === "object") {
      for (const [k, item] of Object.entries(value as object)) {
        prepareJsonRequest(nested, item, `${fieldPath}[${JSON.stringify(k)}].`);
      }
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
