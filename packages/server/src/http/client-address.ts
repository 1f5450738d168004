/**
 * Where a request came from, for the audit log (docs/audit-log.md#client-address): the
 * socket's remote address, or — only when the operator says a proxy in front sets it
 * (RUNNERPLANE_TRUST_PROXY) — the last (rightmost) hop of `X-Forwarded-For`: the address
 * the trusted proxy itself saw and appended. Proxies append, so every entry left of it came
 * from the client and may be forged. A last hop that is not an IP address is ignored (the
 * socket's address is used): the header must not put arbitrary text into the log.
 */
import { isIP } from "node:net";
import type { NodeRequest } from "./json-body.js";

export function clientAddressOf(req: Pick<NodeRequest, "headers" | "socket">, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const header = req.headers["x-forwarded-for"];
    // Node joins repeated X-Forwarded-For headers with ", "; an array is joined the same way.
    const hops = (Array.isArray(header) ? header.join(",") : header)?.split(",");
    const last = hops?.[hops.length - 1]?.trim();
    if (last && isIP(last)) return last;
  }
  return req.socket?.remoteAddress;
}
