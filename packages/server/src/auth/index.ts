export { createAuthenticationInterceptor, unauthenticatedMessage } from "./authentication-interceptor.js";
export type { Caller, DbPrincipal, OrgRole } from "./caller.js";
export { callerKey, callerOf, principalFromDb } from "./caller.js";
export type { AuthorizedRunner, AuthorizeRunnerOptions, RunnerAccessFacts, RunnerRole } from "./runner-access.js";
export {
  administeredRunnerCondition,
  authorizeRunner,
  readsRunnerSecrets,
  runnerNotFound,
  runnerRole,
  runnerSecretsReadableCondition,
  visibleRunnerCondition,
} from "./runner-access.js";
export { assertRunnerItself, requireRunnerItself } from "./runner-itself.js";
export type { NewToken, TokenKind } from "./token.js";
export { generateToken, hashToken, tokenKindOf } from "./token.js";
