import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import { HostAuthenticationTokenSource } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { createAuditor } from "../../audit/index.js";
import { administeredRunnerCondition, authorizeRunner, type Caller, callerOf } from "../../auth/index.js";
import {
  type DbHostToken,
  deleteHostToken,
  findHostToken,
  type HostTokenSource,
  listHostTokens,
  updateHostToken,
  upsertHostToken,
} from "../../db/host-tokens.js";
import type { Db } from "../../db/index.js";
import { findMember } from "../../db/members.js";
import { findScmIntegration } from "../../db/scm-integrations.js";
import { paginate } from "../../pagination/index.js";
import { toHostToken } from "../configuration-mapper.js";
import { authorizeVia, type RunnerConfigurationMethods, type RunnerConfigurationServiceDeps } from "./shared.js";

/** Associated data binding a host token's ciphertexts to their row and column. */
export const hostTokenContext = (id: string, column: "token" | "refresh_token") => `host-token:${id}:${column}`;

/** Host authentication tokens: users' (and service accounts') credentials for SCM hosts. */
export function hostTokenMethods(
  deps: RunnerConfigurationServiceDeps,
): RunnerConfigurationMethods<
  | "createHostAuthenticationToken"
  | "getHostAuthenticationToken"
  | "listHostAuthenticationTokens"
  | "updateHostAuthenticationToken"
  | "deleteHostAuthenticationToken"
> {
  const { sql, clock, pageTokens, keyRing, notifier } = deps;
  const audited = createAuditor({ sql, clock });

  return {
    // ── host authentication tokens ─────────────────────────────────────────────────────
    async createHostAuthenticationToken(req, ctx) {
      const caller = callerOf(ctx);
      if (req.source !== HostAuthenticationTokenSource.OAUTH && req.source !== HostAuthenticationTokenSource.PAT) {
        throw new ConnectError("source: must be HOST_AUTHENTICATION_TOKEN_SOURCE_OAUTH or _PAT", Code.InvalidArgument);
      }
      if (req.scopes.length > 100) {
        throw new ConnectError("scopes: at most 100 scopes", Code.InvalidArgument);
      }
      const { role } = await authorizeRunner(sql, caller, req.runnerId, { need: "user", runnerItself: true });
      const subject = await resolveSubject(sql, caller, req.subject, req.userId);
      if (subject.id !== caller.subject.id && role !== "admin" && role !== "runner") {
        throw new ConnectError(
          "creating a host token for another subject needs the runner admin role",
          Code.PermissionDenied,
        );
      }
      const host = req.host.toLowerCase();
      if (req.integrationId) {
        const integration = await findScmIntegration(sql, caller.organizationId, req.integrationId);
        if (!integration || integration.runner_id !== req.runnerId.toLowerCase() || integration.host !== host) {
          throw new ConnectError(
            `integration_id: ${req.integrationId} is not an SCM integration of this runner for host ${host}`,
            Code.InvalidArgument,
          );
        }
      }
      const row = await audited(
        ctx,
        (tx) =>
          upsertHostToken(tx, {
            runnerId: req.runnerId,
            organizationId: caller.organizationId,
            subjectId: subject.id,
            subjectPrincipal: subject.principal,
            host,
            source: req.source as HostTokenSource,
            expiresAt: req.expiresAt ? timestampDate(req.expiresAt) : null,
            integrationId: req.integrationId || null,
            scopes: req.scopes,
            now: clock.now(),
            encrypt: (id) => {
              const token = keyRing.encrypt(req.token, hostTokenContext(id, "token"));
              const refresh = req.refreshToken
                ? keyRing.encrypt(req.refreshToken, hostTokenContext(id, "refresh_token"))
                : null;
              return { keyId: token.keyId, token: token.ciphertext, refreshToken: refresh?.ciphertext ?? null };
            },
          }),
        (stored) => stored.id,
      );
      return { token: toHostToken(row) };
    },

    async getHostAuthenticationToken(req, ctx) {
      const caller = callerOf(ctx);
      const row = await visibleHostToken(caller, req.id, "see");
      return { token: toHostToken(row) };
    },

    async listHostAuthenticationTokens(req, ctx) {
      const caller = callerOf(ctx);
      const f = req.filter;
      const filter = {
        runnerId: f?.runnerId?.toLowerCase(),
        subjectId: (f?.subjectId ?? f?.userId)?.toLowerCase(),
      };
      const page = await paginate({
        tokens: await pageTokens(),
        method: "gitpod.v1.RunnerConfigurationService/ListHostAuthenticationTokens",
        filter,
        pagination: req.pagination,
        fetch: (after, limit) =>
          listHostTokens(sql, {
            organizationId: caller.organizationId,
            subjectId: caller.subject.id,
            administeredRunners: administeredRunnerCondition(sql, caller),
            runnerId: filter.runnerId,
            filterSubjectId: filter.subjectId,
            after,
            limit,
          }),
        cursorOf: (row) => ({ createdAt: row.created_at, id: row.id }),
      });
      return { tokens: page.rows.map(toHostToken), pagination: { nextToken: page.nextToken } };
    },

    async updateHostAuthenticationToken(req, ctx) {
      const caller = callerOf(ctx);
      if (req.scopes.length > 100) throw new ConnectError("scopes: at most 100 scopes", Code.InvalidArgument);
      await visibleHostToken(caller, req.id, "update");
      await audited(
        ctx,
        async (tx) => {
          const row = await findHostToken(tx, caller.organizationId, req.id, { forUpdate: true });
          if (!row) throw hostTokenNotFound(req.id);
          const set: Parameters<typeof updateHostToken>[2] = {};
          if (req.expiresAt !== undefined) set.expires_at = timestampDate(req.expiresAt);
          if (req.scopes.length > 0) set.scopes = req.scopes;
          if (req.token !== undefined || req.refreshToken !== undefined || row.key_id !== keyRing.activeKeyId) {
            // Values are re-encrypted together, so the row keeps one key id.
            const token =
              req.token ?? keyRing.decrypt(row.key_id, row.token_ciphertext, hostTokenContext(row.id, "token"));
            const refresh =
              req.refreshToken ??
              (row.refresh_token_ciphertext
                ? keyRing.decrypt(row.key_id, row.refresh_token_ciphertext, hostTokenContext(row.id, "refresh_token"))
                : "");
            const sealedToken = keyRing.encrypt(token, hostTokenContext(row.id, "token"));
            set.token_ciphertext = sealedToken.ciphertext;
            set.key_id = sealedToken.keyId;
            set.refresh_token_ciphertext = refresh
              ? keyRing.encrypt(refresh, hostTokenContext(row.id, "refresh_token")).ciphertext
              : null;
          }
          await updateHostToken(tx, row.id, set, clock.now());
        },
        req.id,
      );
      return {};
    },

    async deleteHostAuthenticationToken(req, ctx) {
      const caller = callerOf(ctx);
      await visibleHostToken(caller, req.id, "delete");
      const deleted = await audited(
        ctx,
        async (tx) => {
          const row = await deleteHostToken(tx, req.id);
          if (!row) throw hostTokenNotFound(req.id);
          return row;
        },
        req.id,
      );
      await notifier.hostTokensDeleted(deleted.runner_id, [deleted]);
      return {};
    },
  };

  /**
   * A host token the caller may act on. Its own: see, update, delete. Runner admins: see
   * and delete others' tokens on their runner, not update them. The runner itself: update
   * (refresh) the tokens of its runner. Anyone else: not found.
   */
  async function visibleHostToken(
    caller: Caller,
    id: string,
    action: "see" | "update" | "delete",
  ): Promise<DbHostToken> {
    const notFound = hostTokenNotFound(id);
    const row = await findHostToken(sql, caller.organizationId, id);
    if (!row) throw notFound;
    if (row.subject_id === caller.subject.id) return row;
    const { role } = await authorizeVia(sql, caller, row.runner_id, "user", notFound);
    // The runner itself keeps the tokens of its own runner fresh (OAuth refresh, docs/scm-oauth.md).
    if (role === "runner" && action === "update") return row;
    if (role !== "admin") throw notFound;
    if (action === "update") {
      throw new ConnectError(
        "only the token's subject may update it; runner admins may delete it",
        Code.PermissionDenied,
      );
    }
    return row;
  }
}

