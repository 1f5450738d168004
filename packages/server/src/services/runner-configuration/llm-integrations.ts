import { Code, ConnectError } from "@connectrpc/connect";
import { LLMIntegrationPhase } from "@runnerplane/api/gitpod/v1/model_pb";
import { createAuditor } from "../../audit/index.js";
import { authorizeRunner, callerOf, visibleRunnerCondition } from "../../auth/index.js";
import {
  type DbLlmRequestHeader,
  deleteLlmIntegration,
  findLlmIntegration,
  insertLlmIntegration,
  type LlmIntegrationColumns,
  listLlmIntegrations,
  updateLlmIntegration,
} from "../../db/llm-integrations.js";
import { paginate } from "../../pagination/index.js";
import { type Violation, validationError } from "../../validation/index.js";
import { toLlmIntegration } from "../configuration-mapper.js";
import {
  checkEndpoint,
  checkMaxTokens,
  checkModels,
  checkPhase,
  checkRequestHeaders,
} from "../llm-integration-check.js";
import {
  authorizeVia,
  type RunnerConfigurationMethods,
  type RunnerConfigurationServiceDeps,
  sealRunnerSecret,
} from "./shared.js";

/**
 * LLM integrations (behaviour.md §16, docs/llm-integrations.md): a runner's endpoints for
 * language models, with an API key only the runner can open. Runner admins write, runner
 * users read. Every change is one transaction and is told to the runner afterwards.
 */
export function llmIntegrationMethods(
  deps: RunnerConfigurationServiceDeps,
): RunnerConfigurationMethods<
  "createLLMIntegration" | "getLLMIntegration" | "listLLMIntegrations" | "updateLLMIntegration" | "deleteLLMIntegration"
