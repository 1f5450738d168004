/**
 * One rule for every JSON request (behaviour.md §1): unknown fields are dropped, unknown
 * enum value names are `invalid_argument`, whichever way the JSON arrives. The walk is
 * prepareJsonRequest() (json-body.ts); this module finds the JSON in each shape a client
 * can send it and hands connect-es, which decodes strictly, the prepared version:
 *
 * - Connect unary POST: the body, inflated here when gzip; parsed here and passed to
 *   connect-es already parsed. A zero-length body is not a JSON object (connect-go
 *   agrees), so it is `invalid_argument`.
 * - Connect GET: the `message` query parameter (plain, base64, or compressed), rewritten
 *   in the URL as plain JSON.
 * - Enveloped JSON (Connect streaming, gRPC-Web, gRPC with `+json`): each message frame,
 *   inflated when compressed and framed again uncompressed.
 */
import type { DescMessage, JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type EnvelopedMessage,
  pipe,
  transformJoinEnvelopes,
  transformSplitEnvelope,
} from "@connectrpc/connect/protocol";
import { gzip } from "./compression.js";
import { type NodeRequest, parseJsonBody, prepareJsonRequest, readBody } from "./json-body.js";

/** Content types whose messages are enveloped JSON. */
export const envelopedJsonContentType = /^application\/(connect|grpc|grpc-web)\+json(?:;.*)?$/i;

/** Reads, inflates, parses and prepares a Connect unary JSON body. */
export async function readUnaryJson(req: NodeRequest, input: DescMessage, limit: number): Promise<JsonValue> {
  const body = await inflate(await readBody(req, limit), header(req, "content-encoding"), limit);
  if (body.length === 0) {
    throw new ConnectError("the request body is empty; a JSON request is an object, at least {}", Code.InvalidArgument);
  }
  return prepared(input, body);
}

/** The URL of a Connect GET request, with its JSON message prepared. */
export async function prepareGetUrl(url: string, input: DescMessage, limit: number): Promise<string> {
  const parsed = new URL(url);
  const query = parsed.searchParams;
  if (query.get("encoding") !== "json") return url;
  const raw = query.get("message") ?? "";
  const encoded = query.get("base64") === "1" ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8");
  const bytes = await inflate(encoded, query.get("compression") ?? undefined, limit);
  query.set("message", JSON.stringify(prepared(input, bytes)));
  query.delete("base64");
  query.delete("compression");
  return parsed.toString();
}

/** The body of an enveloped JSON request, each message prepared. */
export function prepareEnvelopedJson(
  body: AsyncIterable<Uint8Array>,
  input: DescMessage,
  encoding: string | undefined,
  limit: number,
): AsyncIterable<Uint8Array> {
  return pipe(body, transformSplitEnvelope(limit), prepareEach, transformJoinEnvelopes());

  async function* prepareEach(envelopes: AsyncIterable<EnvelopedMessage>): AsyncIterable<EnvelopedMessage> {
    for await (const envelope of envelopes) {
      const compressed = (envelope.flags & compressedFlag) !== 0;
      if ((envelope.flags & ~compressedFlag) !== 0 || (compressed && encoding !== "gzip")) {
        // Not a message frame, or one connect-es must refuse: left as it is.
        yield envelope;
        continue;
      }
      const data = compressed ? await gzip.decompress(envelope.data, limit) : envelope.data;
      const json = JSON.stringify(prepared(input, Buffer.from(data)));
      yield { flags: 0, data: new TextEncoder().encode(json) };
    }
  }
}

const compressedFlag = 0b00000001;

async function inflate(bytes: Buffer, encoding: string | undefined, limit: number): Promise<Buffer> {
  if (encoding === undefined || encoding === "identity") return bytes;
  if (encoding === "gzip") return Buffer.from(await gzip.decompress(bytes, limit));
  throw new ConnectError(`unsupported compression "${encoding}"; supported: gzip, identity`, Code.Unimplemented);
}

function prepared(input: DescMessage, body: Buffer): JsonValue {
  const json = parseJsonBody(body);
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ConnectError("the request body is not a JSON object", Code.InvalidArgument);
  }
  prepareJsonRequest(input, json);
  return json;
}

function header(req: NodeRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
