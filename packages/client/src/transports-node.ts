/**
 * Transports for Node.js: Connect (JSON or binary; unary calls over node:http, see
 * node-connect-unary.ts), gRPC and gRPC-Web, over HTTP/1.1 or HTTP/2.
 */
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { createNodeConnectTransport } from "./node-connect-unary.js";
import type { Protocol } from "./options.js";

export const userAgentHeader = "user-agent";

export function createProtocolTransport(o: {
  baseUrl: string;
  protocol: Protocol;
  binary: boolean | undefined;
  interceptors: Interceptor[];
}): Transport {
  switch (o.protocol) {
    case "grpc":
      return createGrpcTransport({ baseUrl: o.baseUrl, interceptors: o.interceptors });
    case "grpc-web":
      return createGrpcWebTransport({
        baseUrl: o.baseUrl,
        httpVersion: "1.1",
        useBinaryFormat: o.binary ?? true,
        interceptors: o.interceptors,
      });
    case "connect":
      return createNodeConnectTransport({
        baseUrl: o.baseUrl,
        binary: o.binary ?? false,
        interceptors: o.interceptors,
      });
  }
}
