export { signedOut, signInFailed, signInSucceeded } from "./events.js";
export { logoutPage } from "./logout.js";
export { safeReturnPath } from "./return-path.js";
export { fromOwnOrigin, ownOriginMessage } from "./same-origin.js";
export { clearSessionCookie, sessionCookieValue, setSessionCookie } from "./session-cookie.js";
export type { SignInSettings } from "./settings.js";
export { oidcLoginLifetimeMs, sessionTouchIntervalMs, signInDefaults } from "./settings.js";
export { invalidTokenMessage, tokenSignInPage } from "./token-sign-in.js";
