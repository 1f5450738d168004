/**
 * gitpod.v1.RunnerConfigurationService (behaviour.md §5, docs/configuration.md): environment
 * classes, the configuration schema, SCM integrations, host authentication tokens and
 * ValidateRunnerConfiguration.
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import {
  HostAuthenticationTokenSource,
  type RunnerConfigurationService,
  RunnerKind,
  RunnerProvider,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import {
  administeredRunnerCondition,
  authorizeRunner,
  type Caller,
  callerOf,
  visibleRunnerCondition,
} from "../auth/index.js";
import type { Clock } from "../clock.js";
import { type KeyRing, sealForRunner } from "../crypto/index.js";
import {
  findEnvironmentClass,
  insertEnvironmentClass,
  listEnvironmentClasses,
  updateEnvironmentClass,
} from "../db/environment-classes.js";
import {
  type DbHostToken,
  deleteHostToken,
  deleteHostTokensOf,
  findHostToken,
  type HostTokenSource,
  listHostTokens,
  updateHostToken,
  upsertHostToken,
} from "../db/host-tokens.js";
import type { Db, Sql } from "../db/index.js";
import { findMember } from "../db/members.js";
import { findRunner } from "../db/runners.js";
import {
  deleteScmIntegration,
  findScmIntegration,
  findScmIntegrationByHost,
  insertScmIntegration,
  listScmIntegrations,
  type ScmIntegrationColumns,
  updateScmIntegration,
} from "../db/scm-integrations.js";
import { type PageTokens, paginate } from "../pagination/index.js";
import { validationError } from "../validation/index.js";
import { checkConfiguration } from "./configuration-check.js";
import { toEnvironmentClass, toHostToken, toScmIntegration } from "./configuration-mapper.js";
import { kindToDb, providerToDb } from "./runner-rules.js";
import { schemaOf } from "./runner-schema.js";
import { checkScmIntegration, hasErrors } from "./scm-integration-check.js";

export interface RunnerConfigurationServiceDeps {
  sql: Sql;
  clock: Clock;
  pageTokens: () => Promise<PageTokens>;
  keyRing: KeyRing;
  publicUrl: string;
}

/** Associated data binding a host token's ciphertexts to their row and column. */
export const hostTokenContext = (id: string, column: "token" | "refresh_token") => `host-token:${id}:${column}`;

