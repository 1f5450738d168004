import { Code, ConnectError, createContextKey, type HandlerContext } from "@connectrpc/connect";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";

import type { OrgRole } from "../db/members.js";
import type { DbPrincipal } from "../db/tokens.js";

export type { DbPrincipal, OrgRole };

/** The authenticated subject of a request. */
export interface Caller {
  subject: { id: string; principal: Principal.USER | Principal.SERVICE_ACCOUNT | Principal.RUNNER };
  organizationId: string;
  /** Org role of a user or service account; undefined for the runner principal. */
  orgRole: OrgRole | undefined;
  /** The id of the token or, when `credential` is "session", of the session that authenticated the call. */
  tokenId: string;
  /** What authenticated the call: a bearer token or a browser session (docs/sign-in.md). */
  credential: "token" | "session";
}

export const callerKey = createContextKey<Caller | undefined>(undefined, { description: "authenticated caller" });

/** The caller of an authenticated method (every method but ExchangeToken). */
export function callerOf(ctx: Pick<HandlerContext, "values">): Caller {
  const caller = ctx.values.get(callerKey);
  if (!caller) throw new ConnectError("missing caller on an authenticated method", Code.Internal);
  return caller;
}

export function principalFromDb(p: DbPrincipal): Caller["subject"]["principal"] {
  switch (p) {
    case "user":
      return Principal.USER;
    case "service_account":
      return Principal.SERVICE_ACCOUNT;
    case "runner":
      return Principal.RUNNER;
  }
}
