import type { ServiceImpl } from "@connectrpc/connect";
import type { IdentityService } from "@runnerplane/api/gitpod/v1/identity_pb";
import { callerOf } from "../auth/index.js";

/**
 * IdentityService. ExchangeToken arrives with the runners issue (its token machinery,
 * consumeExchangeToken in db/tokens.ts, is in place); until then connect-es answers it
 * with `unimplemented`.
 */
export function createIdentityService(): Partial<ServiceImpl<typeof IdentityService>> {
  return {
    getAuthenticatedIdentity(_req, ctx) {
      const caller = callerOf(ctx);
      return {
        subject: { id: caller.subject.id, principal: caller.subject.principal },
        organizationId: caller.organizationId,
      };
    },
  };
}
