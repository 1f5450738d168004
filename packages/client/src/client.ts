import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import { type CallOptions, type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createProtocolTransport, userAgentHeader } from "#transports";
import { EventService } from "./gen/gitpod/v1/event_pb.js";
import {
  type Group,
  type GroupMembership,
  GroupService,
  type ListGroupsRequestSchema,
  type ListMembershipsRequestSchema,
  type ListRoleAssignmentsRequestSchema,
  type RoleAssignment,
} from "./gen/gitpod/v1/group_pb.js";
import { IdentityService } from "./gen/gitpod/v1/identity_pb.js";
import {
  type ListMembersRequestSchema,
  type OrganizationMember,
  OrganizationService,
} from "./gen/gitpod/v1/organization_pb.js";
import {
  type EnvironmentClass,
  type HostAuthenticationToken,
  type ListEnvironmentClassesRequestSchema,
  type ListHostAuthenticationTokensRequestSchema,
  type ListSCMIntegrationsRequestSchema,
  RunnerConfigurationService,
  type SCMIntegration,
} from "./gen/gitpod/v1/runner_configuration_pb.js";
import { RunnerInteractionService } from "./gen/gitpod/v1/runner_interaction_pb.js";
import {
  type ListRunnerPoliciesRequestSchema,
  type ListRunnersRequestSchema,
  type Runner,
  type RunnerPolicy,
  RunnerService,
} from "./gen/gitpod/v1/runner_pb.js";
import {
  type ListServiceAccountsRequestSchema,
  type ListServiceAccountTokensRequestSchema,
  type ServiceAccount,
  ServiceAccountService,
  type ServiceAccountToken,
} from "./gen/gitpod/v1/service_account_pb.js";
import {
  type ListPersonalAccessTokensRequestSchema,
  type PersonalAccessToken,
  UserService,
} from "./gen/gitpod/v1/user_pb.js";
import { RunnerExtensionService } from "./gen/runnerplane/runner/v1/runner_extension_pb.js";
import type { RunnerplaneClientOptions } from "./options.js";
import { listAll } from "./pagination.js";
import { retryInterceptor } from "./retry.js";
import { version } from "./version.js";

type Init<S extends DescMessage> = MessageInitShape<S>;

export interface RunnerplaneClient {
  /** gitpod.v1.RunnerService: runners, runner tokens, policies, and calls answered by runners. */
  runners: Client<typeof RunnerService>;
  /**
   * gitpod.v1.RunnerConfigurationService: environment classes, SCM integrations, host tokens, LLM
   * integrations, schema.
   */
  configuration: Client<typeof RunnerConfigurationService>;
  /** gitpod.v1.IdentityService: who the token belongs to. */
  identity: Client<typeof IdentityService>;
  /** gitpod.v1.RunnerInteractionService: the calls a runner makes about itself (runner tokens only). */
  interaction: Client<typeof RunnerInteractionService>;
  /** gitpod.v1.UserService: the caller, the organization's users, personal access tokens. */
  users: Client<typeof UserService>;
  /** gitpod.v1.OrganizationService: the organization, its members and roles, invites, SSO configurations. */
  organization: Client<typeof OrganizationService>;
  /** gitpod.v1.GroupService: groups, their memberships and role assignments. */
  groups: Client<typeof GroupService>;
  /** gitpod.v1.ServiceAccountService: service accounts and their tokens. */
  serviceAccounts: Client<typeof ServiceAccountService>;
  /** gitpod.v1.EventService: the audit log. */
  events: Client<typeof EventService>;
  /** runnerplane.runner.v1.RunnerExtensionService: runnerplane's own runner-protocol extensions (runner tokens only). */
  runnerExtensions: Client<typeof RunnerExtensionService>;
  /** Every list as an async iterator over all its items, pages fetched lazily. */
  iterate: {
    runners(request?: Init<typeof ListRunnersRequestSchema>, options?: CallOptions): AsyncGenerator<Runner, void>;
    runnerPolicies(
      request: Init<typeof ListRunnerPoliciesRequestSchema>,
      options?: CallOptions,
    ): AsyncGenerator<RunnerPolicy, void>;
    environmentClasses(
      request?: Init<typeof ListEnvironmentClassesRequestSchema>,
      options?: CallOptions,
    ): AsyncGenerator<EnvironmentClass, void>;
    scmIntegrations(
      request?: Init<typeof ListSCMIntegrationsRequestSchema>,
      options?: CallOptions,
    ): AsyncGenerator<SCMIntegration, void>;
    hostAuthenticationTokens(
      request?: Init<typeof ListHostAuthenticationTokensRequestSchema>,
      options?: CallOptions,
    ): AsyncGenerator<HostAuthenticationToken, void>;
    personalAccessTokens(
      request?: Init<typeof ListPersonalAccessTokensRequestSchema>,
      options?: CallOptions,
    ): AsyncGenerator<PersonalAccessToken, void>;
    members(
      request: Init<typeof ListMembersRequestSchema>,
      options?: CallOptions,
    ): AsyncGenerator<OrganizationMember, void>;
    groups(request?: Init<typeof ListGroupsRequestSchema>, options?: CallOptions): AsyncGenerator<Group, void>;
    memberships(
      request: Init<typeof ListMembershipsRequestSchema>,
      options?: CallOptions,
    ): AsyncGenerator<GroupMembership, void>;
    roleAssignments(
      request?: Init<typeof ListRoleAssignmentsRequestSchema>,
      options?: CallOptions,
    ): AsyncGenerator<RoleAssignment, void>;
    serviceAccounts(
      request?: Init<typeof ListServiceAccountsRequestSchema>,
      options?: CallOptions,
    ): AsyncGenerator<ServiceAccount, void>;
    serviceAccountTokens(
      request?: Init<typeof ListServiceAccountTokensRequestSchema>,
      options?: CallOptions,
    ): AsyncGenerator<ServiceAccountToken, void>;
  };
}

