/**
 * gitpod.v1.RunnerConfigurationService (behaviour.md §5, docs/configuration.md): environment
 * classes, the configuration schema, SCM integrations, host authentication tokens,
 * ValidateRunnerConfiguration and LLM integrations (docs/llm-integrations.md).
 */
import type { ServiceImpl } from "@connectrpc/connect";
import type { RunnerConfigurationService } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { environmentClassMethods } from "./environment-classes.js";
import { hostTokenMethods } from "./host-tokens.js";
import { llmIntegrationMethods } from "./llm-integrations.js";
import { scmIntegrationMethods } from "./scm-integrations.js";
import type { RunnerConfigurationServiceDeps } from "./shared.js";
import { validationMethods } from "./validate.js";

export { hostTokenContext } from "./host-tokens.js";
export type { RunnerConfigurationServiceDeps } from "./shared.js";

export function createRunnerConfigurationService(
  deps: RunnerConfigurationServiceDeps,
): Partial<ServiceImpl<typeof RunnerConfigurationService>> {
  return {
    ...environmentClassMethods(deps),
    ...scmIntegrationMethods(deps),
    ...validationMethods(deps),
    ...hostTokenMethods(deps),
    ...llmIntegrationMethods(deps),
  };
}
