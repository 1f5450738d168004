/**
 * The thinnest clients that speak Connect JSON (HTTP/1.1) and gRPC (h2c), for the load
 * generator. The full connect-node client costs about as much CPU per call as the server's
 * no-op method; on a 2-core machine that would make the load generator, not the server,
 * the limit. These encode with protobuf-es and write straight to node:http / node:http2.
 *
 * A call succeeds when the server says so (HTTP 200 for Connect, grpc-status 0 for gRPC);
 * with `decode` the answer is also decoded into the method's output message, which the
 * load generator does for the first call of every scenario.
 */
import http from "node:http";
import http2 from "node:http2";
import {
  type DescMessage,
  type DescMethodUnary,
  fromBinary,
  fromJsonString,
  type MessageShape,
  toBinary,
  toJsonString,
} from "@bufbuild/protobuf";

export type UnaryMethod = DescMethodUnary<DescMessage, DescMessage>;

export interface CallOptions {
  /** Bearer token; empty for none. */
  token: string;
  decode: boolean;
}

export interface WireClient {
  call(method: UnaryMethod, request: MessageShape<DescMessage>, options: CallOptions): Promise<unknown>;
  close(): void;
}

const pathOf = (method: UnaryMethod) => `/${method.parent.typeName}/${method.name}`;

export interface WireOptions {
  /** Connect: sockets of the keep-alive agent. */
  connections: number;
  /** Connect: the binary format (application/proto) instead of JSON. */
  binary?: boolean;
  /** gRPC: calls go on this HTTP/2 session (shared with other clients) instead of one of its own. */
  session?: () => http2.ClientHttp2Session;
}

export function wireClient(
  protocol: "connect" | "grpc" | "sql" | "mixed",
  baseUrl: string,
  options: WireOptions,
): WireClient & { session(): http2.ClientHttp2Session } {
  if (protocol === "connect")
    return {
      ...connectClient(baseUrl, options.connections, options.binary ?? false),
      session: () => {
        throw new Error("a Connect client has no HTTP/2 session");
      },
    };
  if (protocol === "grpc") return grpcClient(baseUrl, options.session);
  throw new Error(`no RPC client for ${protocol}`);
}

/**
 * A free keep-alive socket's idle timeout on the client side. Node's agent shortens it to
 * the server's `Keep-Alive: timeout=N` hint minus a second, but only when the agent has a
 * timeout of its own: without this option (Node 20) the hint is ignored, the client keeps
 * idle sockets forever and reuses one the server is closing, which fails with ECONNRESET.
 */
const freeSocketTimeoutMs = 60_000;

/** Whether a failed request may be sent again: Node's documented rule for a reused keep-alive socket. */
const staleSocket = (req: http.ClientRequest, error: NodeJS.ErrnoException, answered: boolean) =>
  req.reusedSocket && !answered && error.code === "ECONNRESET";

function connectClient(baseUrl: string, connections: number, binary: boolean): WireClient {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, timeout: freeSocketTimeoutMs });
  const send = (
    method: UnaryMethod,
    body: string | Uint8Array,
    headers: http.OutgoingHttpHeaders,
    decode: boolean,
    retried: boolean,
  ): Promise<unknown> =>
    new Promise((resolve, reject) => {
      let answered = false;
      const req = http.request(
        { agent, host: url.hostname, port: url.port, method: "POST", path: pathOf(method), headers },
        (res) => {
          answered = true;
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () => {
            const all = Buffer.concat(chunks);
            if (res.statusCode !== 200)
              return reject(new Error(`HTTP ${res.statusCode}: ${all.toString("utf8").slice(0, 300)}`));
            if (!decode) return resolve(undefined);
            try {
              resolve(binary ? fromBinary(method.output, all) : fromJsonString(method.output, all.toString("utf8")));
            } catch (error) {
              reject(error);
            }
          });
        },
      );
      req.on("error", (error: NodeJS.ErrnoException) => {
        // The server closed the idle socket as the request went out on it: it never read
        // the request, so sending it once more, on a fresh socket, is safe.
        if (!retried && staleSocket(req, error, answered)) resolve(send(method, body, headers, decode, true));
        else reject(error);
      });
      req.end(body);
    });
  return {
    call: (method, request, { token, decode }) => {
      const body = binary ? toBinary(method.input, request) : toJsonString(method.input, request);
      const headers: http.OutgoingHttpHeaders = {
        "content-type": binary ? "application/proto" : "application/json",
        "content-length": Buffer.byteLength(body),
      };
      if (token) headers.authorization = `Bearer ${token}`;
      return send(method, body, headers, decode, false);
    },
    close: () => agent.destroy(),
  };
}

/** One message in the 5-byte envelope gRPC and Connect streaming share (flags 0: uncompressed). */
export function envelope(data: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + data.length);
  frame[0] = 0;
  frame.writeUInt32BE(data.length, 1);
  frame.set(data, 5);
  return frame;
}

/** Splits a byte stream into enveloped messages, calling `onMessage` with each one's flags and data. */
export function envelopes(onMessage: (flags: number, data: Buffer) => void): (chunk: Buffer) => void {
  let buffered: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
    while (buffered.length >= 5) {
      const length = buffered.readUInt32BE(1);
      if (buffered.length < 5 + length) break;
      onMessage(buffered[0] as number, buffered.subarray(5, 5 + length));
      buffered = buffered.subarray(5 + length);
    }
  };
}

function grpcClient(
  baseUrl: string,
  shared: (() => http2.ClientHttp2Session) | undefined,
): WireClient & { session(): http2.ClientHttp2Session } {
  let session: http2.ClientHttp2Session | undefined;
  const connect = () => {
    if (shared) return shared();
    if (!session || session.closed || session.destroyed) {
      session = http2.connect(baseUrl);
      session.on("error", () => {}); // surfaces on the streams too
    }
    return session;
  };
  return {
    call: (method, request, { token, decode }) =>
      new Promise((resolve, reject) => {
        const message = toBinary(method.input, request);
        const frame = envelope(message);
        const headers: http2.OutgoingHttpHeaders = {
          ":method": "POST",
          ":path": pathOf(method),
          "content-type": "application/grpc+proto",
          te: "trailers",
        };
        if (token) headers.authorization = `Bearer ${token}`;
        const stream = connect().request(headers);
        let status: string | undefined;
        let grpcMessage = "";
        const take = (h: http2.IncomingHttpHeaders) => {
          if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
          if (h["grpc-message"] !== undefined) grpcMessage = decodeURIComponent(String(h["grpc-message"]));
        };
        const chunks: Buffer[] = [];
        stream.on("response", take); // a trailers-only answer carries the status here
        stream.on("trailers", take);
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("error", reject);
        stream.on("close", () => {
          if (status !== "0") return reject(new Error(`grpc-status ${status ?? "missing"}: ${grpcMessage}`));
          if (!decode) return resolve(undefined);
          try {
            const body = Buffer.concat(chunks);
            resolve(fromBinary(method.output, body.subarray(5, 5 + body.readUInt32BE(1))));
          } catch (error) {
            reject(error);
          }
        });
        stream.end(frame);
      }),
    close: () => {
      if (!shared) session?.close();
    },
    session: connect,
  };
}
