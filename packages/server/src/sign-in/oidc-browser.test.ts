/**
 * The whole single sign-on in a real headless Chromium (behaviour.md §13): start → the IdP's
 * login form → consent → back at the server, signed in; the session cookie authenticates
 * GetAuthenticatedIdentity as the new user; logout ends it. The IdP is a real oidc-provider on
 * another loopback address (another site for the browser), nothing of it is stubbed.
 */
import { SSOConfigurationState } from "@runnerplane/api/gitpod/v1/organization_pb";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchBrowser, type TestBrowser } from "../testing/browser.js";
import {
  clientsFor,
  type SeededOrganization,
  seedOrganization,
  startTestServer,
  type TestServer,
} from "../testing/index.js";
import { startTestIdp, type TestIdp } from "../testing/oidc-provider.js";
import { signInDefaults } from "./settings.js";

let server: TestServer;
let idp: TestIdp;
let browser: TestBrowser;
let org: SeededOrganization;

beforeAll(async () => {
  server = await startTestServer({ publicUrlIsBaseUrl: true });
  idp = await startTestIdp({ redirectUri: `${server.baseUrl}/auth/oidc/callback` });
  idp.accounts.set("ada", { email: "ada@acme.test", email_verified: true, name: "Ada Lovelace" });
  org = await seedOrganization(server.sql, "Acme");
  const admin = clientsFor(server.baseUrl, org.admin.token).organization;
  const created = await admin.createSSOConfiguration({
    organizationId: org.organization.id,
    issuerUrl: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    emailDomains: ["acme.test"],
    displayName: "Acme",
  });
  await admin.updateSSOConfiguration({
    ssoConfigurationId: created.ssoConfiguration?.id as string,
    state: SSOConfigurationState.SSO_CONFIGURATION_STATE_ACTIVE,
  });
  browser = await launchBrowser();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await idp?.close();
});

/** GetAuthenticatedIdentity from a page of the server itself, as the console would call it. */
function whoAmI(page: import("playwright-core").Page) {
  return page.evaluate(async () => {
    const res = await fetch("/gitpod.v1.IdentityService/GetAuthenticatedIdentity", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    return { status: res.status, body: await res.json() };
  });
}

it("signs a person in through the IdP's login and consent pages, and logout ends the session", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(`${server.baseUrl}/auth/oidc/start?email=ada@acme.test&return_to=/healthz`);
    // The IdP's own login form, on its own origin.
    expect(new URL(page.url()).origin).toBe(idp.issuer);
    await page.locator('input[name="login"]').fill("ada");
    await page.locator('input[name="password"]').fill("any password");
    await page.getByRole("button", { name: "Sign-in" }).click();
    await page.getByRole("button", { name: "Continue" }).click();
    // Back at the server, on the return path, signed in.
    await page.waitForURL(`${server.baseUrl}/healthz`);
    const cookies = await context.cookies(server.baseUrl);
    const session = cookies.find((c) => c.name === signInDefaults.cookieName);
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Lax", secure: false, path: "/" });
    // HttpOnly: the page's scripts cannot read it.
    expect(await page.evaluate("document.cookie")).not.toContain(signInDefaults.cookieName);

    const who = await whoAmI(page);
    expect(who.status).toBe(200);
    const [ada] = await server.sql`select id, name, email from members where email = 'ada@acme.test'`;
    expect(ada).toMatchObject({ name: "Ada Lovelace", email: "ada@acme.test" });
    expect(who.body).toMatchObject({
      subject: { id: ada?.id, principal: "PRINCIPAL_USER" },
      organizationId: org.organization.id,
    });

    const logout = await page.evaluate(async () => (await fetch("/auth/logout", { method: "POST" })).status);
    expect(logout).toBe(204);
    expect((await context.cookies(server.baseUrl)).some((c) => c.name === signInDefaults.cookieName)).toBe(false);
    // The old cookie value is refused too, not only forgotten by the browser.
    await context.addCookies([{ ...(session as NonNullable<typeof session>) }]);
    expect((await whoAmI(page)).status).toBe(401);
  } finally {
    await context.close();
  }
});
