/** The console's one transport: the client package's, to this page's own origin, authenticated by the session cookie. */
import type { Transport } from "@connectrpc/connect";
import { createRunnerplaneTransport } from "@runnerplane/client";

export function createConsoleTransport(origin: string): Transport {
  // No token: same-origin fetch sends the HttpOnly session cookie (docs/console.md).
  // No client retries: TanStack Query's retry policy (query-client.ts) is the only one.
  return createRunnerplaneTransport({ baseUrl: origin, userAgent: "runnerplane-console", retry: false });
}
