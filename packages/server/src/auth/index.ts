export type { NewToken, TokenKind } from "../crypto/tokens.js";
export { generateToken, hashToken, tokenKindOf } from "../crypto/tokens.js";
export type { Authenticate } from "./authentication-interceptor.js";
export {
  createAuthenticate,
  createAuthenticationInterceptor,
  isPublicMethod,
  unauthenticatedMessage,
} from "./authentication-interceptor.js";
export type { Caller, DbPrincipal, OrgRole } from "./caller.js";
export { callerKey, callerOf, principalFromDb } from "./caller.js";
export { authorizeOrganization, orgAdmin, orgMember } from "./organization-access.js";
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
