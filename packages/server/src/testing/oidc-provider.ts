/**
 * A real OpenID Connect provider in the test process: `oidc-provider` (certified, the same
 * author as openid-client) on a loopback address, with its development login and consent
 * pages, one confidential client, and accounts the test defines.
 *
 * Negative tests need ID tokens a correct provider would never issue (wrong audience, bad
 * signature, expired, another nonce). `answerTokenRequests` lets a test answer the token
 * endpoint itself with tokens it mints with the provider's own signing key (`mintIdToken`),
 * or with another key, while discovery and the JWKS stay the provider's.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";
import Provider from "oidc-provider";

export interface TestAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
}

export interface TestIdp {
  /** e.g. http://127.0.0.2:40111 (loopback, so plain http is allowed) */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Accounts by login (the development login page takes any password). */
  accounts: Map<string, TestAccount>;
  /**
   * When set, answers `POST /token` instead of the provider: the form the relying party sent
   * in, the JSON body out.
   */
  answerTokenRequests: ((form: URLSearchParams) => Promise<Record<string, unknown>>) | undefined;
  /** How many times the discovery document was fetched. */
  discoveryRequests: number;
  /** An ID token signed with the provider's key (or `otherKey`), with the claims given on top of sane ones. */
  mintIdToken(claims: JWTPayload, options?: { otherKey?: boolean }): Promise<string>;
  close(): Promise<void>;
}

const kid = "test-signing-key";

export async function startTestIdp(options: { redirectUri: string; host?: string }): Promise<TestIdp> {
  const host = options.host ?? "127.0.0.2";
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const other = await generateKeyPair("RS256", { extractable: true });
  const jwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" };
  const accounts = new Map<string, TestAccount>();
  const clientId = `runnerplane-${randomBytes(4).toString("hex")}`;
  const clientSecret = randomBytes(24).toString("base64url");

  // The port is known once listening; the provider is created then, with its issuer.
  let handle: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const idp: TestIdp = {
    issuer: "",
    clientId,
    clientSecret,
    accounts,
    answerTokenRequests: undefined,
    discoveryRequests: 0,
    async mintIdToken(claims, mint = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iat: now, exp: now + 300, iss: idp.issuer, aud: clientId, ...claims })
        .setProtectedHeader({ alg: "RS256", kid })
        .sign(mint.otherKey ? other.privateKey : privateKey);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = createServer((req, res) => {
    if (req.url?.split("?")[0] === "/.well-known/openid-configuration") idp.discoveryRequests++;
    const answer = idp.answerTokenRequests;
    if (answer && req.method === "POST" && req.url?.split("?")[0] === "/token") {
      void (async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const body = await answer(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
        res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
        res.end(JSON.stringify(body));
      })();
      return;
    }
    handle?.(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  idp.issuer = `http://${host}:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(idp.issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [options.redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(16).toString("hex")] },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    // Claims in the ID token, as Google, Entra ID, Keycloak and Dex issue them.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    ttl: { AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 300, IdToken: 300 },
    async findAccount(_ctx, id) {
      const account = accounts.get(id);
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...account }) };
    },
  });
  // Logs of the provider's own development warnings are not the test's business.
  provider.on("server_error", () => {});
  handle = provider.callback();
  return idp;
}
