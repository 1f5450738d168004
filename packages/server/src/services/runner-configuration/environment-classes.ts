import { Code, ConnectError } from "@connectrpc/connect";
import { RunnerKind, RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { checkConfiguration } from "@runnerplane/configuration-check";
import { createAuditor } from "../../audit/index.js";
import { authorizeRunner, callerOf, visibleRunnerCondition } from "../../auth/index.js";
import {
  findEnvironmentClass,
  insertEnvironmentClass,
  listEnvironmentClasses,
  updateEnvironmentClass,
} from "../../db/environment-classes.js";
import { paginate } from "../../pagination/index.js";
import { validationError } from "../../validation/index.js";
import { toEnvironmentClass } from "../configuration-mapper.js";
import { aliveSince } from "../liveness.js";
import { kindToDb, providerToDb } from "../runner-rules.js";
import { schemaOf } from "../runner-schema.js";
import { authorizeVia, type RunnerConfigurationMethods, type RunnerConfigurationServiceDeps } from "./shared.js";

/** Environment classes and the configuration schema they are checked against. */
export function environmentClassMethods(
  deps: RunnerConfigurationServiceDeps,
): RunnerConfigurationMethods<
  | "createEnvironmentClass"
  | "getEnvironmentClass"
  | "listEnvironmentClasses"
  | "updateEnvironmentClass"
  | "getRunnerConfigurationSchema"
> {
  const { sql, clock, pageTokens, publicUrl } = deps;
  const audited = createAuditor({ sql, clock });

  return {
    // ── environment classes ────────────────────────────────────────────────────────────
    async createEnvironmentClass(req, ctx) {
      const caller = callerOf(ctx);
      const { runner } = await authorizeRunner(sql, caller, req.runnerId, { need: "admin" });
      assertConfiguration(checkConfiguration(await schemaOf(sql, runner, publicUrl), req.configuration));
      const row = await audited(
        ctx,
        (tx) =>
          insertEnvironmentClass(tx, {
            runnerId: runner.id,
            organizationId: caller.organizationId,
            displayName: req.displayName,
            description: req.description,
            configuration: req.configuration.map(({ key, value }) => ({ key, value })),
            now: clock.now(),
          }),
        (created) => created.id,
      );
      return { id: row.id };
    },

    async getEnvironmentClass(req, ctx) {
      const caller = callerOf(ctx);
      const notFound = environmentClassNotFound(req.environmentClassId);
      const row = await findEnvironmentClass(sql, caller.organizationId, req.environmentClassId);
      if (!row) throw notFound;
      await authorizeVia(sql, caller, row.runner_id, "user", notFound);
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
        canCreateEnvironments: f?.canCreateEnvironments === true,
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
            runnerIds: filter.runnerIds,
            enabled: filter.enabled,
            runnerKinds: filter.runnerKinds,
            runnerProviders: filter.runnerProviders,
            activeSince: filter.canCreateEnvironments ? aliveSince(clock.now()) : undefined,
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
      await authorizeVia(sql, caller, row.runner_id, "admin", notFound);
      await audited(
        ctx,
        async (tx) => {
          const changed = await updateEnvironmentClass(
            tx,
            row.id,
            { display_name: req.displayName, description: req.description, enabled: req.enabled },
            clock.now(),
          );
          if (!changed) throw notFound;
        },
        row.id,
      );
      return {};
    },

    // ── configuration schema ───────────────────────────────────────────────────────────
    async getRunnerConfigurationSchema(req, ctx) {
      const caller = callerOf(ctx);
      const { runner } = await authorizeRunner(sql, caller, req.runnerId, { need: "user", runnerItself: true });
      return { schema: await schemaOf(sql, runner, publicUrl) };
    },
  };
}

function assertConfiguration(errors: { key: string; error: string }[]): void {
  if (errors.length === 0) return;
  throw validationError(
    errors.map((e) => ({ field: `configuration[${JSON.stringify(e.key)}]`, rule: "schema", message: e.error })),
  );
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

function environmentClassNotFound(id: string): ConnectError {
  return new ConnectError(`environment class ${id} not found`, Code.NotFound);
}
