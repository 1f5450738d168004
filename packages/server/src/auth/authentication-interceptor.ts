/**
 * Authenticates every call but `IdentityService.ExchangeToken` and the operator's gRPC
 * health and reflection services (routes.ts `operationServices`) from its
 * `Authorization: Bearer <token>` header and puts the Caller in the context values.
 * Missing, malformed, unknown, expired and revoked tokens, tokens whose subject is gone and
 * tokens of a suspended member all get the same `unauthenticated` answer, so a caller learns
 * nothing about why. A read-only personal access token may call only NO_SIDE_EFFECTS methods.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { IdentityService } from "@runnerplane/api/gitpod/v1/identity_pb";
import { Health } from "@runnerplane/api/grpc/health/v1/health_pb";
import { ServerReflection } from "@runnerplane/api/grpc/reflection/v1/reflection_pb";
import { ServerReflection as ServerReflectionV1alpha } from "@runnerplane/api/grpc/reflection/v1alpha/reflection_pb";
import type { Clock } from "../clock.js";
import { type TokenKind, tokenKindOf } from "../crypto/tokens.js";
import { detached } from "../db/request-scope.js";
import type { Sql } from "../db/sql.js";
import { findTokenForAuth, touchDue, touchToken } from "../db/tokens.js";
import type { Logger } from "../logging/index.js";
import { requestInfoKey } from "../rpc/request-info.js";
import { type Caller, callerKey, principalFromDb } from "./caller.js";

/**
 * Methods callable without a bearer token: the runner's token exchange, and health and
 * reflection, which probes and schema tools call before they have any credential (they tell
 * nothing the published .proto files and /readyz do not).
 */
const publicMethods: ReadonlySet<DescMethod> = new Set<DescMethod>([
  IdentityService.method.exchangeToken,
  ...[Health, ServerReflection, ServerReflectionV1alpha].flatMap((s) => s.methods),
]);

/** Whether a method may be called without a bearer token (also what /openapi.json says of it). */
export function isPublicMethod(method: DescMethod): boolean {
  return publicMethods.has(method);
}

/** Token kinds that authenticate API calls; exchange and logs tokens serve one purpose only. */
const apiTokenKinds: ReadonlySet<TokenKind> = new Set(["personal_access", "runner_access"]);

export const unauthenticatedMessage = "missing or invalid bearer token";

export interface AuthenticationDeps {
  sql: Sql;
  clock: Clock;
  log: Logger;
}

export function createAuthenticationInterceptor({ sql, clock, log }: AuthenticationDeps): Interceptor {
  return (next) => async (req) => {
    if (isPublicMethod(req.method)) return next(req);
    const now = clock.now();
    const authenticated = await authenticate(sql, now, req.header.get("authorization"));
    if (!authenticated) throw new ConnectError(unauthenticatedMessage, Code.Unauthenticated);
    const { caller, lastUsedAt, readOnly } = authenticated;
    if (readOnly && req.method.idempotency !== MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS) {
      throw new ConnectError(
        "this token is read-only: it may call only methods without side effects",
        Code.PermissionDenied,
      );
    }
    req.contextValues.set(callerKey, caller);
    const info = req.contextValues.get(requestInfoKey);
    if (info) info.subject = caller.subject.id;
    if (touchDue(lastUsedAt, now)) {
      // Bookkeeping, not part of the call's outcome: it may finish after the answer.
      detached(() => touchToken(sql, caller.tokenId, now)).catch((error: unknown) =>
        log.warn("could not record token use", { token_id: caller.tokenId, error }),
      );
    }
    return next(req);
  };
}

async function authenticate(
  sql: Sql,
  now: Date,
  authorization: string | null,
): Promise<{ caller: Caller; lastUsedAt: Date | null; readOnly: boolean } | undefined> {
  const match = /^Bearer +(\S+)\s*$/i.exec(authorization ?? "");
  const token = match?.[1];
  if (!token) return undefined;
  const kind = tokenKindOf(token);
  if (!kind || !apiTokenKinds.has(kind)) return undefined;
  const row = await findTokenForAuth(sql, token);
  if (!row || row.kind !== kind || !row.subject_exists) return undefined;
  if (row.revoked_at || (row.expires_at && row.expires_at <= now)) return undefined;
  if (row.principal !== "runner" && (!row.member_role || row.member_suspended)) return undefined;
  if (row.member_valid_until && row.member_valid_until <= now) return undefined;
  const caller: Caller = {
    subject: { id: row.subject_id, principal: principalFromDb(row.principal) },
    organizationId: row.organization_id,
    orgRole: row.member_role ?? undefined,
    tokenId: row.id,
  };
  return { caller, lastUsedAt: row.last_used_at, readOnly: row.read_only };
}
