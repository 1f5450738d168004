import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import {
  type RunnerConfigurationSchema,
  RunnerConfigurationSchemaSchema,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { findReportedSchema } from "../db/configuration-schemas.js";
import type { DbRunner } from "../db/runners.js";
import type { Db } from "../db/sql.js";
import { defaultSchema } from "./default-schema.js";
import { providerFromDb } from "./runner-rules.js";

/** The runner's reported schema, or the built-in default for its provider until it reports one. */
export async function schemaOf(sql: Db, runner: DbRunner, publicUrl: string): Promise<RunnerConfigurationSchema> {
  const reported = await findReportedSchema(sql, runner.id);
  if (reported !== undefined) return fromJson(RunnerConfigurationSchemaSchema, reported as JsonValue);
  return defaultSchema(runner.provider ? providerFromDb[runner.provider] : undefined, publicUrl);
}
