export type { LoginLinkDeps } from "./login-links.js";
export {
  callbackPath,
  hostOfContextUrl,
  loginAttemptLifetimeMs,
  mintLoginLink,
  startPath,
  withLoginLink,
} from "./login-links.js";
export type { OAuthPagesDeps } from "./oauth-pages.js";
export { oauthPages } from "./oauth-pages.js";
