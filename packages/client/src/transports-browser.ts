/** Transports for browsers (fetch): Connect (JSON or binary) and gRPC-Web. gRPC needs HTTP/2 trailers browsers lack. */
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import type { Protocol } from "./options.js";

// Browsers do not let scripts set User-Agent; gRPC-Web's convention is x-user-agent.
export const userAgentHeader = "x-user-agent";

export function createProtocolTransport(o: {
  baseUrl: string;
  protocol: Protocol;
  binary: boolean | undefined;
  interceptors: Interceptor[];
}): Transport {
  switch (o.protocol) {
    case "grpc":
      throw new Error('protocol "grpc" needs Node.js; in browsers use "connect" or "grpc-web"');
    case "grpc-web":
      return createGrpcWebTransport({
        baseUrl: o.baseUrl,
        useBinaryFormat: o.binary ?? true,
        interceptors: o.interceptors,
      });
    case "connect":
      return createConnectTransport({
        baseUrl: o.baseUrl,
        useBinaryFormat: o.binary ?? false,
        interceptors: o.interceptors,
      });
  }
}
