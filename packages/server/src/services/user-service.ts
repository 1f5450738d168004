/**
 * UserService (behaviour.md §12): the caller and the other users of its org, suspension, and
 * personal access tokens. Tenancy as §2: another org's ids, service accounts' ids and tokens
 * the caller may not see are `not_found`, indistinguishable from unknown ids.
 */

import { type Duration, durationMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import { UserService } from "@runnerplane/api/gitpod/v1/user_pb";
import { setSuspendedKeepingAnAdmin } from "../admin/organization-admins.js";
import { createAuditor } from "../audit/index.js";
import { type Caller, callerOf, orgAdmin, orgMember } from "../auth/index.js";
import type { Clock } from "../clock.js";
import type { Sql } from "../db/index.js";
import {
  findMemberToken,
  issueToken,
  listMemberTokens,
  type MemberTokenScope,
  revokeMemberToken,
} from "../db/tokens.js";
import { findUser } from "../db/users.js";
import { type PageTokens, paginate } from "../pagination/index.js";
import { toPersonalAccessToken, toUser } from "./user-mapper.js";

export interface UserServiceDeps {
  sql: Sql;
  clock: Clock;
  pageTokens: () => Promise<PageTokens>;
}

/**
 * A personal access token created without `valid_for` (or with 0s) is valid for the longest
 * time the contract allows, 90 days: a token that never expires is for the CLI's bootstrap.
 */
export const defaultPersonalAccessTokenLifetimeMs = 90 * 24 * 60 * 60_000;

export function createUserService({
  sql,
  clock,
  pageTokens,
}: UserServiceDeps): Partial<ServiceImpl<typeof UserService>> {
  const audited = createAuditor({ sql, clock });
  return {
    async getAuthenticatedUser(_req, ctx) {
      const caller = userCaller(callerOf(ctx));
      const user = await findUser(sql, caller.organizationId, caller.subject.id);
      // Authentication has just found the member; only a concurrent removal gets here.
      if (!user) throw userNotFound(caller.subject.id);
      return { user: toUser(user) };
    },

    async getUser(req, ctx) {
      const caller = memberCaller(callerOf(ctx));
      const user = await findUser(sql, caller.organizationId, req.userId);
      if (!user) throw userNotFound(req.userId);
      return { user: toUser(user) };
    },

    async setSuspended(req, ctx) {
      const caller = memberCaller(callerOf(ctx));
      // Who the caller can see comes first: a member learns not_found for another org's id.
      const user = await findUser(sql, caller.organizationId, req.userId);
      if (!user) throw userNotFound(req.userId);
      orgAdmin(caller, UserService.name, "suspend users or lift a suspension");
      if (req.suspended && user.id === caller.subject.id) {
        throw new ConnectError("an admin cannot suspend themself", Code.FailedPrecondition);
      }
      // Under the lock on the org's admins, so two admins suspending each other at the same
      // moment cannot leave the org without an active admin (admin/organization-admins.ts).
      await audited(
        ctx,
        async (tx) => {
          if (!(await setSuspendedKeepingAnAdmin(tx, caller.organizationId, user.id, req.suspended, clock.now()))) {
            throw userNotFound(req.userId);
          }
        },
        user.id,
      );
      return {};
    },

    async createPersonalAccessToken(req, ctx) {
      const caller = userCaller(callerOf(ctx));
      if (req.userId.toLowerCase() !== caller.subject.id) {
        if (!(await findUser(sql, caller.organizationId, req.userId))) throw userNotFound(req.userId);
        throw new ConnectError(
          "user_id: a personal access token can be created only for the caller",
          Code.PermissionDenied,
        );
      }
      const now = clock.now();
      const { token } = await audited(
        ctx,
        (tx) =>
          issueToken(tx, {
            kind: "personal_access",
            organizationId: caller.organizationId,
            subjectId: caller.subject.id,
            principal: "user",
            expiresAt: new Date(now.getTime() + lifetimeMs(req.validFor)),
            description: req.description,
            readOnly: req.readOnly,
          }),
        (issued) => issued.row.id,
      );
      return { token };
    },

    async getPersonalAccessToken(req, ctx) {
      const row = await findMemberToken(sql, scopeOf(callerOf(ctx)), req.personalAccessTokenId);
      if (!row) throw tokenNotFound(req.personalAccessTokenId);
      return { pat: toPersonalAccessToken(row) };
    },

    async listPersonalAccessTokens(req, ctx) {
      const caller = callerOf(ctx);
      const scope = scopeOf(caller);
      const given = [...new Set((req.filter?.userIds ?? []).map((id) => id.toLowerCase()))].sort();
      // "Empty: the caller's own" (the contract); a member's view is its own tokens anyway.
      const filter = { userIds: given.length > 0 ? given : [caller.subject.id] };
      const page = await paginate({
        tokens: await pageTokens(),
        method: "gitpod.v1.UserService/ListPersonalAccessTokens",
        filter,
        pagination: req.pagination,
        fetch: (after, limit) => listMemberTokens(sql, { ...scope, subjectIds: filter.userIds, after, limit }),
        cursorOf: (row) => ({ createdAt: row.created_at, id: row.id }),
      });
      return {
        personalAccessTokens: page.rows.map(toPersonalAccessToken),
        pagination: { nextToken: page.nextToken },
      };
    },

    async deletePersonalAccessToken(req, ctx) {
      const scope = scopeOf(callerOf(ctx));
      await audited(
        ctx,
        async (tx) => {
          if (!(await revokeMemberToken(tx, scope, req.personalAccessTokenId, clock.now()))) {
            throw tokenNotFound(req.personalAccessTokenId);
          }
        },
        req.personalAccessTokenId,
      );
      return {};
    },
  };
}

const memberCaller = (caller: Caller) => orgMember(caller, UserService.name);

/** Methods about the caller as a user; service accounts have ServiceAccountService. */
function userCaller(caller: Caller): Caller {
  memberCaller(caller);
  if (caller.subject.principal !== Principal.USER) {
    throw new ConnectError(
      "the caller is a service account, not a user; see IdentityService.GetAuthenticatedIdentity and ServiceAccountService",
      Code.PermissionDenied,
    );
  }
  return caller;
}

/** The tokens the caller sees: its own, or every user's of the org for an org admin. */
function scopeOf(caller: Caller): MemberTokenScope {
  memberCaller(caller);
  return {
    organizationId: caller.organizationId,
    principal: "user",
    callerId: caller.subject.id,
    everyMember: caller.orgRole === "admin",
  };
}

function lifetimeMs(validFor: Duration | undefined): number {
  const ms = validFor ? durationMs(validFor) : 0;
  return ms > 0 ? ms : defaultPersonalAccessTokenLifetimeMs;
}

function userNotFound(id: string): ConnectError {
  return new ConnectError(`user ${id} not found`, Code.NotFound);
}

function tokenNotFound(id: string): ConnectError {
  return new ConnectError(`personal access token ${id} not found`, Code.NotFound);
}
