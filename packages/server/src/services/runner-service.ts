/**
 * gitpod.v1.RunnerService: runners, their tokens and policies (docs/runners.md). The
 * methods answered by the runner itself (ParseContextURL, CheckAuthenticationForHost, …)
 * are asked of it through the relay (docs/relay.md).
 */
import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import { RunnerKind, RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import {
  CheckAuthenticationForHostResponse_AuthenticationMethodOAuth2Schema,
  CheckAuthenticationForHostResponseSchema,
  type RunnerRole,
  type RunnerService,
} from "@runnerplane/api/gitpod/v1/runner_pb";
import { createAuditor } from "../audit/index.js";
import {
  authorizeRunner,
  type Caller,
  callerOf,
  readsRunnerSecrets,
  runnerNotFound,
  runnerRole,
  runnerSecretsReadableCondition,
  visibleRunnerCondition,
} from "../auth/index.js";
import type { Clock } from "../clock.js";
import { type KeyRing, sealForRunner } from "../crypto/index.js";
import type { Db, Sql } from "../db/index.js";
import { deletePolicy, insertPolicy, listPolicies, updatePolicy } from "../db/runner-policies.js";
import {
  activeRunnersForHost,
  type DbRunner,
  insertRunner,
  listRunners,
  markDeleting,
  type RunnerSettings,
  removeRunner,
  updateRunner,
} from "../db/runners.js";
import { issueExchangeToken, issueToken } from "../db/tokens.js";
import { alreadyExistsOnUniqueViolation } from "../errors/index.js";
import type { Logger } from "../logging/index.js";
import { type PageTokens, pageSizeOf, paginate } from "../pagination/index.js";
import { askRunner, type ExtensionRelay, type Relay, type RunnerNotifier, type RunnerRequest } from "../relay/index.js";
import { aliveSince } from "./liveness.js";
import { openMetricsPassword, sealMetricsPassword } from "./metrics-password.js";
import { roleToDb, toPolicy, toRunner } from "./runner-mapper.js";
import {
  checkDesiredPhaseChange,
  initialDesiredPhase,
  kindToDb,
  providerToDb,
  resolveKindAndProvider,
  resolveUpdateWindow,
} from "./runner-rules.js";
import { schemaOf } from "./runner-schema.js";
import { hostOfContextUrl, mintLoginLink, withLoginLink } from "./scm-oauth/index.js";

export interface RunnerServiceDeps {
  sql: Sql;
  clock: Clock;
  log: Logger;
  pageTokens: () => Promise<PageTokens>;
  relay: Relay;
  /** The extension lane: whether the runner speaks oauth-v1 (services/scm-oauth/). */
  extensionRelay: ExtensionRelay;
  notifier: RunnerNotifier;
  publicUrl: string;
  /** Encrypts the metrics password at rest (services/metrics-password.ts). */
  keyRing: KeyRing;
}

/** Logs tokens authorize reading one runner's logs for an hour. */
const logsTokenLifetimeMs = 60 * 60_000;

export function createRunnerService({
  sql,
  clock,
  log,
  pageTokens,
  relay,
  notifier,
  publicUrl,
  keyRing,
  extensionRelay,
}: RunnerServiceDeps): Partial<ServiceImpl<typeof RunnerService>> {
  const audited = createAuditor({ sql, clock });
  /** The runner as the caller may see it: secrets only where readsRunnerSecrets() says so. */
  const runnerFor = (row: DbRunner, readsSecrets: boolean, now: Date) =>
    toRunner(row, now, { metricsPassword: readsSecrets ? metricsPasswordOf(row) : "" });

  /**
   * A password that does not decrypt (its key was removed from the key ring, or the
   * ciphertext was altered or copied from another runner) reads as "" and is logged, rather
   * than failing the call: one such runner must not take every admin's ListRunners down.
   */
  const metricsPasswordOf = (row: DbRunner): string => {
    try {
      return openMetricsPassword(keyRing, row);
    } catch (error) {
      log.error("a runner's metrics password does not decrypt; it reads as empty until it is set again", {
        runner_id: row.id,
        key_id: row.metrics_password_key_id,
        error: (error as Error).message,
      });
      return "";
    }
  };

  /** A runner the caller may use (runner user or admin), asked on the caller's behalf. */
  const ask = async <C extends Parameters<typeof askRunner>[3]>(
    ctx: HandlerContext,
    runnerId: string,
    request: RunnerRequest,
    expected: C,
  ) => {
    await authorizeRunner(sql, callerOf(ctx), runnerId, { need: "user" });
    return askRunner(relay, runnerId.toLowerCase(), request, expected, ctx);
  };

  /**
   * ParseContextURL without a runner: an ACTIVE runner the caller may use that covers the
   * URL's host — by an SCM integration, or else by its schema's default hosts.
   */
  async function pickRunnerFor(caller: Caller, contextUrl: string): Promise<string> {
    const host = new URL(contextUrl).host.toLowerCase();
    const candidates = await activeRunnersForHost(sql, {
      organizationId: caller.organizationId,
      visibleRunners: visibleRunnerCondition(sql, caller),
      aliveSince: aliveSince(clock.now()),
      host,
    });
    for (const runner of candidates) {
      if (runner.has_integration) return runner.id;
      const schema = await schemaOf(sql, runner, publicUrl);
      if (schema.scm.some((scm) => scm.defaultHosts.includes(host))) return runner.id;
    }
    throw new ConnectError(
      `no active runner you can use handles ${host}; name a runner_id, or add an SCM integration for the host`,
      Code.FailedPrecondition,
    );
  }

  const loginLinks = { sql, clock, publicUrl, extensionRelay };

  return {
    // ── calls answered by the runner (docs/relay.md) ──
    async parseContextURL(req, ctx) {
      const caller = callerOf(ctx);
      const runnerId = req.runnerId || (await pickRunnerFor(caller, req.contextUrl));
      try {
        const answer = await ask(
          ctx,
          runnerId,
          { case: "callParseContext", value: { contextUrl: req.contextUrl, principalId: caller.subject.id } },
          "callParseContext",
        );
        return answer.resp ?? {};
      } catch (error) {
        // The runner says the caller must authenticate: give them a working OAuth link when there can be one.
        const host = hostOfContextUrl(req.contextUrl);
        if (host) await withLoginLink(error, () => mintLoginLink(loginLinks, caller, runnerId, host));
        throw error;
      }
    },

    async checkAuthenticationForHost(req, ctx) {
      const caller = callerOf(ctx);
      const answer = await ask(
        ctx,
        req.runnerId,
        { case: "callCheckAuthenticationForHost", value: { host: req.host, principalId: caller.subject.id } },
        "callCheckAuthenticationForHost",
      );
      const resp = answer.resp ?? create(CheckAuthenticationForHostResponseSchema);
      if (!resp.authenticated) {
        // No usable token (the runner refreshes first): an OAuth link when the host's integration has an
        // OAuth app and the runner speaks oauth-v1; the runner's PAT guidance otherwise (docs/scm-oauth.md).
        const link = await mintLoginLink(loginLinks, caller, req.runnerId, req.host);
        if (link) {
          resp.authenticationUrl = link;
          resp.supportsOauth2 = create(CheckAuthenticationForHostResponse_AuthenticationMethodOAuth2Schema, {
            authUrl: link,
            docsUrl: resp.supportsOauth2?.docsUrl ?? "",
          });
        } else if (caller.subject.principal === Principal.SERVICE_ACCOUNT) {
          // No browser session to follow a link with: the PAT guidance only (docs/scm-oauth.md).
          resp.supportsOauth2 = undefined;
        }
      }
      return resp;
    },

    async checkRepositoryAccess(req, ctx) {
      const answer = await ask(
        ctx,
        req.runnerId,
        {
          case: "callCheckRepositoryAccess",
          value: { repositoryUrl: req.repositoryUrl, principalId: callerOf(ctx).subject.id },
        },
        "callCheckRepositoryAccess",
      );
      return answer.resp ?? {};
    },

    /**
     * The runner is told the page size in both the deprecated `limit` and
     * `pagination.page_size`: `limit` when set, else `pagination.page_size`, else 25
     * (behaviour.md §7), so old and new runners alike search with the size asked for.
     */
    async searchRepositories(req, ctx) {
      const pageSize = req.limit || pageSizeOf(req.pagination);
      const answer = await ask(
        ctx,
        req.runnerId,
        {
          case: "callSearchRepositories",
          value: {
            principalId: callerOf(ctx).subject.id,
            searchString: req.searchString,
            limit: pageSize,
            pagination: { pageSize, token: req.pagination?.token ?? "" },
            scmHost: req.scmHost,
            searchMode: req.searchMode,
          },
        },
        "callSearchRepositories",
      );
      return {
        repositories: answer.repositories,
        ...(answer.pagination ? { pagination: answer.pagination } : {}),
        lastPage: answer.lastPage,
      };
    },

    async listSCMOrganizations(req, ctx) {
      const answer = await ask(
        ctx,
        req.runnerId,
        {
          case: "callListScmOrganizations",
          value: {
            principalId: callerOf(ctx).subject.id,
            scmHost: req.scmHost,
            query: req.query,
            ...(req.pagination ? { pagination: req.pagination } : {}),
          },
        },
        "callListScmOrganizations",
      );
      return { organizations: answer.organizations, ...(answer.pagination ? { pagination: answer.pagination } : {}) };
    },

    // ── runners ──
    async createRunner(req, ctx) {
      const caller = callerOf(ctx);
      if (caller.subject.principal === Principal.RUNNER) {
        throw new ConnectError("a runner may not create runners", Code.PermissionDenied);
      }
      const { kind, provider } = resolveKindAndProvider(req.kind, req.provider, req.runnerManagerId);
      if (kind !== "local" && caller.orgRole !== "admin") {
        throw new ConnectError(
          "only organization admins may create organization runners (kind REMOTE or LOCAL_CONFIGURATION)",
          Code.PermissionDenied,
        );
      }
      const config = req.spec?.configuration;
      const window = config?.updateWindow
        ? resolveUpdateWindow("spec.configuration.update_window", config.updateWindow)
        : undefined;
      const now = clock.now();
      // The id is settled here so the password's ciphertext can be bound to it.
      const id = randomUUID();
      const created = await audited(
        ctx,
        async (tx) => {
          const row = await insertRunner(tx, {
            id,
            organization_id: caller.organizationId,
            name: req.name,
            kind,
            provider,
            creator_id: caller.subject.id,
            creator_principal: caller.subject.principal === Principal.SERVICE_ACCOUNT ? "service_account" : "user",
            created_at: now,
            runner_manager_id: req.runnerManagerId || null,
            desired_phase: initialDesiredPhase(req.spec?.desiredPhase),
            variant: req.spec?.variant ?? 0,
            region: config?.region ?? "",
            release_channel: config?.releaseChannel || 1, // default STABLE
            auto_update: config?.autoUpdate ?? false,
            log_level: config?.logLevel || 2, // default INFO
            devcontainer_image_cache_enabled: config?.devcontainerImageCacheEnabled ?? false,
            update_window_start: window?.start ?? null,
            update_window_end: window?.end ?? null,
            encrypted_honeycomb_api_key: config?.encryptedHoneycombApiKey.length
              ? Buffer.from(config.encryptedHoneycombApiKey)
              : null,
            continuous_profiling: config?.continuousProfiling ?? false,
            metrics_enabled: config?.metrics?.enabled ?? false,
            metrics_url: config?.metrics?.url ?? "",
            metrics_username: config?.metrics?.username ?? "",
            ...sealMetricsPassword(keyRing, id, config?.metrics?.password ?? ""),
            metrics_managed: config?.metrics?.managedMetricsEnabled ?? false,
            metrics_verbose: config?.metrics?.includeVerboseMetrics ?? false,
          });
          const tokens = await runnerTokens(tx, caller.organizationId, row.id, now);
          return { row, ...tokens };
        },
        id,
      ).catch((error: unknown) => {
        if ((error as { constraint_name?: string }).constraint_name === "runners_one_local_configuration_idx") {
          throw new ConnectError("the organization already has a LOCAL_CONFIGURATION runner", Code.AlreadyExists);
        }
        throw error;
      });
      // The creator's role on its new runner (admin: org runners need an org admin, and a
      // user runner's creator administers it), by the one rule rather than assumed.
      const role = runnerRole(caller, {
        runnerId: id,
        organizationId: caller.organizationId,
        kind,
        creatorId: caller.subject.id,
        policyRoles: [],
      });
      return {
        runner: runnerFor(created.row, role !== undefined && readsRunnerSecrets(role), now),
        exchangeToken: created.exchangeToken,
        accessToken: created.accessToken,
      };
    },

    async getRunner(req, ctx) {
      const caller = callerOf(ctx);
      const { role, runner } = await authorizeRunner(sql, caller, req.runnerId, { need: "user", runnerItself: true });
      return { runner: runnerFor(runner, readsRunnerSecrets(role), clock.now()) };
    },

    async listRunners(req, ctx) {
      const caller = callerOf(ctx);
      const filter = {
        creatorIds: [...(req.filter?.creatorIds ?? [])].map((id) => id.toLowerCase()),
        kinds: (req.filter?.kinds ?? []).map((k) => kindToDb[k as keyof typeof kindToDb]).filter(Boolean),
        providers: (req.filter?.providers ?? [])
          .map((p) => providerToDb[p as keyof typeof providerToDb])
          .filter(Boolean),
      };
      if (
        req.filter?.kinds.includes(RunnerKind.UNSPECIFIED) ||
        req.filter?.providers.includes(RunnerProvider.UNSPECIFIED)
      ) {
        throw new ConnectError(
          "filter: RUNNER_KIND_UNSPECIFIED and RUNNER_PROVIDER_UNSPECIFIED match nothing; leave the list empty for no filter",
          Code.InvalidArgument,
        );
      }
      const page = await paginate({
        tokens: await pageTokens(),
        method: "gitpod.v1.RunnerService/ListRunners",
        filter,
        pagination: req.pagination,
        fetch: (after, limit) =>
          listRunners(sql, {
            organizationId: caller.organizationId,
            visibleRunners: visibleRunnerCondition(sql, caller),
            secretsReadable: runnerSecretsReadableCondition(sql, caller),
            creatorIds: filter.creatorIds,
            kinds: filter.kinds,
            providers: filter.providers,
            after,
            limit,
          }),
        cursorOf: (row) => ({ createdAt: row.created_at, id: row.id }),
      });
      const now = clock.now();
      return {
        runners: page.rows.map((row) => runnerFor(row, row.secrets_readable, now)),
        pagination: { nextToken: page.nextToken },
      };
    },

    async updateRunner(req, ctx) {
      const caller = callerOf(ctx);
      const { facts, runner } = await authorizeRunner(sql, caller, req.runnerId, { need: "admin" });
      const changes: RunnerSettings = {};
      if (req.name !== undefined) changes.name = req.name;
      const spec = req.spec;
      if (spec?.desiredPhase !== undefined) {
        checkDesiredPhaseChange(facts.kind, spec.desiredPhase);
        changes.desired_phase = spec.desiredPhase;
      }
      const c = spec?.configuration;
      if (c) {
        if (c.honeycombApiKey !== undefined) {
          changes.encrypted_honeycomb_api_key = await sealHoneycombKey(runner.public_key, c.honeycombApiKey);
        }
        // Absent: the stored password stays; "": removed; anything else: replaces it.
        if (c.metrics?.password !== undefined) {
          Object.assign(changes, sealMetricsPassword(keyRing, runner.id, c.metrics.password));
        }
        Object.assign(changes, {
          release_channel: c.releaseChannel,
          auto_update: c.autoUpdate,
          log_level: c.logLevel,
          devcontainer_image_cache_enabled: c.devcontainerImageCacheEnabled,
          continuous_profiling: c.continuousProfiling,
          metrics_enabled: c.metrics?.enabled,
          metrics_url: c.metrics?.url,
          metrics_username: c.metrics?.username,
          metrics_managed: c.metrics?.managedMetricsEnabled,
          metrics_verbose: c.metrics?.includeVerboseMetrics,
        } satisfies RunnerSettings);
        if (c.updateWindow) {
          const w = resolveUpdateWindow("spec.configuration.update_window", c.updateWindow);
          changes.update_window_start = w.start;
          changes.update_window_end = w.end;
        }
      }
      await audited(
        ctx,
        async (tx) => {
          if (!(await updateRunner(tx, caller.organizationId, req.runnerId, changes, clock.now()))) {
            // The runner vanished between authorization and the update (a concurrent delete).
            throw runnerNotFound(req.runnerId);
          }
        },
        runner.id,
      );
      await notifier.configurationChanged(req.runnerId.toLowerCase());
      return {};
    },

    async deleteRunner(req, ctx) {
      const caller = callerOf(ctx);
      const { role, runner } = await authorizeRunner(sql, caller, req.runnerId, { need: "admin", runnerItself: true });
      // The runner acknowledging (deleting itself), force, or a runner that never signed up: gone now.
      if (role === "runner" || req.force || !runner.signed_up_at) {
        await audited(ctx, (tx) => removeRunner(tx, caller.organizationId, req.runnerId), runner.id);
      } else {
        await audited(ctx, (tx) => markDeleting(tx, caller.organizationId, req.runnerId, clock.now()), runner.id);
        // Its desired phase is now DELETED: the runner should clean up and acknowledge.
        await notifier.configurationChanged(req.runnerId.toLowerCase());
      }
      return {};
    },

    async createRunnerToken(req, ctx) {
      const caller = callerOf(ctx);
      const { runner } = await authorizeRunner(sql, caller, req.runnerId, { need: "admin" });
      return audited(ctx, (tx) => runnerTokens(tx, caller.organizationId, req.runnerId, clock.now()), runner.id);
    },

    async createRunnerLogsToken(req, ctx) {
      const caller = callerOf(ctx);
      const { runner } = await authorizeRunner(sql, caller, req.runnerId, { need: "admin" });
      const now = clock.now();
      const { token } = await audited(
        ctx,
        (tx) =>
          issueToken(tx, {
            kind: "runner_logs",
            organizationId: caller.organizationId,
            subjectId: req.runnerId,
            principal: "runner",
            expiresAt: new Date(now.getTime() + logsTokenLifetimeMs),
            description: "logs",
          }),
        runner.id,
      );
      return { accessToken: token };
    },

    async listRunnerPolicies(req, ctx) {
      const caller = callerOf(ctx);
      await authorizeRunner(sql, caller, req.runnerId, { need: "admin" });
      const page = await paginate({
        tokens: await pageTokens(),
        method: "gitpod.v1.RunnerService/ListRunnerPolicies",
        filter: { runnerId: req.runnerId.toLowerCase() },
        pagination: req.pagination,
        fetch: (after, limit) => listPolicies(sql, req.runnerId, after, limit),
        cursorOf: (row) => ({ createdAt: row.created_at, id: row.group_id }),
      });
      return { policies: page.rows.map(toPolicy), pagination: { nextToken: page.nextToken } };
    },

    async createRunnerPolicy(req, ctx) {
      const role = policyRole(req.role);
      const caller = callerOf(ctx);
      const { facts } = await authorizeRunner(sql, caller, req.runnerId, { need: "admin" });
      if (facts.kind === "local") {
        throw new ConnectError(
          "only organization runners take policies; this is a user runner",
          Code.FailedPrecondition,
        );
      }
      const policy = await alreadyExistsOnUniqueViolation(
        audited(
          ctx,
          async (tx) => {
            const row = await insertPolicy(tx, {
              organizationId: caller.organizationId,
              runnerId: req.runnerId,
              groupId: req.groupId,
              role,
              now: clock.now(),
            });
            if (!row) throw new ConnectError(`group ${req.groupId} not found`, Code.NotFound);
            return row;
          },
          (row) => row.id,
        ),
        `the runner already has a policy for group ${req.groupId}`,
      );
      return { policy: toPolicy(policy) };
    },

    async updateRunnerPolicy(req, ctx) {
      const role = policyRole(req.role);
      const caller = callerOf(ctx);
      await authorizeRunner(sql, caller, req.runnerId, { need: "admin" });
      const policy = await audited(
        ctx,
        async (tx) => {
          const row = await updatePolicy(tx, req.runnerId, req.groupId, role);
          if (!row) throw policyNotFound(req.groupId);
          return row;
        },
        (row) => row.id,
      );
      return { policy: toPolicy(policy) };
    },

    async deleteRunnerPolicy(req, ctx) {
      const caller = callerOf(ctx);
      await authorizeRunner(sql, caller, req.runnerId, { need: "admin" });
      await audited(
        ctx,
        async (tx) => {
          const id = await deletePolicy(tx, req.runnerId, req.groupId);
          if (!id) throw policyNotFound(req.groupId);
          return id;
        },
        (id) => id,
      );
      return {};
    },
  };
}

/**
 * The Honeycomb API key is stored only sealed with the runner's public key (so only the
 * runner can read it); "" removes it. Without a public key there is nothing to seal for.
 */
async function sealHoneycombKey(publicKey: Buffer | null, key: string): Promise<Buffer | null> {
  if (key === "") return null;
  if (!publicKey) {
    throw new ConnectError(
      "spec.configuration.honeycomb_api_key: the runner has not signed up with a public key yet, so the key cannot be sealed for it",
      Code.FailedPrecondition,
    );
  }
  return Buffer.from(await sealForRunner(publicKey, key));
}

/** A fresh exchange token (24 h, one-time) and, for older runners, an access token. */
async function runnerTokens(tx: Db, organizationId: string, runnerId: string, now: Date) {
  const exchange = await issueExchangeToken(tx, { organizationId, runnerId }, now);
  const access = await issueToken(tx, {
    kind: "runner_access",
    organizationId,
    subjectId: runnerId,
    principal: "runner",
    expiresAt: null,
    description: "access (deprecated issuance)",
  });
  return { exchangeToken: exchange.token, accessToken: access.token };
}

function policyRole(role: RunnerRole) {
  const db = roleToDb[role];
  if (!db) throw new ConnectError("role: must be RUNNER_ROLE_ADMIN or RUNNER_ROLE_USER", Code.InvalidArgument);
  return db;
}

function policyNotFound(groupId: string): ConnectError {
  return new ConnectError(`the runner has no policy for group ${groupId}`, Code.NotFound);
}
