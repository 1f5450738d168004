/**
 * gitpod.v1.RunnerInteractionService: the calls a runner makes about itself — registration,
 * status heartbeats, its configuration schema, its lists (environment classes, SCM and LLM
 * integrations), reading host tokens, and the request stream.
 */

import { toJson } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { RunnerConfigurationSchemaSchema } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import type { RunnerInteractionService } from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import { GatewayInfoSchema } from "@runnerplane/api/gitpod/v1/runner_pb";
import { checkConfiguration } from "@runnerplane/configuration-check";
import { createAuditor } from "../audit/index.js";
import { assertRunnerItself, callerOf, requireRunnerItself, runnerNotFound } from "../auth/index.js";
import type { Clock } from "../clock.js";
import type { KeyRing } from "../crypto/index.js";
import { saveReportedSchema } from "../db/configuration-schemas.js";
import { listRunnerEnvironmentClasses, upsertEnvironmentClass } from "../db/environment-classes.js";
import { findHostTokenFor } from "../db/host-tokens.js";
import type { Sql } from "../db/index.js";
import { findRunnerLlmIntegration, listRunnerLlmIntegrations } from "../db/llm-integrations.js";
import { createRunnerStatusWriter } from "../db/runner-status.js";
import { markRunnerActive, signupRunner } from "../db/runners.js";
import { listRunnerScmIntegrations } from "../db/scm-integrations.js";
import { type PageTokens, paginate } from "../pagination/index.js";
import type { Relay } from "../relay/index.js";
import { isUuid, validationError } from "../validation/index.js";
import { toEnvironmentClass, toLlmIntegration, toScmIntegration } from "./configuration-mapper.js";
import { hostTokenContext } from "./runner-configuration/index.js";
import { schemaOf } from "./runner-schema.js";

export interface RunnerInteractionServiceDeps {
  sql: Sql;
  clock: Clock;
  keyRing: KeyRing;
  publicUrl: string;
  relay: Relay;
  pageTokens: () => Promise<PageTokens>;
}

