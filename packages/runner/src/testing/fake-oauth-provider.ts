/**
 * A fake OAuth 2 provider for tests, beside the fake SCM (fake-scm-server.ts): GitHub- and
 * GitLab-shaped authorize pages and token endpoints that check what the real ones check.
 *
 *   const provider = await startFakeOAuthProvider({ clients: [{ clientId, clientSecret, redirectUri }],
 *                                                   login: "octocat", scm: scmData, grants: ["acme/secret"] });
 *   GitHub: `${provider.url}/github/login/oauth/authorize`, `${provider.url}/github/login/oauth/access_token`
 *   GitLab: `${provider.url}/gitlab/oauth/authorize`,       `${provider.url}/gitlab/oauth/token`
 *
 * - The authorize page (GET) checks `response_type=code`, a known `client_id` with its
 *   registered `redirect_uri`, a `state` and a PKCE S256 `code_challenge`, and shows a form
 *   with an "Authorize" and a "Deny" button. Authorize → 302 to the redirect URI with `code`
 *   and `state`; Deny → `error=access_denied` and `state`.
 * - The token endpoint (POST, form) takes the client's credentials in the body or as HTTP
 *   Basic. `authorization_code`: the code must be unused (a code works once, even a failed
 *   try uses it up), for this client, with the same `redirect_uri`, and the `code_verifier`
 *   must hash to the challenge. `refresh_token`: the refresh token must be current; it is
 *   rotated, and the old access token stops working. Errors are RFC 6749 JSON (`invalid_grant`, …).
 * - Issued access tokens expire after `expiresInSeconds` (settable; default 3600). Each token
 *   is made known to the fake SCM (`scm.tokens`, `scm.logins`, and the `tokens` of the repos in
 *   `grants`), so the fake SCM accepts exactly the live ones.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { FakeScmData } from "./fake-scm-server.js";

export interface FakeOAuthClient {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

export interface FakeOAuthProviderOptions {
  clients: FakeOAuthClient[];
  /** The account the browser "is signed in as" on the provider. */
  login: string;
  /** The fake SCM whose API should accept the issued tokens. */
  scm?: FakeScmData;
  /** Repositories (`owner/name`) of the fake SCM the account may read. */
  grants?: string[];
  expiresInSeconds?: number;
}

export interface FakeOAuthProvider {
  url: string;
  /** Every token request's grant type and outcome, in order. */
  tokenRequests: { grantType: string; status: number; error?: string }[];
  /** Access tokens currently valid. */
  liveAccessTokens(): string[];
  setExpiresIn(seconds: number): void;
  /** While set, the token endpoint answers this status (e.g. 503) without doing anything. */
  failTokenEndpoint(status: number | undefined): void;
  /** Invalidates every refresh token (the user revoked the app). */
  revokeRefreshTokens(): void;
  close(): Promise<void>;
}

interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string;
  scope: string;
}

