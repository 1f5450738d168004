import { Code, ConnectError } from "@connectrpc/connect";
import { HostAuthenticationTokenSource } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { createAuditor } from "../../audit/index.js";
import { authorizeRunner, callerOf, visibleRunnerCondition } from "../../auth/index.js";
import { deleteHostTokensOf } from "../../db/host-tokens.js";
import {
  deleteScmIntegration,
  findScmIntegration,
  insertScmIntegration,
  listScmIntegrations,
  type ScmIntegrationColumns,
  updateScmIntegration,
} from "../../db/scm-integrations.js";
import { alreadyExistsOnUniqueViolation } from "../../errors/index.js";
import { paginate } from "../../pagination/index.js";
import { toScmIntegration } from "../configuration-mapper.js";
import { schemaOf } from "../runner-schema.js";
import { checkScmIntegration, hasErrors } from "../scm-integration-check.js";
import {
  authorizeVia,
  type RunnerConfigurationMethods,
  type RunnerConfigurationServiceDeps,
  sealRunnerSecret,
} from "./shared.js";

/** SCM integrations: a runner's OAuth client and PAT settings per SCM host. */
export function scmIntegrationMethods(
  deps: RunnerConfigurationServiceDeps,
): RunnerConfigurationMethods<
  "createSCMIntegration" | "getSCMIntegration" | "listSCMIntegrations" | "updateSCMIntegration" | "deleteSCMIntegration"
