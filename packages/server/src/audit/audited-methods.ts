/**
 * Which methods write an audit entry, and the type of the resource the entry names
 * (docs/audit-log.md). `audited()` looks the method up here and refuses one that is not
 * listed; audited-methods.test.ts fails when a served method that may change something
 * is neither listed nor exempted below — so a new mutating RPC cannot be forgotten.
 */
import { ResourceType } from "@runnerplane/api/gitpod/v1/event_pb";

const R = ResourceType;

/** Full method name → the subject type of its entries. */
export const auditedMethods: ReadonlyMap<string, ResourceType> = new Map([
  ["gitpod.v1.RunnerService/CreateRunner", R.RUNNER],
  ["gitpod.v1.RunnerService/UpdateRunner", R.RUNNER],
  ["gitpod.v1.RunnerService/DeleteRunner", R.RUNNER],
  ["gitpod.v1.RunnerService/CreateRunnerToken", R.RUNNER],
  ["gitpod.v1.RunnerService/CreateRunnerLogsToken", R.RUNNER],
  // A runner policy is a role assignment (docs/identity.md): one subject type for both APIs.
  ["gitpod.v1.RunnerService/CreateRunnerPolicy", R.ROLE_ASSIGNMENT],
  ["gitpod.v1.RunnerService/UpdateRunnerPolicy", R.ROLE_ASSIGNMENT],
  ["gitpod.v1.RunnerService/DeleteRunnerPolicy", R.ROLE_ASSIGNMENT],

  ["gitpod.v1.RunnerConfigurationService/CreateEnvironmentClass", R.ENVIRONMENT_CLASS],
  ["gitpod.v1.RunnerConfigurationService/UpdateEnvironmentClass", R.ENVIRONMENT_CLASS],
  ["gitpod.v1.RunnerConfigurationService/CreateSCMIntegration", R.RUNNER_SCM_INTEGRATION],
  ["gitpod.v1.RunnerConfigurationService/UpdateSCMIntegration", R.RUNNER_SCM_INTEGRATION],
  ["gitpod.v1.RunnerConfigurationService/DeleteSCMIntegration", R.RUNNER_SCM_INTEGRATION],
  ["gitpod.v1.RunnerConfigurationService/CreateHostAuthenticationToken", R.HOST_AUTHENTICATION_TOKEN],
  // Also the runner's own refresh of an OAuth token (docs/scm-oauth.md): the actor is then the runner.
  ["gitpod.v1.RunnerConfigurationService/UpdateHostAuthenticationToken", R.HOST_AUTHENTICATION_TOKEN],
  ["gitpod.v1.RunnerConfigurationService/DeleteHostAuthenticationToken", R.HOST_AUTHENTICATION_TOKEN],
  ["gitpod.v1.RunnerConfigurationService/CreateLLMIntegration", R.RUNNER_LLM_INTEGRATION],
  ["gitpod.v1.RunnerConfigurationService/UpdateLLMIntegration", R.RUNNER_LLM_INTEGRATION],
  ["gitpod.v1.RunnerConfigurationService/DeleteLLMIntegration", R.RUNNER_LLM_INTEGRATION],

  // The runner's own calls that change what is stored about it.
  ["gitpod.v1.RunnerInteractionService/Signup", R.RUNNER],
  ["gitpod.v1.RunnerInteractionService/MarkRunnerActive", R.RUNNER],
  ["gitpod.v1.RunnerInteractionService/UpdateRunnerConfigurationSchema", R.RUNNER],
  // A runner access token is issued for the exchange token.
  ["gitpod.v1.IdentityService/ExchangeToken", R.RUNNER],

  ["gitpod.v1.UserService/SetSuspended", R.USER],
  ["gitpod.v1.UserService/CreatePersonalAccessToken", R.PERSONAL_ACCESS_TOKEN],
  ["gitpod.v1.UserService/DeletePersonalAccessToken", R.PERSONAL_ACCESS_TOKEN],

  ["gitpod.v1.OrganizationService/UpdateOrganization", R.ORGANIZATION],
  ["gitpod.v1.OrganizationService/SetRole", R.USER],
  ["gitpod.v1.OrganizationService/CreateSSOConfiguration", R.SSO_CONFIG],
  ["gitpod.v1.OrganizationService/UpdateSSOConfiguration", R.SSO_CONFIG],
  ["gitpod.v1.OrganizationService/DeleteSSOConfiguration", R.SSO_CONFIG],

  ["gitpod.v1.GroupService/CreateGroup", R.GROUP],
  ["gitpod.v1.GroupService/UpdateGroup", R.GROUP],
  ["gitpod.v1.GroupService/DeleteGroup", R.GROUP],
  ["gitpod.v1.GroupService/CreateMembership", R.GROUP_MEMBERSHIP_CHANGED],
  ["gitpod.v1.GroupService/DeleteMembership", R.GROUP_MEMBERSHIP_CHANGED],
  ["gitpod.v1.GroupService/CreateRoleAssignment", R.ROLE_ASSIGNMENT],
  ["gitpod.v1.GroupService/DeleteRoleAssignment", R.ROLE_ASSIGNMENT],

  ["gitpod.v1.ServiceAccountService/CreateServiceAccount", R.SERVICE_ACCOUNT],
  ["gitpod.v1.ServiceAccountService/UpdateServiceAccount", R.SERVICE_ACCOUNT],
  ["gitpod.v1.ServiceAccountService/DeleteServiceAccount", R.SERVICE_ACCOUNT],
  ["gitpod.v1.ServiceAccountService/CreateServiceAccountToken", R.SERVICE_ACCOUNT_TOKEN],
  ["gitpod.v1.ServiceAccountService/DeleteServiceAccountToken", R.SERVICE_ACCOUNT_TOKEN],
  // An admin's token for a service account: the same kind of token as the account's own.
  ["gitpod.v1.ServiceAccountService/CreateServiceAccountAccessToken", R.SERVICE_ACCOUNT_TOKEN],
]);