export async function startFakeOAuthProvider(options: FakeOAuthProviderOptions): Promise<FakeOAuthProvider> {
  const codes = new Map<string, Grant & { used: boolean }>();
  /** refresh token → its grant and the access token issued with it */
  const refreshTokens = new Map<string, Grant & { accessToken: string }>();
  const live = new Set<string>();
  const tokenRequests: FakeOAuthProvider["tokenRequests"] = [];
  let expiresIn = options.expiresInSeconds ?? 3600;
  let failure: number | undefined;
  let url = "";

  const issue = (grant: Grant, shape: "github" | "gitlab") => {
    const accessToken = `${shape === "github" ? "gho_" : "gloa-"}${randomBytes(12).toString("hex")}`;
    const refreshToken = `${shape === "github" ? "ghr_" : "glrt-"}${randomBytes(12).toString("hex")}`;
    refreshTokens.set(refreshToken, { ...grant, accessToken });
    live.add(accessToken);
    const scm = options.scm;
    if (scm) {
      scm.tokens.push(accessToken);
      scm.logins = { ...scm.logins, [accessToken]: options.login };
      for (const repo of scm.repos) {
        if (options.grants?.includes(`${repo.owner}/${repo.name}`)) repo.tokens = [...(repo.tokens ?? []), accessToken];
      }
    }
    return {
      access_token: accessToken,
      token_type: "bearer",
      expires_in: expiresIn,
      refresh_token: refreshToken,
      // GitHub lists scopes with commas, GitLab with spaces.
      scope: shape === "github" ? grant.scope.split(" ").join(",") : grant.scope,
    };
  };

  const revoke = (accessToken: string) => {
    live.delete(accessToken);
    const scm = options.scm;
    if (!scm) return;
    scm.tokens = scm.tokens.filter((t) => t !== accessToken);
    for (const repo of scm.repos) repo.tokens = (repo.tokens ?? []).filter((t) => t !== accessToken);
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const u = new URL(req.url ?? "/", url);
    const shape = u.pathname.startsWith("/github/")
      ? "github"
      : u.pathname.startsWith("/gitlab/")
        ? "gitlab"
        : undefined;
    if (!shape) return json(res, 404, { error: "not_found" });
    const rest = u.pathname.slice(`/${shape}`.length);
    const authorizePath = shape === "github" ? "/login/oauth/authorize" : "/oauth/authorize";
    const tokenPath = shape === "github" ? "/login/oauth/access_token" : "/oauth/token";
    if (rest === authorizePath && req.method === "GET") return authorizePage(res, u, shape);
    if (rest === `${authorizePath}/decide` && req.method === "POST") return decide(res, await form(req));
    if (rest === tokenPath && req.method === "POST") return token(req, res, await form(req), shape);
    return json(res, 404, { error: "not_found" });
  }

  function authorizePage(res: ServerResponse, u: URL, shape: "github" | "gitlab") {
    const p = u.searchParams;
    const client = options.clients.find((c) => c.clientId === p.get("client_id"));
    const problem =
      p.get("response_type") !== "code"
        ? "response_type must be code"
        : !client
          ? "unknown client_id"
          : client.redirectUri !== p.get("redirect_uri")
            ? "redirect_uri does not match the registered callback URL"
            : !p.get("state")
              ? "state is missing"
              : p.get("code_challenge_method") !== "S256" || !p.get("code_challenge")
                ? "PKCE S256 is required"
                : undefined;
    if (problem) {
      res.writeHead(400, { "content-type": "text/html; charset=utf-8" }).end(`<h1>Bad request</h1><p>${problem}</p>`);
      return;
    }
    const hidden = ["client_id", "redirect_uri", "state", "code_challenge", "scope"]
      .map((k) => `<input type="hidden" name="${k}" value="${escapeAttr(p.get(k) ?? "")}">`)
      .join("");
    const name = shape === "github" ? "GitHub" : "GitLab";
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(`<!doctype html>
<html><head><title>Authorize application · ${name}</title></head><body>
<h1>Authorize runnerplane</h1><p>Signed in to ${name} as ${escapeAttr(options.login)}. Scopes: ${escapeAttr(p.get("scope") ?? "")}</p>
<form method="post" action="/${shape}${shape === "github" ? "/login/oauth/authorize" : "/oauth/authorize"}/decide">${hidden}
<button type="submit" name="decision" value="allow">Authorize</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form></body></html>`);
  }

  function decide(res: ServerResponse, f: URLSearchParams) {
    const client = options.clients.find((c) => c.clientId === f.get("client_id"));
    const redirectUri = f.get("redirect_uri") ?? "";
    if (!client || client.redirectUri !== redirectUri) return json(res, 400, { error: "invalid_request" });
    const target = new URL(redirectUri);
    if (f.get("decision") === "allow") {
      const code = randomBytes(16).toString("hex");
      codes.set(code, {
        clientId: client.clientId,
        redirectUri,
        challenge: f.get("code_challenge") ?? "",
        scope: f.get("scope") ?? "",
        used: false,
      });
      target.searchParams.set("code", code);
    } else {
      target.searchParams.set("error", "access_denied");
      target.searchParams.set("error_description", "The user has denied your application access.");
    }
    target.searchParams.set("state", f.get("state") ?? "");
    res.writeHead(302, { location: target.href }).end();
  }

  function token(req: IncomingMessage, res: ServerResponse, f: URLSearchParams, shape: "github" | "gitlab") {
    const grantType = f.get("grant_type") ?? "";
    const answer = (status: number, body: Record<string, unknown>) => {
      tokenRequests.push({ grantType, status, ...(typeof body.error === "string" ? { error: body.error } : {}) });
      json(res, status, body);
    };
    if (failure !== undefined) return answer(failure, { error: "temporarily_unavailable" });
    const [basicId, basicSecret] = basic(req);
    const clientId = basicId ?? f.get("client_id");
    const clientSecret = basicSecret ?? f.get("client_secret");
    const client = options.clients.find((c) => c.clientId === clientId);
    if (!client || client.clientSecret !== clientSecret) return answer(401, { error: "invalid_client" });
    if (grantType === "authorization_code") {
      const grant = codes.get(f.get("code") ?? "");
      if (!grant || grant.used) return answer(400, { error: "invalid_grant", error_description: "bad code" });
      grant.used = true;
      if (grant.clientId !== client.clientId) return answer(400, { error: "invalid_grant" });
      if (grant.redirectUri !== f.get("redirect_uri")) {
        return answer(400, { error: "invalid_grant", error_description: "redirect_uri mismatch" });
      }
      const verifier = f.get("code_verifier") ?? "";
      if (createHash("sha256").update(verifier).digest("base64url") !== grant.challenge) {
        return answer(400, { error: "invalid_grant", error_description: "PKCE verification failed" });
      }
      return answer(200, issue(grant, shape));
    }
    if (grantType === "refresh_token") {
      const presented = f.get("refresh_token") ?? "";
      const grant = refreshTokens.get(presented);
      if (!grant || grant.clientId !== client.clientId) return answer(400, { error: "invalid_grant" });
      refreshTokens.delete(presented);
      revoke(grant.accessToken);
      return answer(200, issue(grant, shape));
    }
    return answer(400, { error: "unsupported_grant_type" });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    tokenRequests,
    liveAccessTokens: () => [...live],
    setExpiresIn: (seconds) => {
      expiresIn = seconds;
    },
    failTokenEndpoint: (status) => {
      failure = status;
    },
    revokeRefreshTokens: () => refreshTokens.clear(),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function form(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

function basic(req: IncomingMessage): [string | undefined, string | undefined] {
  const m = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? "");
  if (!m?.[1]) return [undefined, undefined];
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const at = decoded.indexOf(":");
  return [decodeURIComponent(decoded.slice(0, at)), decodeURIComponent(decoded.slice(at + 1))];
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(body));
}

function escapeAttr(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
