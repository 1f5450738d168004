/**
 * `POST /auth/token`: a person without an IdP signs in by pasting a personal access token
 * (docs/sign-in.md). The token is judged by the same lookup and rule as an API call; only a
 * user's token starts a session, which then authenticates exactly as the token would.
 */
import { Code } from "@connectrpc/connect";
import { requestFactsOf } from "../audit/index.js";
import { findTokenOfKind } from "../auth/authentication-interceptor.js";
import { credentialCaller } from "../auth/credential.js";
import type { TokenKind } from "../crypto/tokens.js";
import { findTokenForAuth } from "../db/tokens.js";
import type { PageRoute } from "../http/front-door.js";
import type { ServiceDeps } from "../routes.js";
import { signInFailed, signInSucceeded } from "./events.js";
import { methodNotAllowed, readFields, redirect, sendError, sendJson } from "./http.js";
import { safeReturnPath } from "./return-path.js";
import { fromOwnOrigin, ownOriginMessage } from "./same-origin.js";
import { setSessionCookie } from "./session-cookie.js";

/** Only a personal access token signs in (a runner's tokens never do). */
const personalAccess: ReadonlySet<TokenKind> = new Set(["personal_access"]);

export const invalidTokenMessage = "that is not a valid personal access token of an active user";

export function tokenSignInPage(deps: ServiceDeps): PageRoute {
  const { sql, clock, publicUrl, signIn } = deps;
  return {
    path: "/auth/token",
    async handle(req, res, info) {
      if (req.method !== "POST") return methodNotAllowed(req, res, "POST");
      const header = (name: string) => req.headers[name] as string | undefined;
      if (!fromOwnOrigin(header, publicUrl)) {
        return sendError(res, 403, Code.PermissionDenied, ownOriginMessage(publicUrl));
      }
      const body = await readFields(req);
      if ("error" in body) return sendError(res, body.status, Code.InvalidArgument, body.error);
      const token = (body.fields.token ?? "").trim();
      const now = clock.now();
      const row = await findTokenOfKind((t) => findTokenForAuth(sql, t), token, personalAccess);
      const caller = row && credentialCaller(row, "token", now);
      if (!row || !caller || row.principal !== "user") {
        await signInFailed(
          deps,
          {
            method: "personal_access_token",
            reason: !row ? "unknown token" : !caller ? "token or user not valid" : "not a user's token",
            organizationId: row?.organization_id,
            actor:
              row && (row.principal === "user" || row.principal === "service_account")
                ? { principal: row.principal, id: row.subject_id }
                : undefined,
          },
          requestFactsOf(info),
        );
        return sendError(res, 401, Code.Unauthenticated, invalidTokenMessage);
      }
      const maxEnd = now.getTime() + signIn.maxAgeMs;
      const expiresAt = new Date(row.expires_at ? Math.min(row.expires_at.getTime(), maxEnd) : maxEnd);
      const { secret } = await signInSucceeded(
        deps,
        {
          organizationId: caller.organizationId,
          memberId: caller.subject.id,
          method: "personal_access_token",
          tokenId: row.id,
          readOnly: row.read_only,
          expiresAt,
        },
        requestFactsOf(info),
      );
      const cookie = setSessionCookie(signIn.cookieName, secret, publicUrl, expiresAt.getTime() - now.getTime());
      if (body.kind === "form")
        return redirect(res, safeReturnPath(body.fields.return_to, signIn.returnPaths), [cookie]);
      sendJson(res, 200, { user_id: caller.subject.id, organization_id: caller.organizationId }, [cookie]);
    },
  };
}
