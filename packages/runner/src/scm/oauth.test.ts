import { describe, expect, it } from "vitest";
import { authorizeUrl, oauthEndpointsFor } from "./oauth.js";

describe("oauthEndpointsFor", () => {
  it.each([
    ["github", "github.com", "https://github.com/login/oauth/authorize", "https://github.com/login/oauth/access_token"],
    [
      "github",
      "ghe.corp.example",
      "https://ghe.corp.example/login/oauth/authorize",
      "https://ghe.corp.example/login/oauth/access_token",
    ],
    ["gitlab", "gitlab.com", "https://gitlab.com/oauth/authorize", "https://gitlab.com/oauth/token"],
    ["gitlab", "git.corp.example", "https://git.corp.example/oauth/authorize", "https://git.corp.example/oauth/token"],
    [
      "bitbucket",
      "bitbucket.org",
      "https://bitbucket.org/site/oauth2/authorize",
      "https://bitbucket.org/site/oauth2/access_token",
    ],
    [
      "azuredevops",
      "dev.azure.com",
      "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize",
      "https://login.microsoftonline.com/organizations/oauth2/v2.0/token",
    ],
  ] as const)("knows %s on %s", (scmId, host, authorize, token) => {
    expect(oauthEndpointsFor(scmId, host, {})).toEqual({ authorizeUrl: authorize, tokenUrl: token });
  });

  it("puts the SCM's paths on the integration's issuer URL when it has one", () => {
    expect(oauthEndpointsFor("gitlab", "git.corp.example", {}, "https://sso.corp.example/gitlab/")).toEqual({
      authorizeUrl: "https://sso.corp.example/gitlab/oauth/authorize",
      tokenUrl: "https://sso.corp.example/gitlab/oauth/token",
    });
  });

  it("takes the operator's endpoints for a host over the SCM's own", () => {
    const mine = { authorizeUrl: "http://127.0.0.1:1/a", tokenUrl: "http://127.0.0.1:1/t" };
    expect(oauthEndpointsFor("github", "GitHub.com", { "github.com": mine })).toEqual(mine);
    expect(oauthEndpointsFor("github", "other.example", { "github.com": mine }).tokenUrl).toBe(
      "https://other.example/login/oauth/access_token",
    );
  });
});

describe("authorizeUrl", () => {
  it("asks for a code with PKCE S256, the server's state and redirect URI, and the SCM's scopes", () => {
    const url = new URL(
      authorizeUrl(
        { scmId: "gitlab", clientId: "app", endpoints: oauthEndpointsFor("gitlab", "gitlab.com", {}) },
        { redirectUri: "https://rp.example/auth/oauth2/callback", state: "s1", codeChallenge: "c1" },
      ),
    );
    expect(url.origin + url.pathname).toBe("https://gitlab.com/oauth/authorize");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: "code",
      client_id: "app",
      redirect_uri: "https://rp.example/auth/oauth2/callback",
      scope: "api read_user",
      state: "s1",
      code_challenge: "c1",
      code_challenge_method: "S256",
    });
  });
});