export function createRunnerConfigurationService(
  deps: RunnerConfigurationServiceDeps,
): Partial<ServiceImpl<typeof RunnerConfigurationService>> {
  const { sql, clock, pageTokens, keyRing, publicUrl } = deps;

  /** The runner row, once authorization passed (a concurrent delete makes it vanish). */
  const runnerRow = async (caller: Caller, runnerId: string) => {
    const runner = await findRunner(sql, caller.organizationId, runnerId);
    if (!runner) throw new ConnectError(`runner ${runnerId} not found`, Code.NotFound);
    return runner;
  };

  /** Authorization on the runner a resource belongs to; a resource on an invisible runner is itself not found. */
  const authorizeVia = async (caller: Caller, runnerId: string, need: "user" | "admin", notFound: ConnectError) => {
    try {
      return await authorizeRunner(sql, caller, runnerId, { need, runnerItself: need === "user" });
    } catch (error) {
      throw ConnectError.from(error).code === Code.NotFound ? notFound : error;
    }
  };

  return {
    // ── environment classes ────────────────────────────────────────────────────────────
    async createEnvironmentClass(req, ctx) {
      const caller = callerOf(ctx);
      await authorizeRunner(sql, caller, req.runnerId, { need: "admin" });
      const runner = await runnerRow(caller, req.runnerId);
      assertConfiguration(checkConfiguration(await schemaOf(sql, runner, publicUrl), req.configuration));
      const row = await insertEnvironmentClass(sql, {
        runnerId: runner.id,
        organizationId: caller.organizationId,
        displayName: req.displayName,
        description: req.description,
        configuration: req.configuration.map(({ key, value }) => ({ key, value })),
        now: clock.now(),
      });
      return { id: row.id };
    },

    async getEnvironmentClass(req, ctx) {
      const caller = callerOf(ctx);
      const notFound = environmentClassNotFound(req.environmentClassId);
      const row = await findEnvironmentClass(sql, caller.organizationId, req.environmentClassId);
      if (!row) throw notFound;
      await authorizeVia(caller, row.runner_id, "user", notFound);
      return { environmentClass: toEnvironmentClass(row) };
    },

    async listEnvironmentClasses(req, ctx) {
      const caller = callerOf(ctx);
      const f = req.filter;
      const filter = {
        runnerIds: (f?.runnerIds ?? []).map((id) => id.toLowerCase()),
        enabled: f?.canCreateEnvironments ? true : f?.enabled,
        runnerKinds: knownValues("filter.runner_kinds", f?.runnerKinds ?? [], kindToDb, RunnerKind),
        runnerProviders: knownValues("filter.runner_providers", f?.runnerProviders ?? [], providerToDb, RunnerProvider),
        activeRunnersOnly: f?.canCreateEnvironments === true,
      };
      const page = await paginate({
        tokens: await pageTokens(),
        method: "gitpod.v1.RunnerConfigurationService/ListEnvironmentClasses",
        filter,
        pagination: req.pagination,
        fetch: (after, limit) =>
          listEnvironmentClasses(sql, {
            organizationId: caller.organizationId,
            visibleRunners: visibleRunnerCondition(sql, caller),
            ...filter,
            after,
            limit,
          }),
        cursorOf: (row) => ({ createdAt: row.created_at, id: row.id }),
      });
      return { environmentClasses: page.rows.map(toEnvironmentClass), pagination: { nextToken: page.nextToken } };
    },

    async updateEnvironmentClass(req, ctx) {
      const caller = callerOf(ctx);
      const notFound = environmentClassNotFound(req.environmentClassId);
      const row = await findEnvironmentClass(sql, caller.organizationId, req.environmentClassId);
      if (!row) throw notFound;
      await authorizeVia(caller, row.runner_id, "admin", notFound);
      const changed = await updateEnvironmentClass(
        sql,
        row.id,
        { display_name: req.displayName, description: req.description, enabled: req.enabled },
        clock.now(),
      );
      if (!changed) throw notFound;
      return {};
    },

    // ── configuration schema ───────────────────────────────────────────────────────────
    async getRunnerConfigurationSchema(req, ctx) {
      const caller = callerOf(ctx);
      await authorizeRunner(sql, caller, req.runnerId, { need: "user", runnerItself: true });
      return { schema: await schemaOf(sql, await runnerRow(caller, req.runnerId), publicUrl) };
    },

    // ── SCM integrations ───────────────────────────────────────────────────────────────
    async createSCMIntegration(req, ctx) {
      const caller = callerOf(ctx);
      await authorizeRunner(sql, caller, req.runnerId, { need: "admin" });
      const runner = await runnerRow(caller, req.runnerId);
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
        ? await sealSecret(runner.public_key, req.oauthPlaintextClientSecret)
        : null;
      const row = await insertScmIntegration(sql, {
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
      }).catch((error: unknown) => {
        if ((error as { code?: string }).code === "23505") {
          throw new ConnectError(`the runner already has an SCM integration for host ${host}`, Code.AlreadyExists);
        }
        throw error;
      });
      return { id: row.id };
    },

    async getSCMIntegration(req, ctx) {
      const caller = callerOf(ctx);
      const notFound = scmIntegrationNotFound(req.id);
      const row = await findScmIntegration(sql, caller.organizationId, req.id);
      if (!row) throw notFound;
      await authorizeVia(caller, row.runner_id, "user", notFound);
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
      await authorizeVia(caller, existing.runner_id, "admin", notFound);
      const runner = await runnerRow(caller, existing.runner_id);
      // Sealing needs no lock; do it before the transaction.
      const secret = req.oauthPlaintextClientSecret;
      if (secret === "") {
        throw new ConnectError("oauth_plaintext_client_secret: must not be empty when given", Code.InvalidArgument);
      }
      // A secret sent along with `oauth_client_id = ""` is discarded with the OAuth configuration.
      const sealed =
        secret !== undefined && req.oauthClientId !== "" ? await sealSecret(runner.public_key, secret) : undefined;
      await sql.begin(async (tx) => {
        const current = await findScmIntegration(tx, caller.organizationId, req.id, { forUpdate: true });
        if (!current) throw notFound;
        const set: ScmIntegrationColumns = {};
        if (req.oauthClientId === "") {
          // OAuth off: the client goes, and so do the OAuth tokens users got through it.
          Object.assign(set, { oauth_client_id: null, oauth_encrypted_client_secret: null, issuer_url: null });
          await deleteHostTokensOf(tx, current.runner_id, current.host, HostAuthenticationTokenSource.OAUTH);
        } else if (req.oauthClientId !== undefined) {
          set.oauth_client_id = req.oauthClientId;
        }
        if (sealed && req.oauthClientId !== "") set.oauth_encrypted_client_secret = Buffer.from(sealed);
        if (req.issuerUrl !== undefined && req.oauthClientId !== "") set.issuer_url = req.issuerUrl || null;
        if (req.pat !== undefined) {
          set.pat = req.pat;
          if (!req.pat)
            await deleteHostTokensOf(tx, current.runner_id, current.host, HostAuthenticationTokenSource.PAT);
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
      });
      return {};
    },

    async deleteSCMIntegration(req, ctx) {
      const caller = callerOf(ctx);
      const notFound = scmIntegrationNotFound(req.id);
      const existing = await findScmIntegration(sql, caller.organizationId, req.id);
      if (!existing) throw notFound;
      await authorizeVia(caller, existing.runner_id, "admin", notFound);
      await sql.begin(async (tx) => {
        await deleteHostTokensOf(tx, existing.runner_id, existing.host);
        if (!(await deleteScmIntegration(tx, existing.id))) throw notFound;
      });
      return {};
    },

    // ── validation ─────────────────────────────────────────────────────────────────────
    /**
     * Checks an environment class or SCM integration as create would, and answers with
     * results, never errors, for invalid input; persists nothing. The runner's own checks
     * (CallValidateConfig) join these with the runner protocol.
     */
    async validateRunnerConfiguration(req, ctx) {
      const caller = callerOf(ctx);
      await authorizeRunner(sql, caller, req.runnerId, { need: "admin" });
      const runner = await runnerRow(caller, req.runnerId);
      const schema = await schemaOf(sql, runner, publicUrl);
      const config = req.config;
      if (config.case === "environmentClass") {
        const ec = config.value;
        const displayNameError = lengthError(ec.displayName, 3, 127);
        const descriptionError = lengthError(ec.description, 3, 200);
        const configurationErrors = checkConfiguration(schema, ec.configuration);
        return {
          result: {
            case: "environmentClass",
            value: {
              valid: !displayNameError && !descriptionError && configurationErrors.length === 0,
              ...(displayNameError ? { displayNameError } : {}),
              ...(descriptionError ? { descriptionError } : {}),
              configurationErrors,
            },
          },
        };
      }
      if (config.case === "scmIntegration") {
        const s = config.value;
        const host = s.host.toLowerCase();
        const secret = s.oauthClientSecret;
        const errors = checkScmIntegration(
          {
            scmId: s.scmId,
            host,
            oauthClientId: s.oauthClientId,
            hasSecret: secret.case !== undefined && secret.value.length > 0,
            pat: s.pat,
            virtualDirectory: s.virtualDirectory,
          },
          schema,
        );
        if (!errors.hostError) {
          const clash = await findScmIntegrationByHost(sql, runner.id, host);
          if (clash && clash.id !== s.id)
            errors.hostError = `the runner already has an SCM integration for host ${host}`;
        }
        if (!errors.oauthError && secret.case === "oauthPlaintextClientSecret" && secret.value && !runner.public_key) {
          errors.oauthError =
            "the runner has not signed up with a public key yet, so the secret cannot be sealed for it";
        }
        return {
          result: { case: "scmIntegration", value: { valid: !hasErrors(errors), ...withoutUndefined(errors) } },
        };
      }
      throw new ConnectError("config: set environment_class or scm_integration", Code.InvalidArgument);
    },

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
      const row = await sql.begin((tx) =>
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
      await sql.begin(async (tx) => {
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
      });
      return {};
    },

    async deleteHostAuthenticationToken(req, ctx) {
      const caller = callerOf(ctx);
      await visibleHostToken(caller, req.id, "delete");
      if (!(await deleteHostToken(sql, req.id))) throw hostTokenNotFound(req.id);
      return {};
    },
  };

  /**
   * A host token the caller may act on. Its own: see, update, delete. Runner admins: see
   * and delete others' tokens on their runner, not update them. Anyone else: not found.
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
    const { role } = await authorizeVia(caller, row.runner_id, "user", notFound);
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

async function sealSecret(publicKey: Buffer | null, secret: string): Promise<Buffer> {
  if (!publicKey) {
    throw new ConnectError(
      "the runner has not signed up with a public key yet, so the OAuth client secret cannot be sealed for it",
      Code.FailedPrecondition,
    );
  }
  return Buffer.from(await sealForRunner(publicKey, secret));
}

function assertConfiguration(errors: { key: string; error: string }[]): void {
  if (errors.length === 0) return;
  throw validationError(
    errors.map((e) => ({ field: `configuration[${JSON.stringify(e.key)}]`, rule: "schema", message: e.error })),
  );
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

/** Enum filter values mapped to their database names; unknown or unspecified values are errors, never "no filter". */
function knownValues<E extends number, D>(
  field: string,
  values: E[],
  map: Partial<Record<number, D>>,
  enumObject: Record<string, string | number>,
): D[] {
  return values.map((v, i) => {
    const mapped = map[v];
    if (mapped === undefined) {
      throw new ConnectError(`${field}[${i}]: ${enumObject[v] ?? v} matches no runner`, Code.InvalidArgument);
    }
    return mapped;
  });
}

function lengthError(value: string, min: number, max: number): string | undefined {
  const length = [...value].length;
  return length < min || length > max ? `must be ${min} to ${max} characters, is ${length}` : undefined;
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function environmentClassNotFound(id: string): ConnectError {
  return new ConnectError(`environment class ${id} not found`, Code.NotFound);
}

function scmIntegrationNotFound(id: string): ConnectError {
  return new ConnectError(`SCM integration ${id} not found`, Code.NotFound);
}

function hostTokenNotFound(id: string): ConnectError {
  return new ConnectError(`host authentication token ${id} not found`, Code.NotFound);
}
