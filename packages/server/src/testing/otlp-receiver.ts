/**
 * A test OTLP/HTTP receiver: accepts `POST /v1/traces` with an ExportTraceServiceRequest
 * in protobuf (what @opentelemetry/exporter-trace-otlp-proto sends), decodes the spans and
 * keeps them. The decoder reads only the fields tests look at, straight off the wire with
 * protobuf-es's BinaryReader (opentelemetry-proto's trace.proto field numbers), so it
 * checks the bytes the exporter really sent rather than the SDK's own objects.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { BinaryReader, type WireType } from "@bufbuild/protobuf/wire";

export type AttributeValue = string | boolean | number | bigint | undefined;

export interface ReceivedSpan {
  /** Hex, as in a traceparent. */
  traceId: string;
  spanId: string;
  /** Hex; "" for a root span. */
  parentSpanId: string;
  name: string;
  /** SpanKind of the OTLP enum: 2 is SERVER, 3 CLIENT. */
  kind: number;
  attributes: Record<string, AttributeValue>;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  /** The resource's attributes (service.name, …). */
  resource: Record<string, AttributeValue>;
}

export interface OtlpReceiver {
  /** Base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  spans: ReceivedSpan[];
  /** Requests that were not a trace export it could read (there should be none). */
  rejected: string[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const rejected: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      try {
        if (req.method !== "POST" || req.url !== "/v1/traces") throw new Error(`${req.method} ${req.url}`);
        if (req.headers["content-type"] !== "application/x-protobuf") throw new Error(req.headers["content-type"]);
        let body = Buffer.concat(chunks);
        if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
        spans.push(...decodeExportRequest(body));
        // An empty ExportTraceServiceResponse: everything accepted.
        res.writeHead(200, { "content-type": "application/x-protobuf", "content-length": 0 }).end();
      } catch (error) {
        rejected.push(String(error));
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    rejected,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Calls `field` for each field of the message in `bytes`. */
function fields(bytes: Uint8Array, field: (no: number, wireType: WireType, reader: BinaryReader) => void): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [no, wireType] = reader.tag();
    const before = reader.pos;
    field(no, wireType, reader);
    if (reader.pos === before) reader.skip(wireType, no);
  }
}

function decodeExportRequest(bytes: Uint8Array): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  // ExportTraceServiceRequest.resource_spans = 1
  fields(bytes, (no, _, r) => {
    if (no !== 1) return;
    let resource: Record<string, AttributeValue> = {};
    const scopeSpans: Uint8Array[] = [];
    // ResourceSpans: resource = 1, scope_spans = 2
    fields(r.bytes(), (no, _, r) => {
      if (no === 1) resource = decodeResource(r.bytes());
      else if (no === 2) scopeSpans.push(r.bytes());
    });
    for (const scope of scopeSpans) {
      // ScopeSpans: spans = 2
      fields(scope, (no, _, r) => {
        if (no === 2) out.push({ ...decodeSpan(r.bytes()), resource });
      });
    }
  });
  return out;
}

function decodeResource(bytes: Uint8Array): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  // Resource.attributes = 1
  fields(bytes, (no, _, r) => {
    if (no === 1) Object.assign(attributes, decodeKeyValue(r.bytes()));
  });
  return attributes;
}

function decodeSpan(bytes: Uint8Array): Omit<ReceivedSpan, "resource"> {
  const span: Omit<ReceivedSpan, "resource"> = {
    traceId: "",
    spanId: "",
    parentSpanId: "",
    name: "",
    kind: 0,
    attributes: {},
    statusCode: 0,
  };
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
  fields(bytes, (no, _, r) => {
    if (no === 1) span.traceId = hex(r.bytes());
    else if (no === 2) span.spanId = hex(r.bytes());
    else if (no === 4) span.parentSpanId = hex(r.bytes());
    else if (no === 5) span.name = r.string();
    else if (no === 6) span.kind = r.int32();
    else if (no === 9) Object.assign(span.attributes, decodeKeyValue(r.bytes()));
    else if (no === 15) {
      // Status: code = 3
      fields(r.bytes(), (no, _, r) => {
        if (no === 3) span.statusCode = r.int32();
      });
    }
  });
  return span;
}

function decodeKeyValue(bytes: Uint8Array): Record<string, AttributeValue> {
  let key = "";
  let value: AttributeValue;
  fields(bytes, (no, _, r) => {
    if (no === 1) key = r.string();
    else if (no === 2) {
      // AnyValue: string_value = 1, bool_value = 2, int_value = 3, double_value = 4
      fields(r.bytes(), (no, wireType, r) => {
        if (no === 1) value = r.string();
        else if (no === 2) value = r.bool();
        else if (no === 3) value = Number(r.int64());
        else if (no === 4) value = r.double();
        else r.skip(wireType, no);
      });
    }
  });
  return { [key]: value };
}