/**
 * Served methods that may have side effects by their declaration but write no entry, and why.
 * Methods whose names start with Get, List or Watch read only and need no entry.
 */
export const unauditedMethods: ReadonlyMap<string, string> = new Map([
  ["gitpod.v1.RunnerInteractionService/UpdateRunnerStatus", "a heartbeat every 30 s: liveness, not a change"],
  ["gitpod.v1.RunnerInteractionService/SendResponse", "the runner's answer to a relayed call; stores nothing"],
  ["gitpod.v1.RunnerService/ParseContextURL", "answered by the runner; changes nothing here"],
  ["gitpod.v1.RunnerService/SearchRepositories", "answered by the runner; changes nothing here"],
  ["gitpod.v1.RunnerService/CheckAuthenticationForHost", "answered by the runner; changes nothing here"],
  ["gitpod.v1.RunnerService/CheckRepositoryAccess", "answered by the runner; changes nothing here"],
  ["gitpod.v1.RunnerConfigurationService/ValidateRunnerConfiguration", "a check; stores nothing"],
  [
    "runnerplane.runner.v1.RunnerExtensionService/SendExtensionResponse",
    "the runner's answer on the extension lane; stores nothing (what an OAuth exchange stores is the runner's own audited host token call)",
  ],
  ["grpc.health.v1.Health/Check", "a probe; reads readiness"],
  ["grpc.health.v1.Health/List", "a probe; reads readiness"],
  ["grpc.health.v1.Health/Watch", "a probe; streams readiness"],
  ["grpc.reflection.v1.ServerReflection/ServerReflectionInfo", "describes the schema; reads only"],
  ["grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", "describes the schema; reads only"],
]);

/** Get…, List…, Watch…: reads (the genuine API's naming). */
export const isReadMethodName = (name: string): boolean => /^(Get|List|Watch)[A-Z]/.test(name);
