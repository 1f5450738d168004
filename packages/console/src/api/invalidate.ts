/**
 * After a mutation, every query of the services it touches is refetched: one partial key per
 * service (createConnectQueryKey without method or input), so no page names query keys.
 */
import type { DescService } from "@bufbuild/protobuf";
import { createConnectQueryKey } from "@connectrpc/connect-query";
import { EventService } from "@runnerplane/api/gitpod/v1/event_pb";
import { GroupService } from "@runnerplane/api/gitpod/v1/group_pb";
import { OrganizationService } from "@runnerplane/api/gitpod/v1/organization_pb";
import { RunnerConfigurationService } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { ServiceAccountService } from "@runnerplane/api/gitpod/v1/service_account_pb";
import { UserService } from "@runnerplane/api/gitpod/v1/user_pb";
import type { QueryClient } from "@tanstack/react-query";

function invalidator(...services: DescService[]) {
  return (queryClient: QueryClient) =>
    Promise.all(
      services.map((schema) =>
        queryClient.invalidateQueries({ queryKey: createConnectQueryKey({ schema, cardinality: undefined }) }),
      ),
    ).then(() => undefined);
}

/** Runners, their tokens and policies (policies are role assignments too). */
export const invalidateRunners = invalidator(RunnerService, GroupService, EventService);
/** Environment classes, SCM integrations, host tokens. */
export const invalidateConfiguration = invalidator(RunnerConfigurationService, RunnerService, EventService);
/** Members, roles, SSO configurations. */
export const invalidateOrganization = invalidator(OrganizationService, EventService);
/** Groups, memberships, role assignments (and the runner policies they are). */
export const invalidateGroups = invalidator(GroupService, RunnerService, EventService);
export const invalidateServiceAccounts = invalidator(ServiceAccountService, GroupService, EventService);
/** The caller's personal access tokens. */
export const invalidateUsers = invalidator(UserService, EventService);
