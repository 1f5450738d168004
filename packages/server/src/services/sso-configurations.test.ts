/**
 * OrganizationService's SSO configuration methods over the real server and Postgres
 * (behaviour.md §13, docs/sign-in.md): the genuine shapes, who may call what, the issuer
 * rule, the discovery check on create and activation, email domains, and the client secret
 * never in a response, a log line or the database in plaintext.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { toJsonString } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { Code } from "@connectrpc/connect";
import {
  ListSSOConfigurationsResponseSchema,
  type OrganizationService,
  SSOConfiguration_ProviderType,
  SSOConfigurationState,
} from "@runnerplane/api/gitpod/v1/organization_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issuerProblem } from "../sign-in/oidc-client.js";
import {
  type CallerName,
  callError,
  clientsFor,
  createTenancyFixture,
  expectNoPlaintext,
  startTestServer,
  type TenancyFixture,
  type TestServer,
} from "../testing/index.js";
import { startTestIdp, type TestIdp } from "../testing/oidc-provider.js";

let server: TestServer;
let idp: TestIdp;
let fx: TenancyFixture;
/** Serves a discovery document that names another issuer. */
const impostor = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ issuer: "https://someone-else.example", authorization_endpoint: "https://x/auth" }));
});
let impostorUrl: string;

