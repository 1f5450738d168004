/**
 * GET /auth/oauth2/start and GET /auth/oauth2/callback: the server as the runner's gateway for
 * the browser (behaviour.md §11, docs/scm-oauth.md). The runner builds the authorize URL and
 * exchanges the code (over the extension lane, docs/relay.md); the server keeps the attempt,
 * the state, the PKCE verifier and the browser binding.
 */
import { randomBytes } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import type { SendExtensionResponseRequest } from "@runnerplane/api/runnerplane/runner/v1/runner_extension_pb";
import { parse as parseCookies } from "cookie";
import { authenticateSession } from "../../auth/authentication-interceptor.js";
import type { Clock } from "../../clock.js";
import type { KeyRing } from "../../crypto/index.js";
import { hashToken } from "../../crypto/tokens.js";
import { isConnectionError, type Sql } from "../../db/index.js";
import {
  type DbScmLoginAttempt,
  findOpenScmLoginAttempt,
  findScmLoginAttemptByState,
  startScmLoginAttempt,
  useScmLoginAttempt,
} from "../../db/scm-login-attempts.js";
import { bindingCookie as sharedBindingCookie } from "../../http/binding-cookie.js";
import { type NodeResponse, writeMethodNotAllowed } from "../../http/error-response.js";
import type { PageRoute } from "../../http/front-door.js";
import type { NodeRequest } from "../../http/json-body.js";
import type { Logger } from "../../logging/index.js";
import { type ExtensionRelay, type ExtensionRequest, runnerAnswerTimeoutMs } from "../../relay/index.js";
import { safeReturnPath } from "../../sign-in/return-path.js";
import { sessionCookieValue } from "../../sign-in/session-cookie.js";
import type { SignInSettings } from "../../sign-in/settings.js";
import { isUuid } from "../../validation/index.js";
import { sendPage } from "./html.js";
import { callbackPath, startPath } from "./login-links.js";

/** The exchange talks to the SCM twice (token, account) and to the server once: more time than a plain call. */
const exchangeTimeoutMs = 3 * runnerAnswerTimeoutMs;

type Answer = SendExtensionResponseRequest["response"];

export interface OAuthPagesDeps {
  sql: Sql;
  clock: Clock;
  log: Logger;
  keyRing: KeyRing;
  publicUrl: string;
  extensionRelay: ExtensionRelay;
  signIn: Pick<SignInSettings, "cookieName" | "idleTimeoutMs" | "returnPaths">;
}

/** Associated data binding a PKCE verifier's ciphertext to its attempt. */
const verifierContext = (attemptId: string) => `scm-login-attempt:${attemptId}:pkce`;
const cookieName = (attemptId: string) => `rp_oauth_${attemptId.replaceAll("-", "")}`;
const sha256 = hashToken;
const randomToken = () => randomBytes(32).toString("base64url");

