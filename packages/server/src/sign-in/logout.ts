/** `POST /auth/logout`: ends the browser's session and forgets its cookie (docs/sign-in.md). */
import { Code } from "@connectrpc/connect";
import { requestFactsOf } from "../audit/index.js";
import type { PageRoute } from "../http/front-door.js";
import type { ServiceDeps } from "../routes.js";
import { signedOut } from "./events.js";
import { methodNotAllowed, readFields, redirect, sendError } from "./http.js";
import { safeReturnPath } from "./return-path.js";
import { fromOwnOrigin, ownOriginMessage } from "./same-origin.js";
import { clearSessionCookie, sessionCookieValue } from "./session-cookie.js";

export function logoutPage(deps: ServiceDeps): PageRoute {
  const { publicUrl, signIn } = deps;
  return {
    path: "/auth/logout",
    async handle(req, res, info) {
      if (req.method !== "POST") return methodNotAllowed(req, res, "POST");
      const header = (name: string) => req.headers[name] as string | undefined;
      if (!fromOwnOrigin(header, publicUrl)) {
        return sendError(res, 403, Code.PermissionDenied, ownOriginMessage(publicUrl));
      }
      // An empty body is a logout too (fetch("/auth/logout", { method: "POST" })).
      const hasBody = req.headers["content-type"] !== undefined;
      const body = hasBody ? await readFields(req) : undefined;
      if (body && "error" in body) return sendError(res, body.status, Code.InvalidArgument, body.error);
      const secret = sessionCookieValue(req.headers.cookie, signIn.cookieName);
      if (secret) await signedOut(deps, secret, requestFactsOf(info));
      const cleared = clearSessionCookie(signIn.cookieName, publicUrl);
      if (body?.kind === "form")
        return redirect(res, safeReturnPath(body.fields.return_to, signIn.returnPaths), [cleared]);
      res.writeHead(204, { "set-cookie": [cleared], "cache-control": "no-store" }).end();
    },
  };
}