export function createRunnerInteractionService({
  sql,
  clock,
  keyRing,
  publicUrl,
  relay,
  pageTokens,
}: RunnerInteractionServiceDeps): Partial<ServiceImpl<typeof RunnerInteractionService>> {
  const audited = createAuditor({ sql, clock });
  const recordRunnerStatus = createRunnerStatusWriter(sql);
  return {
    /** A heartbeat: what the runner reports about itself, and the renewal of its registration. */
    async updateRunnerStatus(req, ctx) {
      assertRunnerItself(callerOf(ctx), req.runnerId);
      const found = await recordRunnerStatus(
        req.runnerId,
        {
          version: req.version,
          system_details: req.systemDetails,
          log_url: req.logUrl,
          status_message: req.degredationMessage,
          status_region: req.region,
          llm_url: req.llmUrl,
          support_bundle_url: req.supportBundleUrl,
          capabilities: req.capabilities.length > 0 ? req.capabilities : undefined,
          gateway_info: req.gatewayInfo ? toJson(GatewayInfoSchema, req.gatewayInfo) : undefined,
        },
        req.additionalInfo,
        clock.now(),
      );
      if (!found) throw runnerNotFound(req.runnerId);
      return {};
    },

    async listRunnerEnvironmentClasses(req, ctx) {
      assertRunnerItself(callerOf(ctx), req.runnerId);
      const ids = (req.filter?.environmentClassIds ?? []).map((id) => id.toLowerCase());
      const page = await paginate({
        tokens: await pageTokens(),
        method: "gitpod.v1.RunnerInteractionService/ListRunnerEnvironmentClasses",
        filter: { runnerId: req.runnerId.toLowerCase(), ids },
        pagination: req.pagination,
        fetch: (after, limit) => listRunnerEnvironmentClasses(sql, { runnerId: req.runnerId, ids, after, limit }),
        cursorOf: (row) => ({ createdAt: row.created_at, id: row.id }),
      });
      return { environmentClasses: page.rows.map(toEnvironmentClass), pagination: { nextToken: page.nextToken } };
    },

    async listRunnerSCMIntegrations(req, ctx) {
      assertRunnerItself(callerOf(ctx), req.runnerId);
      const ids = (req.filter?.scmIntegrationIds ?? []).map((id) => id.toLowerCase());
      const page = await paginate({
        tokens: await pageTokens(),
        method: "gitpod.v1.RunnerInteractionService/ListRunnerSCMIntegrations",
        filter: { runnerId: req.runnerId.toLowerCase(), ids },
        pagination: req.pagination,
        fetch: (after, limit) => listRunnerScmIntegrations(sql, { runnerId: req.runnerId, ids, after, limit }),
        cursorOf: (row) => ({ createdAt: row.created_at, id: row.id }),
      });
      return { scmIntegrations: page.rows.map(toScmIntegration), pagination: { nextToken: page.nextToken } };
    },

    /** One of the runner's own LLM integrations, its API key sealed for it (docs/llm-integrations.md). */
    async getRunnerLLMIntegration(req, ctx) {
      assertRunnerItself(callerOf(ctx), req.runnerId);
      const row = await findRunnerLlmIntegration(sql, req.runnerId, req.llmIntegrationId);
      if (!row) throw new ConnectError(`LLM integration ${req.llmIntegrationId} not found`, Code.NotFound);
      return { llmIntegration: toLlmIntegration(row) };
    },

    async listRunnerLLMIntegrations(req, ctx) {
      assertRunnerItself(callerOf(ctx), req.runnerId);
      const models = [...new Set(req.filter?.supportedModels ?? [])].sort((a, b) => a - b);
      const page = await paginate({
        tokens: await pageTokens(),
        method: "gitpod.v1.RunnerInteractionService/ListRunnerLLMIntegrations",
        filter: { runnerId: req.runnerId.toLowerCase(), models },
        pagination: req.pagination,
        fetch: (after, limit) => listRunnerLlmIntegrations(sql, { runnerId: req.runnerId, models, after, limit }),
        cursorOf: (row) => ({ createdAt: row.created_at, id: row.id }),
      });
      return { llmIntegrations: page.rows.map(toLlmIntegration), pagination: { nextToken: page.nextToken } };
    },

    /** The runner's end of the relay: calls and events for it, until it hangs up (docs/relay.md). */
    // The relay's iterable itself, not a generator around it: the stream lives for hours.
    watchRequests(req, ctx) {
      assertRunnerItself(callerOf(ctx), req.runnerId);
      return relay.stream(req.runnerId.toLowerCase(), ctx.signal);
    },

    /** The runner's answer to a call; a late or unknown answer is dropped. */
    async sendResponse(req, ctx) {
      assertRunnerItself(callerOf(ctx), req.runnerId);
      await relay.answer(req.runnerId.toLowerCase(), req);
      return {};
    },

    /**
     * Stores the runner's public key and upserts the environment classes it brings (by id),
     * each checked against the runner's schema, all in one transaction.
     */
    async signup(req, ctx) {
      const caller = callerOf(ctx);
      // Signup names no runner: it is the caller's own.
      const runner = await requireRunnerItself(sql, caller, caller.subject.id);
      const schema = req.environmentClasses.length > 0 ? await schemaOf(sql, runner, publicUrl) : undefined;
      const violations = req.environmentClasses.flatMap((ec, i) => [
        ...(isUuid(ec.id)
          ? []
          : [{ field: `environment_classes[${i}].id`, rule: "string.uuid", message: "value must be a valid UUID" }]),
        ...(schema ? checkConfiguration(schema, ec.configuration) : []).map((e) => ({
          field: `environment_classes[${i}].configuration[${JSON.stringify(e.key)}]`,
          rule: "schema",
          message: e.error,
        })),
      ]);
      if (violations.length > 0) throw validationError(violations);
      const now = clock.now();
      await audited(
        ctx,
        async (tx) => {
          await signupRunner(tx, runner.id, req.publicKey, now);
          for (const ec of req.environmentClasses) {
            const stored = await upsertEnvironmentClass(tx, {
              id: ec.id.toLowerCase(),
              runnerId: runner.id,
              organizationId: runner.organization_id,
              displayName: ec.displayName,
              description: ec.description,
              configuration: ec.configuration.map(({ key, value }) => ({ key, value })),
              now,
            });
            if (!stored) {
              throw new ConnectError(`environment class ${ec.id} belongs to another runner`, Code.AlreadyExists);
            }
          }
        },
        runner.id,
      );
      return { runnerId: runner.id };
    },

    async markRunnerActive(req, ctx) {
      assertRunnerItself(callerOf(ctx), req.runnerId);
      await audited(ctx, (tx) => markRunnerActive(tx, req.runnerId, clock.now()), req.runnerId);
      return {};
    },

    async updateRunnerConfigurationSchema(req, ctx) {
      assertRunnerItself(callerOf(ctx), req.runnerId);
      if (!req.configSchema) throw new ConnectError("config_schema: required", Code.InvalidArgument);
      const schema = toJson(RunnerConfigurationSchemaSchema, req.configSchema);
      await audited(ctx, (tx) => saveReportedSchema(tx, req.runnerId, schema, clock.now()), req.runnerId);
      return {};
    },

    /** The one way a token value leaves the server: to the runner it belongs to, decrypted. */
    async getHostAuthenticationTokenValue(req, ctx) {
      assertRunnerItself(callerOf(ctx), req.runnerId);
      const row = await findHostTokenFor(sql, req.runnerId, req.principalId, req.host.toLowerCase());
      if (!row)
        throw new ConnectError(`no host authentication token for that principal and ${req.host}`, Code.NotFound);
      const value = keyRing.decrypt(row.key_id, row.token_ciphertext, hostTokenContext(row.id, "token"));
      const refresh = row.refresh_token_ciphertext
        ? keyRing.decrypt(row.key_id, row.refresh_token_ciphertext, hostTokenContext(row.id, "refresh_token"))
        : "";
      return {
        value: new TextEncoder().encode(value),
        tokenId: row.id,
        ...(row.expires_at ? { expiresAt: timestampFromDate(row.expires_at) } : {}),
        refreshToken: new TextEncoder().encode(refresh),
        source: row.source,
        ...(row.integration_id ? { integrationId: row.integration_id } : {}),
      };
    },
  };
}