> {
  const { sql, clock, pageTokens, publicUrl, notifier } = deps;
  const audited = createAuditor({ sql, clock });

  return {
    // ── SCM integrations ───────────────────────────────────────────────────────────────
    async createSCMIntegration(req, ctx) {
      const caller = callerOf(ctx);
      const { runner } = await authorizeRunner(sql, caller, req.runnerId, { need: "admin" });
      const host = req.host.toLowerCase();
      const errors = checkScmIntegration(
        {
          scmId: req.scmId,
          host,
          oauthClientId: req.oauthClientId,
          hasSecret: (req.oauthPlaintextClientSecret ?? "") !== "",
          pat: req.pat,
          virtualDirectory: req.virtualDirectory,
        },
        await schemaOf(sql, runner, publicUrl),
      );
      if (hasErrors(errors)) throw scmErrors(errors);
      const sealed = req.oauthPlaintextClientSecret
        ? await sealRunnerSecret(runner.public_key, req.oauthPlaintextClientSecret, "OAuth client secret")
        : null;
      const row = await alreadyExistsOnUniqueViolation(
        audited(
          ctx,
          (tx) =>
            insertScmIntegration(tx, {
              runnerId: runner.id,
              organizationId: caller.organizationId,
              scmId: req.scmId,
              host,
              now: clock.now(),
              oauth_client_id: req.oauthClientId || null,
              oauth_encrypted_client_secret: sealed,
              // An issuer belongs to an OAuth configuration; without one it is dropped.
              issuer_url: req.oauthClientId ? req.issuerUrl || null : null,
              pat: req.pat,
              virtual_directory: req.virtualDirectory || null,
            }),
          (created) => created.id,
        ),
        `the runner already has an SCM integration for host ${host}`,
      );
      await notifier.scmIntegrationChanged(row.runner_id, row.id);
      return { id: row.id };
    },

    async getSCMIntegration(req, ctx) {
      const caller = callerOf(ctx);
      const notFound = scmIntegrationNotFound(req.id);
      const row = await findScmIntegration(sql, caller.organizationId, req.id);
      if (!row) throw notFound;
      await authorizeVia(sql, caller, row.runner_id, "user", notFound);
      return { integration: toScmIntegration(row) };
    },

    async listSCMIntegrations(req, ctx) {
      const caller = callerOf(ctx);
      const filter = { runnerIds: (req.filter?.runnerIds ?? []).map((id) => id.toLowerCase()) };
      const page = await paginate({
        tokens: await pageTokens(),
        method: "gitpod.v1.RunnerConfigurationService/ListSCMIntegrations",
        filter,
        pagination: req.pagination,
        fetch: (after, limit) =>
          listScmIntegrations(sql, {
            organizationId: caller.organizationId,
            visibleRunners: visibleRunnerCondition(sql, caller),
            runnerIds: filter.runnerIds,
            after,
            limit,
          }),
        cursorOf: (row) => ({ createdAt: row.created_at, id: row.id }),
      });
      return { integrations: page.rows.map(toScmIntegration), pagination: { nextToken: page.nextToken } };
    },

    async updateSCMIntegration(req, ctx) {
      const caller = callerOf(ctx);
      const notFound = scmIntegrationNotFound(req.id);
      const existing = await findScmIntegration(sql, caller.organizationId, req.id);
      if (!existing) throw notFound;
      const { runner } = await authorizeVia(sql, caller, existing.runner_id, "admin", notFound);
      // Sealing needs no lock; do it before the transaction.
      const secret = req.oauthPlaintextClientSecret;
      if (secret === "") {
        throw new ConnectError("oauth_plaintext_client_secret: must not be empty when given", Code.InvalidArgument);
      }
      // A secret sent along with `oauth_client_id = ""` is discarded with the OAuth configuration.
      const sealed =
        secret !== undefined && req.oauthClientId !== ""
          ? await sealRunnerSecret(runner.public_key, secret, "OAuth client secret")
          : undefined;
      const deleted = await audited(
        ctx,
        async (tx) => {
          const removedTokens: { subject_id: string; host: string }[] = [];
          const current = await findScmIntegration(tx, caller.organizationId, req.id, { forUpdate: true });
          if (!current) throw notFound;
          const set: ScmIntegrationColumns = {};
          if (req.oauthClientId === "") {
            // OAuth off: the client goes, and so do the OAuth tokens users got through it.
            Object.assign(set, { oauth_client_id: null, oauth_encrypted_client_secret: null, issuer_url: null });
            removedTokens.push(
              ...(await deleteHostTokensOf(tx, current.runner_id, current.host, HostAuthenticationTokenSource.OAUTH)),
            );
          } else if (req.oauthClientId !== undefined) {
            set.oauth_client_id = req.oauthClientId;
          }
          if (sealed && req.oauthClientId !== "") set.oauth_encrypted_client_secret = Buffer.from(sealed);
          if (req.issuerUrl !== undefined && req.oauthClientId !== "") set.issuer_url = req.issuerUrl || null;
          if (req.pat !== undefined) {
            set.pat = req.pat;
            if (!req.pat)
              removedTokens.push(
                ...(await deleteHostTokensOf(tx, current.runner_id, current.host, HostAuthenticationTokenSource.PAT)),
              );
          }
          if (req.virtualDirectory !== undefined) {
            if (req.virtualDirectory !== "" && current.scm_id !== "azuredevops") {
              throw new ConnectError("virtual_directory: only for azuredevops integrations", Code.InvalidArgument);
            }
            set.virtual_directory = req.virtualDirectory || null;
          }
          const clientId = set.oauth_client_id !== undefined ? set.oauth_client_id : current.oauth_client_id;
          const hasSecret =
            set.oauth_encrypted_client_secret !== undefined
              ? set.oauth_encrypted_client_secret !== null
              : current.oauth_encrypted_client_secret !== null;
          if (clientId === null) set.issuer_url = null;
          if ((clientId !== null) !== hasSecret) {
            throw new ConnectError(
              "oauth_client_id and oauth_plaintext_client_secret go together: a new client id needs its secret",
              Code.InvalidArgument,
            );
          }
          await updateScmIntegration(tx, current.id, set, clock.now());
          return removedTokens;
        },
        existing.id,
      );
      await notifier.hostTokensDeleted(existing.runner_id, deleted);
      await notifier.scmIntegrationChanged(existing.runner_id, existing.id);
      return {};
    },

    async deleteSCMIntegration(req, ctx) {
      const caller = callerOf(ctx);
      const notFound = scmIntegrationNotFound(req.id);
      const existing = await findScmIntegration(sql, caller.organizationId, req.id);
      if (!existing) throw notFound;
      await authorizeVia(sql, caller, existing.runner_id, "admin", notFound);
      const deleted = await audited(
        ctx,
        async (tx) => {
          const removedTokens = await deleteHostTokensOf(tx, existing.runner_id, existing.host);
          if (!(await deleteScmIntegration(tx, existing.id))) throw notFound;
          return removedTokens;
        },
        existing.id,
      );
      await notifier.hostTokensDeleted(existing.runner_id, deleted);
      await notifier.scmIntegrationChanged(existing.runner_id, existing.id);
      return {};
    },
  };
}

function scmErrors(errors: ReturnType<typeof checkScmIntegration>): ConnectError {
  const parts = [
    errors.scmIdError && `scm_id: ${errors.scmIdError}`,
    errors.hostError && `host: ${errors.hostError}`,
    errors.oauthError && `oauth: ${errors.oauthError}`,
    errors.patError && `pat: ${errors.patError}`,
  ].filter(Boolean);
  return new ConnectError(parts.join("; "), Code.InvalidArgument);
}

function scmIntegrationNotFound(id: string): ConnectError {
  return new ConnectError(`SCM integration ${id} not found`, Code.NotFound);
}