export function oauthPages(deps: OAuthPagesDeps): PageRoute[] {
  const { sql, clock, log, keyRing, publicUrl, extensionRelay, signIn } = deps;
  const redirectUri = `${publicUrl}${callbackPath}`;

  /** The cookie binding this browser to the attempt (or clearing it: maxAge 0). */
  const bindingCookie = (attemptId: string, value: string, maxAgeSeconds: number) =>
    sharedBindingCookie(cookieName(attemptId), value, { publicUrl, path: "/auth/oauth2", maxAgeSeconds });

  /** Asks the runner on the extension lane; a failure becomes the page the browser sees. */
  async function askRunner(
    req: NodeRequest,
    attempt: DbScmLoginAttempt,
    request: ExtensionRequest,
    timeoutMs: number,
  ): Promise<{ ok: true; answer: Answer } | { ok: false; status: number; title: string; message: string }> {
    const abort = new AbortController();
    const onClose = () => abort.abort(new ConnectError("the browser went away", Code.Canceled));
    req.once("close", onClose);
    try {
      const answer = (await extensionRelay.call(attempt.runner_id, request, timeoutMs, abort.signal)).response;
      if (answer.case === request.case) return { ok: true, answer };
      const why = answer.case === "error" ? answer.value.message : `it answered ${answer.case ?? "nothing"}`;
      return { ok: false, status: 502, title: `Could not connect ${attempt.host}`, message: why };
    } catch (error) {
      const e = ConnectError.from(error);
      if (e.code === Code.Unavailable) {
        return {
          ok: false,
          status: 503,
          title: "The runner is not connected",
          message: `The runner that connects you to ${attempt.host} is not connected right now (or does not support signing in with OAuth). Nothing was stored; try again later.`,
        };
      }
      if (e.code === Code.DeadlineExceeded) {
        return {
          ok: false,
          status: 504,
          title: "The runner did not answer",
          message: `The runner that connects you to ${attempt.host} did not answer in time. Nothing was stored; try again.`,
        };
      }
      throw error;
    } finally {
      req.off("close", onClose);
    }
  }

  const start: PageRoute = {
    path: startPath,
    async handle(req, res, info) {
      if (!onlyGet(req, res)) return;
      const url = new URL(req.url ?? "/", publicUrl);
      const attemptId = url.searchParams.get("attempt") ?? "";
      const attempt = isUuid(attemptId) ? await findOpenScmLoginAttempt(sql, attemptId, clock.now()) : undefined;
      if (!attempt) {
        return sendPage(
          res,
          400,
          "This sign-in link does not work",
          "The link is unknown, has expired (links last 10 minutes) or was already used. Ask for a new one: check the host's authentication again.",
        );
      }
      // The link connects the SCM account of whoever follows it: only the attempt's own user
      // may (an account-linking attack otherwise, docs/scm-oauth.md#who-may-follow-a-link).
      const secret = sessionCookieValue(req.headers.cookie, signIn.cookieName);
      const session = secret && (await authenticateSession(sql, clock.now(), secret, signIn.idleTimeoutMs));
      if (!session) {
        const back = `${url.pathname}${url.search}`;
        return sendPage(
          res,
          401,
          "Sign in first",
          `This link connects your ${attempt.host} account to your runnerplane account. Sign in, then open the link again. Nothing was stored.`,
          {},
          { href: `/?return_to=${encodeURIComponent(back)}`, text: "Sign in" },
        );
      }
      // Connecting an account stores a host token: a write a read-only session may not make.
      if (session.readOnly) {
        return sendPage(
          res,
          403,
          "Read-only sign-in",
          `You signed in with a read-only token, which cannot connect your ${attempt.host} account. Nothing was stored. Sign in with a token that is not read-only (or with SSO), then open the link again.`,
        );
      }
      const caller = session.caller;
      if (caller.subject.id !== attempt.subject_id || caller.organizationId !== attempt.organization_id) {
        log.info("an OAuth link was opened by another account than its own", {
          request_id: info.id,
          attempt_id: attempt.id,
        });
        return sendPage(
          res,
          403,
          "This link is someone else's",
          "This link was made for another account, so it cannot connect yours. Nothing was stored. Ask for a link of your own: check the host's authentication again while signed in as yourself.",
        );
      }
      // The same rule as the sign-in pages (sign-in/return-path.ts, RUNNERPLANE_SIGN_IN_RETURN_PATHS);
      // a return_to it refuses → the result page (which names the connected account).
      const rawReturn = url.searchParams.get("return_to");
      const safe = rawReturn ? safeReturnPath(rawReturn, signIn.returnPaths) : "/";
      const returnTo = rawReturn && (safe !== "/" || rawReturn === "/") ? `${publicUrl}${safe}` : null;
      const state = randomToken();
      const binding = randomToken();
      // PKCE (RFC 7636): a 43-character verifier from 32 random bytes; S256 challenge.
      const verifier = randomToken();
      const asked = await askRunner(
        req,
        attempt,
        {
          case: "callOauthAuthorize",
          value: {
            integrationId: attempt.integration_id,
            host: attempt.host,
            redirectUri,
            state,
            codeChallenge: sha256(verifier).toString("base64url"),
          },
        },
        runnerAnswerTimeoutMs,
      );
      if (!asked.ok) return sendPage(res, asked.status, asked.title, asked.message);
      const authorizeUrl =
        asked.answer.case === "callOauthAuthorize" ? httpUrl(asked.answer.value.authorizeUrl) : undefined;
      if (!authorizeUrl) {
        log.warn("a runner answered an authorize URL that is not http(s)", { runner_id: attempt.runner_id });
        return sendPage(
          res,
          502,
          `Could not connect ${attempt.host}`,
          "The runner answered an unusable sign-in address.",
        );
      }
      const sealed = keyRing.encrypt(verifier, verifierContext(attempt.id));
      const started = await sql.begin((tx) =>
        startScmLoginAttempt(
          tx,
          attempt.id,
          {
            stateHash: sha256(state),
            bindingHash: sha256(binding),
            verifier: { keyId: sealed.keyId, ciphertext: sealed.ciphertext },
            returnTo,
          },
          clock.now(),
        ),
      );
      if (!started) {
        return sendPage(res, 400, "This sign-in link does not work", "The link has expired or was already used.");
      }
      const maxAge = Math.max(1, Math.floor((attempt.expires_at.getTime() - clock.now().getTime()) / 1000));
      res
        .writeHead(302, {
          location: authorizeUrl,
          "set-cookie": bindingCookie(attempt.id, binding, maxAge),
          "cache-control": "no-store",
          "referrer-policy": "no-referrer",
        })
        .end();
    },
  };

  const callback: PageRoute = {
    path: callbackPath,
    async handle(req, res) {
      if (!onlyGet(req, res)) return;
      const url = new URL(req.url ?? "/", publicUrl);
      const state = url.searchParams.get("state") ?? "";
      const failed = (status: number, title: string, message: string, attempt?: DbScmLoginAttempt) =>
        sendPage(res, status, title, message, attempt ? { "set-cookie": bindingCookie(attempt.id, "", 0) } : {});
      const found = state ? await findScmLoginAttemptByState(sql, sha256(state)) : undefined;
      if (!found) {
        return failed(400, "Unknown sign-in", "This sign-in is not one this server started. Nothing was stored.");
      }
      if (found.used_at) {
        return failed(400, "Sign-in already finished", "This sign-in was already used. Nothing more was stored.");
      }
      if (found.expires_at <= clock.now()) {
        return failed(400, "Sign-in expired", "This sign-in took longer than 10 minutes. Ask for a new link.", found);
      }
      const cookie = parseCookies(req.headers.cookie ?? "")[cookieName(found.id)];
      const attempt = cookie
        ? await sql.begin((tx) => useScmLoginAttempt(tx, sha256(state), sha256(cookie), clock.now()))
        : undefined;
      if (!attempt) {
        return failed(
          400,
          "Sign-in started elsewhere",
          "This sign-in was started in another browser (or was already finished). Nothing was stored; start again from this browser.",
        );
      }
      // The user may have been suspended or removed since the link was made (it lasts 10 minutes).
      if (!attempt.member_live) {
        return failed(
          403,
          "Account not active",
          "Your account is suspended or no longer in this organization, so nothing was connected.",
          attempt,
        );
      }
      const error = url.searchParams.get("error");
      if (error) {
        if (error === "access_denied") {
          return failed(
            403,
            "Access declined",
            `You declined access to ${attempt.host}. Nothing was connected.`,
            attempt,
          );
        }
        const description = url.searchParams.get("error_description");
        return failed(
          400,
          `${attempt.host} reported an error`,
          `${error}${description ? `: ${description}` : ""}. Nothing was connected.`,
          attempt,
        );
      }
      const code = url.searchParams.get("code");
      if (!code)
        return failed(400, "No authorization code", `${attempt.host} sent no code. Nothing was connected.`, attempt);
      if (!attempt.pkce_verifier_ciphertext || !attempt.key_id) {
        return failed(400, "Sign-in was never started", "Start again from the link.", attempt);
      }
      const verifier = keyRing.decrypt(attempt.key_id, attempt.pkce_verifier_ciphertext, verifierContext(attempt.id));
      const asked = await askRunner(
        req,
        attempt,
        {
          case: "callOauthExchange",
          value: {
            integrationId: attempt.integration_id,
            host: attempt.host,
            subject: {
              id: attempt.subject_id,
              principal: attempt.subject_principal === "service_account" ? Principal.SERVICE_ACCOUNT : Principal.USER,
            },
            code,
            redirectUri,
            codeVerifier: verifier,
          },
        },
        exchangeTimeoutMs,
      );
      if (!asked.ok) return failed(asked.status, asked.title, `${asked.message} Nothing was connected.`, attempt);
      const clear = bindingCookie(attempt.id, "", 0);
      if (attempt.return_to) {
        res.writeHead(303, { location: attempt.return_to, "set-cookie": clear, "cache-control": "no-store" }).end();
        return;
      }
      const account = asked.answer.case === "callOauthExchange" ? asked.answer.value.account : "";
      sendPage(
        res,
        200,
        `Connected ${attempt.host}`,
        account
          ? `Connected ${attempt.host} as ${account}. You can close this page.`
          : `Connected ${attempt.host}. You can close this page.`,
        { "set-cookie": clear },
      );
    },
  };

  return [start, callback].map((page) => ({ ...page, handle: guarded(page.handle, log) }));
}

