/**
 * CORS for browser clients (Connect and gRPC-Web from a web page). Allowed origins are
 * configuration (RUNNERPLANE_CORS_ORIGINS, checked at start-up by config.ts); with none
 * configured, no CORS headers are sent and browsers keep to the same origin. Request
 * headers allowed (behaviour.md §1): the Connect and gRPC-Web ones, `authorization`,
 * `x-stainless-*` (the published SDKs), the trace context, `x-request-id`, and any listed
 * in RUNNERPLANE_CORS_ALLOWED_HEADERS.
 */
import { cors as connectCors } from "@connectrpc/connect";

const defaultAllowedHeaders = [
  ...connectCors.allowedHeaders,
  "authorization",
  "x-request-id",
  "user-agent",
  "traceparent",
  "tracestate",
];
const exposedHeaders = [...connectCors.exposedHeaders, "x-request-id", "x-should-retry", "retry-after"]
  .map((h) => h.toLowerCase())
  .join(", ");

export interface CorsDecision {
  /** Headers to add to the response (empty when the origin is not allowed). */
  headers: Record<string, string>;
  /** True for a preflight request, which is answered without reaching a method. */
  preflight: boolean;
}

export function createCors(origins: readonly string[], extraHeaders: readonly string[] = []) {
  const any = origins.includes("*");
  const allowed = new Set(origins);
  const allowedHeaders = new Set([...defaultAllowedHeaders, ...extraHeaders].map((h) => h.toLowerCase()));
  return function decide(method: string, header: (name: string) => string | undefined): CorsDecision {
    const origin = header("origin");
    const preflight = method === "OPTIONS" && header("access-control-request-method") !== undefined;
    if (!origin || !(any || allowed.has(origin))) return { headers: {}, preflight };
    const headers: Record<string, string> = {
      "access-control-allow-origin": origin,
      vary: "origin",
    };
    if (!preflight) {
      headers["access-control-expose-headers"] = exposedHeaders;
      return { headers, preflight };
    }
    const requested = (header("access-control-request-headers") ?? "")
      .split(",")
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h !== "" && (allowedHeaders.has(h) || h.startsWith("x-stainless-")));
    headers["access-control-allow-methods"] = connectCors.allowedMethods.join(", ");
    headers["access-control-allow-headers"] = requested.join(", ");
    headers["access-control-max-age"] = "7200";
    return { headers, preflight };
  };
}