beforeAll(async () => {
  server = await startTestServer();
  idp = await startTestIdp({ redirectUri: "http://localhost:8080/auth/oidc/callback" });
  fx = await createTenancyFixture(server.sql);
  await new Promise<void>((resolve) => impostor.listen(0, "127.0.0.1", resolve));
  impostorUrl = `http://127.0.0.1:${(impostor.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await server.close();
  await idp.close();
  impostor.close();
});

const as = (name: CallerName) => clientsFor(server.baseUrl, fx.tokens[name], { json: true }).organization;

let domainCounter = 0;
/** A domain no other test uses. */
const freshDomain = () => `team${++domainCounter}.acme.test`;

function create(client: Client<typeof OrganizationService>, init: Record<string, unknown> = {}) {
  return client.createSSOConfiguration({
    organizationId: fx.organizations.A,
    issuerUrl: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    emailDomains: [freshDomain()],
    displayName: "Acme IdP",
    ...init,
  });
}

describe("CreateSSOConfiguration", () => {
  it("stores an inactive configuration after checking discovery, and returns it without the secret", async () => {
    const domain = freshDomain();
    const res = await create(as("A admin"), { emailDomains: [domain.toUpperCase()], additionalScopes: ["groups"] });
    const c = res.ssoConfiguration;
    expect(c).toMatchObject({
      organizationId: fx.organizations.A,
      issuerUrl: idp.issuer,
      clientId: idp.clientId,
      state: SSOConfigurationState.SSO_CONFIGURATION_STATE_INACTIVE,
      emailDomains: [domain],
      emailDomain: domain,
      providerType: SSOConfiguration_ProviderType.CUSTOM,
      displayName: "Acme IdP",
      additionalScopes: ["groups"],
    });
    expect(c?.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("takes the deprecated email_domain together with email_domains", async () => {
    const [one, two] = [freshDomain(), freshDomain()];
    const res = await create(as("A admin"), { emailDomain: one, emailDomains: [two] });
    expect(res.ssoConfiguration?.emailDomains).toEqual([one, two]);
  });

  it("refuses an issuer whose discovery document cannot be fetched or names another issuer, writing nothing", async () => {
    const before = await server.sql`select count(*)::int as n from sso_configurations`;
    for (const issuerUrl of [server.baseUrl, impostorUrl, "http://127.0.0.1:1"]) {
      const error = await callError(create(as("A admin"), { issuerUrl }));
      expect(error.code, issuerUrl).toBe(Code.FailedPrecondition);
      expect(error.rawMessage).toContain(`the discovery document of ${issuerUrl}`);
    }
    expect(await server.sql`select count(*)::int as n from sso_configurations`).toEqual(before);
  });

  it("refuses plain-http issuers beyond loopback, and what is no issuer URL", async () => {
    for (const issuerUrl of ["http://idp.example.com", "ftp://idp.example.com", "https://idp.example.com/?x=1"]) {
      const error = await callError(create(as("A admin"), { issuerUrl }));
      expect(error.code, issuerUrl).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toMatch(/^issuer_url/);
    }
  });

  it("needs a domain, refuses one another configuration of the org has, and allows it in another org", async () => {
    expect(await callError(create(as("A admin"), { emailDomains: [] }))).toMatchObject({ code: Code.InvalidArgument });
    const domain = freshDomain();
    await create(as("A admin"), { emailDomains: [domain] });
    expect(await callError(create(as("A admin"), { emailDomains: [freshDomain(), domain] }))).toMatchObject({
      code: Code.AlreadyExists,
    });
    await create(as("B admin"), { organizationId: fx.organizations.B, emailDomains: [domain] });
  });

  it("refuses claim restrictions it would not enforce", async () => {
    expect(
      await callError(create(as("A admin"), { claimsExpression: "claims.groups.exists(g, g == 'dev')" })),
    ).toMatchObject({ code: Code.Unimplemented });
  });

  it("is for org admins of that org only", async () => {
    expect(await callError(create(as("A member")))).toMatchObject({ code: Code.PermissionDenied });
    expect(await callError(create(as("A service account")))).toMatchObject({ code: Code.PermissionDenied });
    expect(await callError(create(as("A org runner itself")))).toMatchObject({ code: Code.PermissionDenied });
    expect(await callError(create(as("B admin")))).toMatchObject({ code: Code.NotFound });
  });
});

describe("Get, List, Update and DeleteSSOConfiguration", () => {
  it("let members read, hide the org's configurations from other orgs, and page", async () => {
    const created = (await create(as("A admin"))).ssoConfiguration;
    const id = created?.id as string;
    expect((await as("A member").getSSOConfiguration({ ssoConfigurationId: id })).ssoConfiguration).toEqual(created);
    expect(await callError(as("B admin").getSSOConfiguration({ ssoConfigurationId: id }))).toMatchObject({
      code: Code.NotFound,
    });
    expect(await callError(as("B admin").listSSOConfigurations({ organizationId: fx.organizations.A }))).toMatchObject({
      code: Code.NotFound,
    });
    const seen: string[] = [];
    let token = "";
    do {
      const page = await as("A member").listSSOConfigurations({
        organizationId: fx.organizations.A,
        pagination: { pageSize: 2, token },
      });
      expect(page.ssoConfigurations.length).toBeLessThanOrEqual(2);
      seen.push(...page.ssoConfigurations.map((c) => c.id));
      token = page.pagination?.nextToken ?? "";
    } while (token);
    expect(seen).toContain(id);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("activate only after checking discovery again, and change only what is given", async () => {
    const created = (await create(as("A admin"))).ssoConfiguration;
    const id = created?.id as string;
    expect(
      await callError(as("A member").updateSSOConfiguration({ ssoConfigurationId: id, displayName: "x" })),
    ).toMatchObject({ code: Code.PermissionDenied });
    // Pointing it somewhere that is no issuer, then activating: the check fails, nothing changes.
    await as("A admin").updateSSOConfiguration({ ssoConfigurationId: id, issuerUrl: impostorUrl });
    const failed = await callError(
      as("A admin").updateSSOConfiguration({
        ssoConfigurationId: id,
        state: SSOConfigurationState.SSO_CONFIGURATION_STATE_ACTIVE,
      }),
    );
    expect(failed.code).toBe(Code.FailedPrecondition);
    const still = (await as("A admin").getSSOConfiguration({ ssoConfigurationId: id })).ssoConfiguration;
    expect(still?.state).toBe(SSOConfigurationState.SSO_CONFIGURATION_STATE_INACTIVE);
    await as("A admin").updateSSOConfiguration({
      ssoConfigurationId: id,
      issuerUrl: idp.issuer,
      state: SSOConfigurationState.SSO_CONFIGURATION_STATE_ACTIVE,
      displayName: "Renamed",
      additionalScopes: { scopes: ["groups", "offline_access"] },
    });
    const active = (await as("A admin").getSSOConfiguration({ ssoConfigurationId: id })).ssoConfiguration;
    expect(active).toMatchObject({
      state: SSOConfigurationState.SSO_CONFIGURATION_STATE_ACTIVE,
      displayName: "Renamed",
      additionalScopes: ["groups", "offline_access"],
      emailDomains: created?.emailDomains,
      clientId: idp.clientId,
    });
    // An active configuration's issuer is checked when it changes.
    expect(
      await callError(as("A admin").updateSSOConfiguration({ ssoConfigurationId: id, issuerUrl: impostorUrl })),
    ).toMatchObject({ code: Code.FailedPrecondition });
  });

  it("delete for org admins; another org's id is not_found", async () => {
    const id = (await create(as("A admin"))).ssoConfiguration?.id as string;
    expect(await callError(as("B admin").deleteSSOConfiguration({ ssoConfigurationId: id }))).toMatchObject({
      code: Code.NotFound,
    });
    expect(await callError(as("A member").deleteSSOConfiguration({ ssoConfigurationId: id }))).toMatchObject({
      code: Code.PermissionDenied,
    });
    await as("A admin").deleteSSOConfiguration({ ssoConfigurationId: id });
    expect(await callError(as("A admin").getSSOConfiguration({ ssoConfigurationId: id }))).toMatchObject({
      code: Code.NotFound,
    });
  });
});

describe("the client secret", () => {
  it("is never in a response, a log line or the database in plaintext", async () => {
    const secret = `s3cr3t-${"x".repeat(20)}-${Date.now()}`;
    const created = await create(as("A admin"), { clientSecret: secret });
    const id = created.ssoConfiguration?.id as string;
    const newer = `n3wer-${"y".repeat(20)}-${Date.now()}`;
    await as("A admin").updateSSOConfiguration({ ssoConfigurationId: id, clientSecret: newer });
    const list = await as("A admin").listSSOConfigurations({ organizationId: fx.organizations.A });
    const responses = [
      JSON.stringify(created),
      JSON.stringify(await as("A admin").getSSOConfiguration({ ssoConfigurationId: id })),
      toJsonString(ListSSOConfigurationsResponseSchema, list),
    ].join("\n");
    expect(responses).not.toContain(secret);
    expect(responses).not.toContain(newer);
    expect(JSON.stringify(server.logs)).not.toContain(secret);
    expect(JSON.stringify(server.logs)).not.toContain(newer);
    expectNoPlaintext(await server.sql`select * from sso_configurations`, [secret, newer]);
  });
});

describe("issuerProblem", () => {
  it("accepts https, plain http on loopback only, or anywhere with the development setting", () => {
    expect(issuerProblem("https://login.microsoftonline.com/tenant/v2.0", false)).toBeUndefined();
    for (const loopback of [
      "http://localhost:5556/dex",
      "http://127.0.0.1:8080",
      "http://127.3.4.5",
      "http://[::1]:9",
    ]) {
      expect(issuerProblem(loopback, false), loopback).toBeUndefined();
    }
    expect(issuerProblem("http://keycloak.internal/realms/x", false)).toMatch(/https/);
    expect(issuerProblem("http://keycloak.internal/realms/x", true)).toBeUndefined();
    expect(issuerProblem("http://localhost.evil.example", false)).toMatch(/https/);
  });
});
