/**
 * Authenticates every call but `IdentityService.ExchangeToken` and the operator's gRPC
 * health and reflection services (services/operation-services.ts) and puts the Caller in the
 * context values. The credential is the `Authorization: Bearer <token>` header or, without
 * one, the browser's session cookie (docs/sign-in.md); both are judged by the same rule
 * (auth/credential.ts). Missing, malformed, unknown, expired and revoked credentials, those
 * whose subject is gone and those of a suspended member all get the same `unauthenticated`
 * answer, so a caller learns nothing about why. A session cookie counts only from the
 * server's own origin. A read-only credential may call only NO_SIDE_EFFECTS methods.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { IdentityService } from "@runnerplane/api/gitpod/v1/identity_pb";
import { RunnerInteractionService } from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import type { Clock } from "../clock.js";
import { type TokenKind, tokenKindOf } from "../crypto/tokens.js";
import { detached } from "../db/request-scope.js";
import { heartbeatLingerMs } from "../db/runner-status.js";
import { findSessionForAuth, touchSession } from "../db/sessions.js";
import type { Sql } from "../db/sql.js";
import { createTokenLookup, type TokenLookup } from "../db/token-lookup.js";
import { type DbTokenForAuth, touchDue, touchIntervalMs, touchToken } from "../db/tokens.js";
import type { Logger } from "../logging/index.js";
import { type RequestInfo, requestInfoKey } from "../rpc/request-info.js";
import { operationServices } from "../services/operation-services.js";
import { fromOwnOrigin, ownOriginMessage } from "../sign-in/same-origin.js";
import { sessionCookieValue } from "../sign-in/session-cookie.js";
import type { SignInSettings } from "../sign-in/settings.js";
import type { Caller } from "./caller.js";
import { callerKey } from "./caller.js";
import { type CredentialForAuth, credentialCaller } from "./credential.js";

/**
 * Methods callable without a bearer token: the runner's token exchange, and health and
 * reflection, which probes and schema tools call before they have any credential (they tell
 * nothing the published .proto files and /readyz do not).
 */
const publicMethods: ReadonlySet<DescMethod> = new Set<DescMethod>([
  IdentityService.method.exchangeToken,
  ...operationServices.flatMap((s) => s.methods),
]);

/** Whether a method may be called without a bearer token (also what /openapi.json says of it). */
export function isPublicMethod(method: DescMethod): boolean {
  return publicMethods.has(method);
}

const heartbeat = RunnerInteractionService.method.updateRunnerStatus;

/** Token kinds that authenticate API calls; exchange and logs tokens serve one purpose only. */
const apiTokenKinds: ReadonlySet<TokenKind> = new Set(["personal_access", "runner_access"]);

export const unauthenticatedMessage = "missing or invalid bearer token";

export interface AuthenticationDeps {
  sql: Sql;
  clock: Clock;
  log: Logger;
  /** Session cookie name and idle limit. */
  signIn: Pick<SignInSettings, "cookieName" | "idleTimeoutMs">;
  /** The server's own origin, the only one session cookies count from. */
  publicUrl: string;
}

export interface Authenticated {
  caller: Caller;
  lastUsedAt: Date | null;
  readOnly: boolean;
}

/**
 * Authenticates one call of `method` from its request headers: the Caller, or the error the
 * caller gets. Records the subject in `info` (the request log line) and, when due, the
 * credential's use. The authentication interceptor is a thin wrapper around it, and the lean
 * WatchRequests path (relay/watch-handler.ts) calls the very same function.
 */
export type Authenticate = (
  header: (name: string) => string | null,
  method: DescMethod,
  info: RequestInfo | undefined,
) => Promise<Caller>;

export function createAuthenticate({ sql, clock, log, signIn, publicUrl }: AuthenticationDeps): Authenticate {
  const lookup = createTokenLookup(sql);
  // Nobody waits on a heartbeat's answer: its lookup may wait for others to join it, and
  // its write then goes out with theirs (db/runner-status.ts).
  const heartbeatLookup: TokenLookup = (token) => lookup(token, heartbeatLingerMs);
  return async (header, method, info) => {
    const now = clock.now();
    const authorization = header("authorization");
    const session = authorization === null ? sessionCookieValue(header("cookie"), signIn.cookieName) : undefined;
    if (session !== undefined && !fromOwnOrigin(header, publicUrl)) {
      throw new ConnectError(ownOriginMessage(publicUrl), Code.PermissionDenied);
    }
    const authenticated =
      session !== undefined
        ? await authenticateSession(sql, now, session, signIn.idleTimeoutMs)
        : await authenticateToken(method === heartbeat ? heartbeatLookup : lookup, now, authorization);
    if (!authenticated) throw new ConnectError(unauthenticatedMessage, Code.Unauthenticated);
    const { caller, lastUsedAt, readOnly } = authenticated;
    if (readOnly && method.idempotency !== MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS) {
      throw new ConnectError(
        "this token is read-only: it may call only methods without side effects",
        Code.PermissionDenied,
      );
    }
    if (info) info.subject = caller.subject.id;
    if (touchDue(lastUsedAt, now)) {
      // Bookkeeping, not part of the call's outcome: it may finish after the answer.
      const touch =
        caller.credential === "session"
          ? () => touchSession(sql, caller.tokenId, now, touchIntervalMs)
          : () => touchToken(sql, caller.tokenId, now);
      detached(touch).catch((error: unknown) =>
        log.warn("could not record credential use", { credential: caller.credential, id: caller.tokenId, error }),
      );
    }
    return caller;
  };
}

/** `authenticate` for every method but the public ones, the Caller put in the context values. */
export function createAuthenticationInterceptor(authenticate: Authenticate): Interceptor {
  return (next) => async (req) => {
    if (isPublicMethod(req.method)) return next(req);
    const info = req.contextValues.get(requestInfoKey);
    const caller = await authenticate((name) => req.header.get(name), req.method, info);
    req.contextValues.set(callerKey, caller);
    return next(req);
  };
}

function judged(row: CredentialForAuth, credential: Caller["credential"], now: Date): Authenticated | undefined {
  const caller = credentialCaller(row, credential, now);
  return caller && { caller, lastUsedAt: row.last_used_at, readOnly: row.read_only };
}

/** A bearer token of a kind that authenticates API calls. */
export async function authenticateToken(
  lookup: TokenLookup,
  now: Date,
  authorization: string | null,
): Promise<Authenticated | undefined> {
  const match = /^Bearer +(\S+)\s*$/i.exec(authorization ?? "");
  const token = match?.[1];
  if (!token) return undefined;
  const row = await findTokenOfKind(lookup, token, apiTokenKinds);
  return row && judged(row, "token", now);
}

/**
 * The stored token, when its prefix names one of `kinds` and the row is of that kind (a
 * token of another kind is not even looked up). Not yet judged (auth/credential.ts).
 */
export async function findTokenOfKind(
  lookup: TokenLookup,
  token: string,
  kinds: ReadonlySet<TokenKind>,
): Promise<DbTokenForAuth | undefined> {
  const kind = tokenKindOf(token);
  if (!kind || !kinds.has(kind)) return undefined;
  const row = await lookup(token);
  return row?.kind === kind ? row : undefined;
}

/** A browser session, by its cookie's value. */
export async function authenticateSession(
  sql: Sql,
  now: Date,
  secret: string,
  idleTimeoutMs: number,
): Promise<Authenticated | undefined> {
  const row = await findSessionForAuth(sql, secret, idleTimeoutMs);
  return row && judged(row, "session", now);
}
