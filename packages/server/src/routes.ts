/**
 * Which implementation answers each service of the contract. Every service is registered
 * with every method: a method not implemented yet answers `unimplemented` with a message
 * naming it (connect-es does so for each method missing from an implementation), until
 * the issue that builds it lands.
 */
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { EventService } from "@runnerplane/api/gitpod/v1/event_pb";
import { GroupService } from "@runnerplane/api/gitpod/v1/group_pb";
import { IdentityService } from "@runnerplane/api/gitpod/v1/identity_pb";
import { OrganizationService } from "@runnerplane/api/gitpod/v1/organization_pb";
import { RunnerConfigurationService } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { RunnerInteractionService } from "@runnerplane/api/gitpod/v1/runner_interaction_pb";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { ServiceAccountService } from "@runnerplane/api/gitpod/v1/service_account_pb";
import { UserService } from "@runnerplane/api/gitpod/v1/user_pb";
import { Health } from "@runnerplane/api/grpc/health/v1/health_pb";
import { ServerReflection } from "@runnerplane/api/grpc/reflection/v1/reflection_pb";
import { ServerReflection as ServerReflectionV1alpha } from "@runnerplane/api/grpc/reflection/v1alpha/reflection_pb";
import { RunnerExtensionService } from "@runnerplane/api/runnerplane/runner/v1/runner_extension_pb";
import { type Authenticate, createAuthenticate, createAuthenticationInterceptor } from "./auth/index.js";
import type { Clock } from "./clock.js";
import type { KeyRing } from "./crypto/index.js";
import type { Readiness, Sql } from "./db/index.js";
import { serverSecret } from "./db/server-secrets.js";
import type { Logger } from "./logging/index.js";
import { type PageTokens, pageTokensFromDatabase } from "./pagination/index.js";
import {
  createExtensionRelay,
  createRunnerNotifier,
  type ExtensionRelay,
  type Relay,
  type RunnerNotifier,
} from "./relay/index.js";
import {
  createDeadlineInterceptor,
  createErrorInterceptor,
  createPaginationQueryInterceptor,
  createRequestScopeInterceptor,
} from "./rpc/index.js";
import { createEventService } from "./services/event-service.js";
import { createGroupService } from "./services/group-service.js";
import { createHealthService } from "./services/health-service.js";
import { createIdentityService } from "./services/identity-service.js";
import { operationServices } from "./services/operation-services.js";
import { createOrganizationService } from "./services/organization-service.js";
import { createReflectionServices } from "./services/reflection-service.js";
import { createRunnerConfigurationService } from "./services/runner-configuration/index.js";
import { createRunnerExtensionService } from "./services/runner-extension-service.js";
import { createRunnerInteractionService } from "./services/runner-interaction-service.js";
import { createRunnerService } from "./services/runner-service.js";
import { createServiceAccountService } from "./services/service-account-service.js";
import { createUserService } from "./services/user-service.js";
import type { SignInSettings } from "./sign-in/settings.js";
import { createValidationInterceptor } from "./validation/index.js";

export const services = [
  RunnerService,
  RunnerConfigurationService,
  IdentityService,
  RunnerInteractionService,
  UserService,
  OrganizationService,
  GroupService,
  ServiceAccountService,
  EventService,
];

/** runnerplane's own services beside the contract's (docs/relay.md, "Protocol extensions"). */
export const ownServices = [RunnerExtensionService];

/** Every service this server serves: the procedure labels of its metrics, what reflection lists. */
export const servedServices = [...services, ...ownServices, ...operationServices];

export interface ServiceDeps {
  sql: Sql;
  clock: Clock;
  log: Logger;
  pageTokens: () => Promise<PageTokens>;
  /** Encrypts host tokens at rest. */
  keyRing: KeyRing;
  /** This server's public base URL (OAuth callbacks in the default schema). */
  publicUrl: string;
  /** Calls to runners and their streams (docs/relay.md). */
  relay: Relay;
  /** The relay's lane for runnerplane's protocol extensions (the OAuth flow's calls). */
  extensionRelay: ExtensionRelay;
  notifier: RunnerNotifier;
  /** Sessions, their cookie, return paths, OIDC issuers (docs/sign-in.md). */
  signIn: SignInSettings;
}

/** What the health service reports (services/health-service.ts). */
export interface HealthDeps {
  ready: Readiness;
  /** Aborted when the server begins to shut down. */
  shutdown: AbortSignal;
}

export function serviceDeps(
  base: Omit<ServiceDeps, "pageTokens" | "notifier" | "extensionRelay"> & { extensionRelay?: ExtensionRelay },
): ServiceDeps {
  return {
    ...base,
    extensionRelay: base.extensionRelay ?? createExtensionRelay(base),
    pageTokens: pageTokensFromDatabase(() => serverSecret(base.sql, "page-token-key")),
    notifier: createRunnerNotifier(base.relay, base.log),
  };
}

/**
 * The interceptor chain every method runs through, outermost first. The request scope
 * ties the call's database statements to it; errors are translated last, after every
 * other layer had its say; authentication comes before validation, so
 * an anonymous caller learns nothing about request shapes. `authenticate` is shared with the
 * lean WatchRequests path (relay/watch-handler.ts), which must judge credentials identically.
 */
export function interceptors(deps: ServiceDeps, authenticate: Authenticate = createAuthenticate(deps)): Interceptor[] {
  const { log } = deps;
  return [
    createRequestScopeInterceptor(),
    createErrorInterceptor(log),
    createDeadlineInterceptor(),
    createAuthenticationInterceptor(authenticate),
    createPaginationQueryInterceptor(),
    createValidationInterceptor(),
  ];
}

export function routes(router: ConnectRouter, deps: ServiceDeps, health: HealthDeps): void {
  router.service(RunnerService, createRunnerService(deps));
  router.service(RunnerConfigurationService, createRunnerConfigurationService(deps));
  router.service(IdentityService, createIdentityService(deps));
  router.service(RunnerInteractionService, createRunnerInteractionService(deps));
  // The services of the second wave (wire-contract-admin.md). A method not built yet answers
  // `unimplemented` until the issue that builds it lands.
  router.service(UserService, createUserService(deps));
  router.service(OrganizationService, createOrganizationService(deps));
  router.service(GroupService, createGroupService(deps));
  router.service(ServiceAccountService, createServiceAccountService(deps));
  router.service(EventService, createEventService(deps));
  router.service(Health, createHealthService({ ...health, services: servedServices.map((s) => s.typeName) }));
  const reflection = createReflectionServices(servedServices);
  router.service(ServerReflection, reflection.v1);
  router.service(ServerReflectionV1alpha, reflection.v1alpha);
  router.service(RunnerExtensionService, createRunnerExtensionService(deps));
}
