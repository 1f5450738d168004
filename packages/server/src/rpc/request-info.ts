/**
 * Per-request facts shared between the HTTP front door (which creates them and writes
 * the request log line) and the RPC layer (which fills in the outcome and, once
 * authentication exists, the caller).
 */
import { type Code, createContextKey } from "@connectrpc/connect";

export interface RequestInfo {
  /** Random id, returned in the `x-request-id` response header and logged. */
  readonly id: string;
  /** Outcome code as seen by the RPC layer; undefined until the method ran. */
  code?: Code | "ok";
  /** Subject id of the authenticated caller, for the log. */
  subject?: string;
  /**
   * The client's address: the socket's, or the last X-Forwarded-For hop when the
   * trusted-proxy setting says so (http/client-address.ts). For the audit log.
   */
  readonly clientAddress?: string | undefined;
  /** The `User-Agent` header as sent, for the audit log. */
  readonly userAgent?: string | undefined;
}

/** Set by the front door for every HTTP request; absent for in-process (test) transports. */
export const requestInfoKey = createContextKey<RequestInfo | undefined>(undefined, {
  description: "runnerplane request info",
});
