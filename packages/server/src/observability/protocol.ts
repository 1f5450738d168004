/**
 * The protocol a request speaks, as the front door tells from its method and content type:
 * a label of the request metrics, and what decides a span's `rpc.system`.
 */
export const rpcProtocols = ["connect", "grpc", "grpc-web", "unknown"] as const;

export type RpcProtocol = (typeof rpcProtocols)[number];
