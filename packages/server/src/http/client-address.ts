/**
 * Where a request came from, for the audit log (docs/audit-log.md#client-address): the
 * socket's remote address, or — only when the operator says a proxy in front sets it
 * (RUNNERPLANE_TRUST_PROXY) — the first hop of `X-Forwarded-For`, the original client as
 * the first proxy saw it. A first hop that is not an IP address is ignored: a header the
 * proxy passed through unchecked must not put arbitrary text into the log.
 */
import { isIP } from "node:net";
import type { NodeRequest } from "./json-body.js";

export function clientAddressOf(req: Pick<NodeRequest, "headers" | "socket">, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const header = req.headers["x-forwarded-for"];
    const first = (Array.isArray(header) ? header[0] : header)?.split(",", 1)[0]?.trim();
    if (first && isIP(first)) return first;
  }
  return req.socket?.remoteAddress;
}
