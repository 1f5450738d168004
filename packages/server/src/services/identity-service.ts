import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { IdentityService } from "@runnerplane/api/gitpod/v1/identity_pb";
import { createAuditor } from "../audit/index.js";
import { callerOf, unauthenticatedMessage } from "../auth/index.js";
import type { Clock } from "../clock.js";
import type { Sql } from "../db/index.js";
import { consumeExchangeToken, issueToken } from "../db/tokens.js";

export interface IdentityServiceDeps {
  sql: Sql;
  clock: Clock;
}

export function createIdentityService({
  sql,
  clock,
}: IdentityServiceDeps): Partial<ServiceImpl<typeof IdentityService>> {
  const audited = createAuditor({ sql, clock });
  return {
    getAuthenticatedIdentity(_req, ctx) {
      const caller = callerOf(ctx);
      return {
        subject: { id: caller.subject.id, principal: caller.subject.principal },
        organizationId: caller.organizationId,
      };
    },

    /**
     * The one unauthenticated method: a runner trades its one-time exchange token for a
     * runner access token. A used, expired, revoked or unknown exchange token gets the same
     * answer as any bad credential.
     */
    async exchangeToken(req, ctx) {
      const { accessToken } = await audited(
        ctx,
        async (tx) => {
          const now = clock.now();
          const exchange = await consumeExchangeToken(tx, req.exchangeToken, now);
          if (!exchange) throw new ConnectError(unauthenticatedMessage, Code.Unauthenticated);
          const { token } = await issueToken(tx, {
            kind: "runner_access",
            organizationId: exchange.organization_id,
            subjectId: exchange.subject_id,
            principal: "runner",
            expiresAt: null,
            description: "exchanged",
          });
          return { accessToken: token, runner: exchange };
        },
        ({ runner }) => ({
          id: runner.subject_id,
          actor: { principal: "runner", id: runner.subject_id },
          organizationId: runner.organization_id,
        }),
      );
      return { accessToken };
    },
  };
}