/** subject (or the deprecated user_id) must be a member of the caller's org; default: the caller. */
async function resolveSubject(
  sql: Db,
  caller: Caller,
  subject: { id: string; principal: Principal } | undefined,
  userId: string,
): Promise<{ id: string; principal: "user" | "service_account" }> {
  const id = subject?.id || userId;
  if (!id) {
    if (caller.subject.principal === Principal.RUNNER) {
      throw new ConnectError(
        "subject: required when a runner creates a token (whose token is it?)",
        Code.InvalidArgument,
      );
    }
    return {
      id: caller.subject.id,
      principal: caller.subject.principal === Principal.SERVICE_ACCOUNT ? "service_account" : "user",
    };
  }
  const member = await findMember(sql, id);
  if (!member || member.organization_id !== caller.organizationId) {
    throw new ConnectError(`subject ${id} not found`, Code.NotFound);
  }
  const principal = subject?.principal ?? Principal.UNSPECIFIED;
  const expected = member.kind === "service_account" ? Principal.SERVICE_ACCOUNT : Principal.USER;
  if (principal !== Principal.UNSPECIFIED && principal !== expected) {
    throw new ConnectError(`subject.principal: ${id} is a ${member.kind.replace("_", " ")}`, Code.InvalidArgument);
  }
  if (!subject?.id && member.kind !== "user") {
    throw new ConnectError("user_id: names a service account; use subject instead", Code.InvalidArgument);
  }
  return { id: member.id, principal: member.kind };
}

function hostTokenNotFound(id: string): ConnectError {
  return new ConnectError(`host authentication token ${id} not found`, Code.NotFound);
}