/**
 * A client for every service, over one transport. Per-call options (`timeoutMs`,
 * `signal`, `headers`) pass through as the last argument of each method.
 */
export function createRunnerplaneClient(options: RunnerplaneClientOptions): RunnerplaneClient {
  const interceptors: Interceptor[] = [
    headersInterceptor(options),
    ...(options.retry === false ? [] : [retryInterceptor(options.retry)]),
    ...(options.interceptors ?? []),
  ];
  const transport =
    options.transport ??
    createProtocolTransport({
      baseUrl: options.baseUrl,
      protocol: options.protocol ?? "connect",
      binary: options.binary,
      interceptors,
    });
  const runners = createClient(RunnerService, transport);
  const configuration = createClient(RunnerConfigurationService, transport);
  const users = createClient(UserService, transport);
  const organization = createClient(OrganizationService, transport);
  const groups = createClient(GroupService, transport);
  const serviceAccounts = createClient(ServiceAccountService, transport);
  return {
    runners,
    configuration,
    identity: createClient(IdentityService, transport),
    interaction: createClient(RunnerInteractionService, transport),
    users,
    organization,
    groups,
    serviceAccounts,
    events: createClient(EventService, transport),
    runnerExtensions: createClient(RunnerExtensionService, transport),
    iterate: {
      runners: (request = {}, o) => listAll(runners.listRunners, request, (r) => r.runners, o),
      runnerPolicies: (request, o) => listAll(runners.listRunnerPolicies, request, (r) => r.policies, o),
      environmentClasses: (request = {}, o) =>
        listAll(configuration.listEnvironmentClasses, request, (r) => r.environmentClasses, o),
      scmIntegrations: (request = {}, o) =>
        listAll(configuration.listSCMIntegrations, request, (r) => r.integrations, o),
      hostAuthenticationTokens: (request = {}, o) =>
        listAll(configuration.listHostAuthenticationTokens, request, (r) => r.tokens, o),
      personalAccessTokens: (request = {}, o) =>
        listAll(users.listPersonalAccessTokens, request, (r) => r.personalAccessTokens, o),
      members: (request, o) => listAll(organization.listMembers, request, (r) => r.members, o),
      groups: (request = {}, o) => listAll(groups.listGroups, request, (r) => r.groups, o),
      memberships: (request, o) => listAll(groups.listMemberships, request, (r) => r.members, o),
      roleAssignments: (request = {}, o) => listAll(groups.listRoleAssignments, request, (r) => r.assignments, o),
      serviceAccounts: (request = {}, o) =>
        listAll(serviceAccounts.listServiceAccounts, request, (r) => r.serviceAccounts, o),
      serviceAccountTokens: (request = {}, o) =>
        listAll(serviceAccounts.listServiceAccountTokens, request, (r) => r.tokens, o),
    },
  };
}

/**
 * Authorization and User-Agent on every request. Exported for transports you create
 * yourself (`transport` option), which get none of the client's interceptors.
 */
export function headersInterceptor(options: Pick<RunnerplaneClientOptions, "token" | "userAgent">): Interceptor {
  const agent = `${options.userAgent ? `${options.userAgent} ` : ""}runnerplane-client/${version}`;
  return (next) => async (req) => {
    const token = typeof options.token === "function" ? await options.token() : options.token;
    if (token) req.header.set("authorization", `Bearer ${token}`);
    req.header.set(userAgentHeader, agent);
    return next(req);
  };
}
