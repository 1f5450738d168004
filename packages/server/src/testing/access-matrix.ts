/**
 * The cross-tenant access matrix: method × caller → expected outcome, as data. Each issue
 * that implements a method adds its row to auth/access-matrix.test.ts; this module runs
 * every row for every caller of the tenancy fixture over the real server.
 */
import { type Client, type Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { EventService } from "@runnerplane/api/gitpod/v1/event_pb";
import { GroupService } from "@runnerplane/api/gitpod/v1/group_pb";
import { IdentityService } from "@runnerplane/api/gitpod/v1/identity_pb";
import { OrganizationService } from "@runnerplane/api/gitpod/v1/organization_pb";
import { RunnerConfigurationService } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { RunnerInteractionService } from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { ServiceAccountService } from "@runnerplane/api/gitpod/v1/service_account_pb";
import { UserService } from "@runnerplane/api/gitpod/v1/user_pb";
import { bearer } from "./seed.js";
import type { CallerName, TenancyFixture } from "./tenancy-fixture.js";

export interface Clients {
  identity: Client<typeof IdentityService>;
  runners: Client<typeof RunnerService>;
  configuration: Client<typeof RunnerConfigurationService>;
  interaction: Client<typeof RunnerInteractionService>;
  users: Client<typeof UserService>;
  organization: Client<typeof OrganizationService>;
  groups: Client<typeof GroupService>;
  serviceAccounts: Client<typeof ServiceAccountService>;
  events: Client<typeof EventService>;
}

export type Outcome = "ok" | Code;

export interface AccessRow {
  /** e.g. "RunnerService.GetRunner on A's org runner". */
  name: string;
  call(clients: Clients, fx: TenancyFixture): Promise<unknown>;
  /** Every caller of the fixture must be listed: no row leaves a caller untested. */
  expect: Record<CallerName, Outcome>;
}

/**
 * Clients of every service over the real server, speaking Connect: binary over HTTP/1.1
 * (connect-node's default format), or as `options` say.
 */
export function clientsFor(baseUrl: string, token: string, options: { json?: boolean; http2?: boolean } = {}): Clients {
  return clientsOver(
    createConnectTransport({
      baseUrl,
      httpVersion: options.http2 ? "2" : "1.1",
      useBinaryFormat: !options.json,
      interceptors: [bearer(token)],
    }),
  );
}

export function clientsOver(transport: Transport): Clients {
  return {
    identity: createClient(IdentityService, transport),
    runners: createClient(RunnerService, transport),
    configuration: createClient(RunnerConfigurationService, transport),
    interaction: createClient(RunnerInteractionService, transport),
    users: createClient(UserService, transport),
    organization: createClient(OrganizationService, transport),
    groups: createClient(GroupService, transport),
    serviceAccounts: createClient(ServiceAccountService, transport),
    events: createClient(EventService, transport),
  };
}

/** Runs one cell: "ok" or the Connect code the call failed with. */
export async function outcomeOf(call: Promise<unknown>): Promise<Outcome> {
  try {
    await call;
    return "ok";
  } catch (error) {
    return ConnectError.from(error).code;
  }
}

/** Readable expectations: `{ ...everyone("ok"), "B admin": Code.NotFound }`. */
export function everyone(outcome: Outcome): Record<CallerName, Outcome> {
  return {
    "A admin": outcome,
    "A member": outcome,
    "A service account": outcome,
    "A policy admin": outcome,
    "A policy user": outcome,
    "A user-runner creator": outcome,
    "A org runner itself": outcome,
    "B admin": outcome,
    "B member": outcome,
  };
}
