/**
 * `GET /auth/oidc/callback`: where the IdP sends the browser back. The login is taken once
 * (state + the browser's binding cookie), the code exchanged and the ID token verified by
 * openid-client, the user found by (issuer, subject) or created from the verified claims,
 * and a session started (docs/sign-in.md "The OIDC login").
 */
import { parseCookie } from "cookie";
import { requestFactsOf } from "../audit/index.js";
import { findOrCreateIdentifiedUser } from "../db/member-identities.js";
import { takeOidcLogin } from "../db/oidc-logins.js";
import { findActiveSsoConfiguration } from "../db/sso-configurations.js";
import type { PageRoute } from "../http/front-door.js";
import type { ServiceDeps } from "../routes.js";
import { signInFailed, signInSucceeded, userProvisioned } from "./events.js";
import { methodNotAllowed, redirect, sendPage } from "./http.js";
import { completeLogin, discover, type VerifiedIdentity } from "./oidc-client.js";
import { bindingCookie, bindingCookieName, callbackPath, clientSettingsOf } from "./oidc-start.js";
import { setSessionCookie } from "./session-cookie.js";

const nameLimit = 127;

export function oidcCallbackPage(deps: ServiceDeps): PageRoute {
  const { sql, clock, keyRing, publicUrl, signIn, log } = deps;
  const bindingName = bindingCookieName(signIn.cookieName);
  return {
    path: callbackPath,
    async handle(req, res, info) {
      if (req.method !== "GET") return methodNotAllowed(req, res, "GET");
      const cleared = bindingCookie(bindingName, "", publicUrl, 0);
      const query = new URL(req.url ?? "/", "http://callback.invalid").searchParams;
      const refuse = async (
        status: number,
        message: string,
        reason: string,
        ids: { organizationId?: string; ssoConfigurationId?: string; actor?: { principal: "user"; id: string } } = {},
      ) => {
        await signInFailed(deps, { method: "oidc", reason, ...ids }, requestFactsOf(info));
        sendPage(res, status, "Sign-in failed", message, [cleared]);
      };
      const state = query.get("state");
      const binding = req.headers.cookie ? parseCookie(req.headers.cookie)[bindingName] : undefined;
      if (!state || !binding) {
        return refuse(
          400,
          "This sign-in was not started in this browser, or it took too long. Start again.",
          "no state or binding",
        );
      }
      const now = clock.now();
      const login = await takeOidcLogin(sql, keyRing, state, binding, now);
      if (!login) {
        return refuse(
          400,
          "This sign-in is unknown, already used or expired. Start again.",
          "unknown, replayed or expired state",
        );
      }
      const configuration = await findActiveSsoConfiguration(sql, login.sso_configuration_id);
      if (!configuration) {
        return refuse(
          400,
          "Single sign-on is no longer set up for this organization.",
          "configuration gone or inactive",
          {
            ssoConfigurationId: login.sso_configuration_id,
          },
        );
      }
      const ids = { organizationId: configuration.organization_id, ssoConfigurationId: configuration.id };
      if (query.get("error")) {
        // Anyone can send a browser here with `error=…` and a state it started: logged, but no
        // audit entry (no org to file it under), so the audit log cannot be flooded anonymously.
        return refuse(403, "The identity provider did not sign you in.", `idp error ${query.get("error")}`, {
          ssoConfigurationId: configuration.id,
        });
      }
      let identity: VerifiedIdentity;
      try {
        const oidc = await discover(clientSettingsOf(configuration, keyRing), signIn.allowInsecureIssuers);
        const callbackUrl = new URL(`${publicUrl}${callbackPath}`);
        callbackUrl.search = query.toString();
        identity = await completeLogin(oidc, callbackUrl, {
          state,
          nonce: login.nonce,
          codeVerifier: login.code_verifier,
        });
      } catch (error) {
        const e = error as Error & { code?: string };
        // The library's reason (which check failed), never the token itself.
        log.info("OIDC login not verified", {
          request_id: info.id,
          error_name: e.name,
          error_code: e.code,
          error: e.message,
          cause: e.cause instanceof Error ? e.cause.message : undefined,
        });
        return refuse(
          400,
          "The identity provider's answer could not be verified.",
          `not verified: ${e.code ?? e.name}`,
          ids,
        );
      }
      const email = identity.email?.toLowerCase();
      const domain = email?.slice(email.lastIndexOf("@") + 1);
      if (!email || !domain || !email.includes("@")) {
        return refuse(403, "The identity provider did not share your email address.", "no email claim", ids);
      }
      // Only an address the IdP vouches for decides the domain check: a missing claim is not a yes.
      if (identity.emailVerified !== true) {
        return refuse(403, "Your email address is not verified at the identity provider.", "email not verified", ids);
      }
      if (!configuration.email_domains.includes(domain)) {
        return refuse(
          403,
          "Your email address is not in a domain this organization signs in.",
          "email outside the domains",
          ids,
        );
      }
      const name = [...(identity.name?.trim() || email.slice(0, email.indexOf("@")))].slice(0, nameLimit).join("");
      const { user } = await sql.begin(async (tx) => {
        const found = await findOrCreateIdentifiedUser(
          tx,
          { organizationId: configuration.organization_id, issuer: identity.issuer, subject: identity.subject },
          { name, email },
        );
        // A first sign-in creates the user (just in time): that is a change of its own.
        if (found.created) await userProvisioned(tx, found.user, requestFactsOf(info), clock.now());
        return found;
      });
      if (user.suspended) {
        return refuse(403, "Your account is suspended.", "user suspended", {
          ...ids,
          actor: { principal: "user", id: user.id },
        });
      }
      const expiresAt = new Date(now.getTime() + signIn.maxAgeMs);
      const { secret } = await signInSucceeded(
        deps,
        {
          organizationId: user.organization_id,
          memberId: user.id,
          method: "oidc",
          ssoConfigurationId: configuration.id,
          expiresAt,
        },
        requestFactsOf(info),
      );
      redirect(res, login.return_to, [
        setSessionCookie(signIn.cookieName, secret, publicUrl, signIn.maxAgeMs),
        cleared,
      ]);
    },
  };
}
