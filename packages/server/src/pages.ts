/**
 * The endpoints a browser or an operator's tool opens that are not RPCs: sign-in and
 * OAuth pages, documents. Each lives in its own module and is listed here, so the set of
 * non-RPC paths the server answers is visible in one place (the front door asks these
 * after its probes, before answering "no such path").
 */
import type { PageRoute } from "./http/front-door.js";
import { openApiRoute } from "./openapi/index.js";
import type { ServiceDeps } from "./routes.js";
import { oauthPages } from "./services/scm-oauth/index.js";
import { logoutPage, oidcCallbackPage, oidcStartPage, tokenSignInPage } from "./sign-in/index.js";

export function pages(deps: ServiceDeps): PageRoute[] {
  return [
    openApiRoute(),
    // POST /auth/token, POST /auth/logout, GET /auth/oidc/start, GET /auth/oidc/callback (docs/sign-in.md)
    tokenSignInPage(deps),
    logoutPage(deps),
    oidcStartPage(deps),
    oidcCallbackPage(deps),
    // GET /auth/oauth2/start, GET /auth/oauth2/callback (docs/scm-oauth.md)
    ...oauthPages(deps),
  ];
}
