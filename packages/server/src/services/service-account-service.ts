/**
 * ServiceAccountService (behaviour.md §12): the org's service accounts and their tokens.
 * Tenancy as §2: another org's ids, users' ids and tokens the caller may not see are
 * `not_found`, indistinguishable from unknown ids. Members (users and service accounts) read;
 * org admins change. The token requests of the contract name no service account: they act on
 * the calling service account's own tokens, and an org admin sees and deletes every service
 * account's (docs/identity.md).
 */

import { type Duration, durationMs, timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import { ServiceAccountService } from "@runnerplane/api/gitpod/v1/service_account_pb";
import { createAuditor } from "../audit/index.js";
import { type Caller, callerOf, orgAdmin, orgMember } from "../auth/index.js";
import type { Clock } from "../clock.js";
import type { Sql } from "../db/index.js";
import {
  createServiceAccount,
  deleteServiceAccount,
  findServiceAccount,
  listServiceAccounts,
  updateServiceAccount,
} from "../db/service-accounts.js";
import {
  findMemberToken,
  issueToken,
  listMemberTokens,
  type MemberTokenScope,
  revokeMemberToken,
} from "../db/tokens.js";
import { type PageTokens, paginate } from "../pagination/index.js";
import { toServiceAccount, toServiceAccountToken } from "./service-account-mapper.js";

export interface ServiceAccountServiceDeps {
  sql: Sql;
  clock: Clock;
  pageTokens: () => Promise<PageTokens>;
}

export function createServiceAccountService({
  sql,
  clock,
  pageTokens,
}: ServiceAccountServiceDeps): Partial<ServiceImpl<typeof ServiceAccountService>> {
  const audited = createAuditor({ sql, clock });
  return {
    async createServiceAccount(req, ctx) {
      const caller = adminCaller(callerOf(ctx));
      // `valid_until` is required by the field rules; a validity already over is no validity.
      const validUntil = timestampDate(req.validUntil as NonNullable<typeof req.validUntil>);
      if (validUntil.getTime() <= clock.now().getTime()) {
        throw new ConnectError("valid_until: must be in the future", Code.InvalidArgument);
      }
      const row = await audited(
        ctx,
        (tx) =>
          createServiceAccount(tx, {
            organizationId: caller.organizationId,
            name: req.name,
            description: req.description,
            creator: { id: caller.subject.id, principal: memberPrincipal(caller) },
            validUntil,
          }),
        (created) => created.id,
      );
      return { serviceAccount: toServiceAccount(row) };
    },

    async listServiceAccounts(req, ctx) {
      const caller = memberCaller(callerOf(ctx));
      const filter = {
        includeSuspended: req.filter?.includeSuspended ?? false,
        ids: [...new Set((req.filter?.serviceAccountIds ?? []).map((id) => id.toLowerCase()))].sort(),
        search: req.filter?.search ?? "",
      };
      const page = await paginate({
        tokens: await pageTokens(),
        method: "gitpod.v1.ServiceAccountService/ListServiceAccounts",
        filter,
        pagination: req.pagination,
        fetch: (after, limit) =>
          listServiceAccounts(sql, { ...filter, organizationId: caller.organizationId, after, limit }),
        cursorOf: (row) => ({ createdAt: row.created_at, id: row.id }),
      });
      return { serviceAccounts: page.rows.map(toServiceAccount), pagination: { nextToken: page.nextToken } };
    },

    async getServiceAccount(req, ctx) {
      const caller = memberCaller(callerOf(ctx));
      const row = await findServiceAccount(sql, caller.organizationId, req.serviceAccountId);
      if (!row) throw serviceAccountNotFound(req.serviceAccountId);
      return { serviceAccount: toServiceAccount(row) };
    },

    async updateServiceAccount(req, ctx) {
      const caller = await visibleForChange(callerOf(ctx), req.serviceAccountId);
      const row = await audited(
        ctx,
        async (tx) => {
          const updated = await updateServiceAccount(tx, caller.organizationId, req.serviceAccountId, {
            name: req.name,
            description: req.description,
          });
          if (!updated) throw serviceAccountNotFound(req.serviceAccountId);
          return updated;
        },
        req.serviceAccountId,
      );
      return { serviceAccount: toServiceAccount(row) };
    },

    async deleteServiceAccount(req, ctx) {
      const caller = await visibleForChange(callerOf(ctx), req.serviceAccountId);
      await audited(
        ctx,
        async (tx) => {
          if (!(await deleteServiceAccount(tx, caller.organizationId, req.serviceAccountId))) {
            throw serviceAccountNotFound(req.serviceAccountId);
          }
        },
        req.serviceAccountId,
      );
      return {};
    },

    /**
     * An org admin gets an access token for a service account of the org (the first token of
     * an account made over the API). It lasts as long as the account (`valid_until`); the
     * request names no lifetime.
     */
    async createServiceAccountAccessToken(req, ctx) {
      const caller = await visibleForChange(callerOf(ctx), req.serviceAccountId);
      const { token } = await audited(
        ctx,
        async (tx) => {
          const account = await findServiceAccount(tx, caller.organizationId, req.serviceAccountId);
          if (!account) throw serviceAccountNotFound(req.serviceAccountId);
          const expiresAt = tokenExpiry(clock.now(), undefined, account.valid_until);
          if (expiresAt && expiresAt.getTime() <= clock.now().getTime()) {
            throw new ConnectError("the service account is no longer valid (valid_until)", Code.FailedPrecondition);
          }
          const issued = await issueToken(tx, {
            kind: "personal_access",
            organizationId: caller.organizationId,
            subjectId: account.id,
            principal: "service_account",
            expiresAt,
            description: "",
          });
          return { id: issued.row.id, token: issued.token };
        },
        (issued) => issued.id,
      );
      return { token };
    },

    async createServiceAccountToken(req, ctx) {
      const caller = memberCaller(callerOf(ctx));
      if (caller.subject.principal !== Principal.SERVICE_ACCOUNT) {
        throw new ConnectError(
          "a service account token is created by the service account itself; users have UserService.CreatePersonalAccessToken",
          Code.PermissionDenied,
        );
      }
      const account = await findServiceAccount(sql, caller.organizationId, caller.subject.id);
      // Authentication has just found the member; only a concurrent removal gets here.
      if (!account) throw serviceAccountNotFound(caller.subject.id);
      const now = clock.now();
      const expiresAt = tokenExpiry(now, req.validFor, account.valid_until);
      if (expiresAt && expiresAt.getTime() <= now.getTime()) {
        throw new ConnectError("the service account is no longer valid (valid_until)", Code.FailedPrecondition);
      }
      const { row, token } = await audited(
        ctx,
        (tx) =>
          issueToken(tx, {
            kind: "personal_access",
            organizationId: caller.organizationId,
            subjectId: caller.subject.id,
            principal: "service_account",
            expiresAt,
            description: req.description,
          }),
        (issued) => issued.row.id,
      );
      return { token, serviceAccountToken: toServiceAccountToken(row) };
    },

    async listServiceAccountTokens(req, ctx) {
      const scope = scopeOf(callerOf(ctx));
      const page = await paginate({
        tokens: await pageTokens(),
        method: "gitpod.v1.ServiceAccountService/ListServiceAccountTokens",
        filter: {},
        pagination: req.pagination,
        fetch: (after, limit) => listMemberTokens(sql, { ...scope, after, limit }),
        cursorOf: (row) => ({ createdAt: row.created_at, id: row.id }),
      });
      return { tokens: page.rows.map(toServiceAccountToken), pagination: { nextToken: page.nextToken } };
    },

    async getServiceAccountToken(req, ctx) {
      const row = await findMemberToken(sql, scopeOf(callerOf(ctx)), req.serviceAccountTokenId);
      if (!row) throw tokenNotFound(req.serviceAccountTokenId);
      return { token: toServiceAccountToken(row) };
    },

    async deleteServiceAccountToken(req, ctx) {
      const scope = scopeOf(callerOf(ctx));
      await audited(
        ctx,
        async (tx) => {
          if (!(await revokeMemberToken(tx, scope, req.serviceAccountTokenId, clock.now()))) {
            throw tokenNotFound(req.serviceAccountTokenId);
          }
        },
        req.serviceAccountTokenId,
      );
      return {};
    },
  };

  /** Who the caller can see comes first (not_found), then whether it may change it. */
  async function visibleForChange(caller: Caller, id: string): Promise<Caller> {
    memberCaller(caller);
    if (!(await findServiceAccount(sql, caller.organizationId, id))) throw serviceAccountNotFound(id);
    return adminCaller(caller);
  }
}

const memberCaller = (caller: Caller) => orgMember(caller, ServiceAccountService.name);
const adminCaller = (caller: Caller) =>
  orgAdmin(caller, ServiceAccountService.name, "create, change or delete service accounts");

function memberPrincipal(caller: Caller): "user" | "service_account" {
  return caller.subject.principal === Principal.SERVICE_ACCOUNT ? "service_account" : "user";
}

/** The tokens the caller sees: a service account's own, or every service account's for an org admin. */
function scopeOf(caller: Caller): MemberTokenScope {
  memberCaller(caller);
  return {
    organizationId: caller.organizationId,
    principal: "service_account",
    callerId: caller.subject.id,
    everyMember: caller.orgRole === "admin",
  };
}

/**
 * `valid_for` absent or 0s: no expiry of its own ("optional expiry", behaviour.md §12). Either
 * way a token never outlives its service account's `valid_until`.
 */
export function tokenExpiry(now: Date, validFor: Duration | undefined, validUntil: Date | null): Date | null {
  const ms = validFor ? durationMs(validFor) : 0;
  const own = ms > 0 ? new Date(now.getTime() + ms) : null;
  if (!validUntil) return own;
  return own && own.getTime() < validUntil.getTime() ? own : validUntil;
}

function serviceAccountNotFound(id: string): ConnectError {
  return new ConnectError(`service account ${id} not found`, Code.NotFound);
}

function tokenNotFound(id: string): ConnectError {
  return new ConnectError(`service account token ${id} not found`, Code.NotFound);
}
