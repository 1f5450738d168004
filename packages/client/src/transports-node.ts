/** Transports for Node.js: Connect (JSON or binary), gRPC and gRPC-Web, over HTTP/1.1 or HTTP/2. */
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
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
      return createConnectTransport({
        baseUrl: o.baseUrl,
        httpVersion: "1.1",
        useBinaryFormat: o.binary ?? false,
        interceptors: o.interceptors,
      });
  }
}