/**
 * Failures the pages did not foresee still end in an HTML page: the database unreachable → 503
 * (behaviour.md §9: a normal event), anything else → 500, logged with the request id.
 */
function guarded(handle: PageRoute["handle"], log: Logger): PageRoute["handle"] {
  return async (req, res, info) => {
    try {
      await handle(req, res, info);
    } catch (error) {
      if (res.headersSent) throw error;
      if (isConnectionError(error)) {
        return sendPage(
          res,
          503,
          "Try again shortly",
          "The server cannot reach its database right now. Nothing was stored.",
        );
      }
      log.error("an OAuth page failed", { request_id: info.id, error });
      sendPage(res, 500, "Something went wrong", `Nothing was connected. Request id: ${info.id}.`);
    }
  };
}

/** GET only: both pages change state, so not even HEAD (a link preview must not start a flow). */
function onlyGet(req: NodeRequest, res: NodeResponse): boolean {
  if (req.method === "GET") return true;
  writeMethodNotAllowed(res, req.method, (req.url ?? "/").split("?", 1)[0] ?? "/", "GET");
  return false;
}

function httpUrl(value: string): string | undefined {
  try {
    const u = new URL(value);
    return u.protocol === "https:" || u.protocol === "http:" ? u.href : undefined;
  } catch {
    return undefined;
  }
}
