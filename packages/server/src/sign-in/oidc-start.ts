/**
 * `GET /auth/oidc/start?organization_id=…` or `?email=…` (optional `return_to`): finds the
 * org's active SSO configuration and sends the browser to its IdP with the authorization-code
 * flow, PKCE (S256), a state and a nonce, all kept server-side and bound to this browser by a
 * cookie (docs/sign-in.md "The OIDC login").
 */
import { randomBytes } from "node:crypto";
import type { KeyRing } from "../crypto/index.js";
import { saveOidcLogin } from "../db/oidc-logins.js";
import {
  activeSsoConfigurationsForDomain,
  activeSsoConfigurationsOf,
  type DbSsoConfiguration,
} from "../db/sso-configurations.js";
import { bindingCookie as sharedBindingCookie } from "../http/binding-cookie.js";
import type { PageRoute } from "../http/front-door.js";
import type { ServiceDeps } from "../routes.js";
import { clientSecretContext } from "../services/sso-configurations.js";
import { isUuid } from "../validation/index.js";
import { methodNotAllowed, redirect, sendPage } from "./http.js";
import { authorizationRequest, discover } from "./oidc-client.js";
import { safeReturnPath } from "./return-path.js";
import { oidcLoginLifetimeMs } from "./settings.js";

export const callbackPath = "/auth/oidc/callback";

/**
 * The cookie binding a login to the browser that started it; sent only to /auth/oidc/. A
 * `__Host-` cookie must have Path=/, so the binding cookie of a `__Host-` session cookie is
 * `__Secure-` instead (still Secure-only).
 */
export function bindingCookieName(sessionCookieName: string): string {
  return `${sessionCookieName.replace(/^__host-/i, "__Secure-")}_oidc`;
}

export function bindingCookie(name: string, value: string, publicUrl: string, maxAgeMs: number): string {
  return sharedBindingCookie(name, value, { publicUrl, path: "/auth/oidc", maxAgeSeconds: maxAgeMs / 1000 });
}

/** The OIDC client settings of a stored configuration, its secret decrypted. */
export function clientSettingsOf(row: DbSsoConfiguration, keyRing: KeyRing) {
  return {
    issuerUrl: row.issuer_url,
    clientId: row.client_id,
    clientSecret: keyRing.decrypt(row.client_secret_key_id, row.client_secret_ciphertext, clientSecretContext(row.id)),
  };
}

export function oidcStartPage(deps: ServiceDeps): PageRoute {
  const { sql, clock, keyRing, publicUrl, signIn, log } = deps;
  return {
    path: "/auth/oidc/start",
    async handle(req, res, info) {
      if (req.method !== "GET") return methodNotAllowed(req, res, "GET");
      const query = new URL(req.url ?? "/", "http://start.invalid").searchParams;
      const organizationId = query.get("organization_id");
      const email = query.get("email")?.trim().toLowerCase();
      let candidates: DbSsoConfiguration[];
      if (organizationId) {
        if (!isUuid(organizationId)) {
          return sendPage(res, 400, "Sign-in failed", "organization_id must be a UUID.");
        }
        candidates = await activeSsoConfigurationsOf(sql, organizationId.toLowerCase());
      } else if (email) {
        const at = email.lastIndexOf("@");
        if (at < 1 || at === email.length - 1) {
          return sendPage(res, 400, "Sign-in failed", "That is not an email address.");
        }
        candidates = await activeSsoConfigurationsForDomain(sql, email.slice(at + 1));
      } else {
        return sendPage(res, 400, "Sign-in failed", "Say who you are: organization_id or email.");
      }
      if (candidates.length === 0) {
        return sendPage(res, 404, "Sign-in failed", "No single sign-on is set up for that organization or address.");
      }
      const orgs = new Set(candidates.map((c) => c.organization_id));
      if (candidates.length > 1 && (organizationId || orgs.size > 1)) {
        return sendPage(
          res,
          409,
          "Sign-in failed",
          organizationId
            ? "This organization has several identity providers; sign in with your email address."
            : "Several organizations use this email domain; sign in with your organization's id.",
        );
      }
      const configuration = candidates[0] as DbSsoConfiguration;
      let oidc: Awaited<ReturnType<typeof discover>>;
      try {
        oidc = await discover(clientSettingsOf(configuration, keyRing), signIn.allowInsecureIssuers);
      } catch (error) {
        log.warn("identity provider unreachable", {
          request_id: info.id,
          sso_configuration_id: configuration.id,
          error: (error as Error).message,
        });
        return sendPage(res, 502, "Sign-in failed", "The identity provider could not be reached. Try again later.");
      }
      const request = await authorizationRequest(
        oidc,
        `${publicUrl}${callbackPath}`,
        configuration.additional_scopes,
        email,
      );
      const binding = randomBytes(32).toString("base64url");
      const now = clock.now();
      await saveOidcLogin(
        sql,
        keyRing,
        {
          state: request.state,
          binding,
          sso_configuration_id: configuration.id,
          code_verifier: request.codeVerifier,
          nonce: request.nonce,
          return_to: safeReturnPath(query.get("return_to"), signIn.returnPaths),
          expires_at: new Date(now.getTime() + oidcLoginLifetimeMs),
        },
        now,
      );
      redirect(res, request.url.href, [
        bindingCookie(bindingCookieName(signIn.cookieName), binding, publicUrl, oidcLoginLifetimeMs),
      ]);
    },
  };
}