> {
  const { sql, clock, pageTokens, notifier } = deps;
  const audited = createAuditor({ sql, clock });

  return {
    async createLLMIntegration(req, ctx) {
      const caller = callerOf(ctx);
      const violations: Violation[] = [];
      const models = checkModels("models", req.models);
      if ("field" in models) violations.push(models);
      const endpoint = checkEndpoint("endpoint", req.endpoint);
      if (endpoint) violations.push(endpoint);
      if (req.apiKey === "") violations.push({ field: "api_key", rule: "llm.api_key", message: "value is required" });
      const maxTokens = checkMaxTokens("max_tokens", req.maxTokens);
      if (maxTokens) violations.push(maxTokens);
      if (violations.length > 0 || "field" in models) throw validationError(violations);
      const { runner } = await authorizeRunner(sql, caller, req.runnerId, { need: "admin" });
      const sealed = await sealRunnerSecret(runner.public_key, req.apiKey, "API key");
      const row = await audited(
        ctx,
        (tx) =>
          insertLlmIntegration(tx, {
            runnerId: runner.id,
            organizationId: runner.organization_id,
            provider: models.provider,
            models: models.models,
            endpoint: req.endpoint,
            encryptedApiKey: sealed,
            maxTokens: req.maxTokens,
            phase: LLMIntegrationPhase.LLM_INTEGRATION_PHASE_AVAILABLE,
            now: clock.now(),
          }),
        (r) => r.id,
      );
      await notifier.llmIntegrationChanged(row.runner_id, row.id);
      return { id: row.id };
    },

    async getLLMIntegration(req, ctx) {
      const caller = callerOf(ctx);
      const notFound = llmIntegrationNotFound(req.id);
      const row = await findLlmIntegration(sql, caller.organizationId, req.id);
      if (!row) throw notFound;
      await authorizeVia(sql, caller, row.runner_id, "user", notFound);
      return { integration: toLlmIntegration(row) };
    },

    async listLLMIntegrations(req, ctx) {
      const caller = callerOf(ctx);
      const filter = { runnerIds: [...new Set((req.filter?.runnerIds ?? []).map((id) => id.toLowerCase()))] };
      const page = await paginate({
        tokens: await pageTokens(),
        method: "gitpod.v1.RunnerConfigurationService/ListLLMIntegrations",
        filter,
        pagination: req.pagination,
        fetch: (after, limit) =>
          listLlmIntegrations(sql, {
            organizationId: caller.organizationId,
            visibleRunners: visibleRunnerCondition(sql, caller),
            runnerIds: filter.runnerIds,
            after,
            limit,
          }),
        cursorOf: (row) => ({ createdAt: row.created_at, id: row.id }),
      });
      return {
        integrations: page.rows.map(toLlmIntegration),
        pagination: { nextToken: page.nextToken },
        // Gitpod's hosted offering manages nothing here (wire-contract-admin.md).
        llmManagedByOna: false,
        onaIntelligenceProviders: [],
      };
    },

    async updateLLMIntegration(req, ctx) {
      const caller = callerOf(ctx);
      const set: LlmIntegrationColumns = {};
      const violations: Violation[] = [];
      if (req.endpoint !== undefined) {
        const error = checkEndpoint("endpoint", req.endpoint);
        if (error) violations.push(error);
        set.endpoint = req.endpoint;
      }
      // An empty list leaves the models unchanged (the field cannot be absent).
      if (req.models.length > 0) {
        const models = checkModels("models", req.models);
        if ("field" in models) violations.push(models);
        else Object.assign(set, { models: models.models, provider: models.provider });
      }
      if (req.apiKey === "") {
        violations.push({ field: "api_key", rule: "llm.api_key", message: "must not be empty when given" });
      }
      if (req.maxTokens !== undefined) {
        const error = checkMaxTokens("max_tokens", req.maxTokens);
        if (error) violations.push(error);
        set.max_tokens = req.maxTokens;
      }
      if (req.phase !== undefined) {
        const error = checkPhase("phase", req.phase);
        if (error) violations.push(error);
        // The reason belonged to the phase it explained.
        Object.assign(set, { phase: req.phase, phase_reason: "" });
      }
      if (req.requestHeaders.length > 0) {
        violations.push(...checkRequestHeaders(req.requestHeaders));
        set.request_headers = req.requestHeaders.map(
          (h): DbLlmRequestHeader => ({
            key: h.key,
            value: Buffer.from(h.value).toString("base64"),
            headerType: h.headerType,
          }),
        );
      }
      if (violations.length > 0) throw validationError(violations);

      const notFound = llmIntegrationNotFound(req.id);
      const existing = await findLlmIntegration(sql, caller.organizationId, req.id);
      if (!existing) throw notFound;
      const { runner } = await authorizeVia(sql, caller, existing.runner_id, "admin", notFound);
      // Sealing needs no lock; do it before the transaction.
      if (req.apiKey !== undefined)
        set.encrypted_api_key = await sealRunnerSecret(runner.public_key, req.apiKey, "API key");
      await audited(
        ctx,
        async (tx) => {
          if (!(await updateLlmIntegration(tx, existing.id, set, clock.now()))) throw notFound;
        },
        existing.id,
      );
      await notifier.llmIntegrationChanged(existing.runner_id, existing.id);
      return {};
    },

    async deleteLLMIntegration(req, ctx) {
      const caller = callerOf(ctx);
      const notFound = llmIntegrationNotFound(req.id);
      const existing = await findLlmIntegration(sql, caller.organizationId, req.id);
      if (!existing) throw notFound;
      await authorizeVia(sql, caller, existing.runner_id, "admin", notFound);
      // `force` changes nothing: nothing else depends on an integration, so it always goes at once.
      await audited(
        ctx,
        async (tx) => {
          if (!(await deleteLlmIntegration(tx, existing.id))) throw notFound;
        },
        existing.id,
      );
      await notifier.llmIntegrationChanged(existing.runner_id, existing.id);
      return {};
    },
  };
}

function llmIntegrationNotFound(id: string): ConnectError {
  return new ConnectError(`LLM integration ${id} not found`, Code.NotFound);
}
