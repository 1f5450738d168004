/**
 * Signing in to the console through SSO, in a real headless Chromium: the sign-in page's email
 * field → the organization's identity provider (a real oidc-provider on another loopback
 * address) → its login and consent pages → back on the console page the person started from,
 * signed in as the user the login created. The SSO page lists the configuration and edits it
 * (the active configuration's new client secret is checked against the real issuer).
 */
import { SSOConfigurationState } from "@runnerplane/client/gitpod/v1/organization_pb";
import { startTestIdp, type TestIdp } from "@runnerplane/server/testing/oidc-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConsoleFixture, screenshot, startConsole } from "./console-fixture";

let fx: ConsoleFixture;
let idp: TestIdp;

beforeAll(async () => {
  fx = await startConsole();
  idp = await startTestIdp({ redirectUri: `${fx.server.baseUrl}/auth/oidc/callback` });
  idp.accounts.set("grace", { email: "grace@console.test", email_verified: true, name: "Grace Hopper" });
  const { ssoConfiguration } = await fx.admin.organization.createSSOConfiguration({
    organizationId: fx.org.organization.id,
    issuerUrl: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    emailDomains: ["console.test"],
    displayName: "Console IdP",
  });
  await fx.admin.organization.updateSSOConfiguration({
    ssoConfigurationId: ssoConfiguration?.id ?? "",
    state: SSOConfigurationState.SSO_CONFIGURATION_STATE_ACTIVE,
  });
});
afterAll(async () => {
  await fx?.close();
  await idp?.close();
});

describe("SSO sign-in", () => {
  it("signs in by email through the identity provider and returns to the page it started from", async () => {
    const { page } = await fx.newPage();
    await page.goto("/members");
    await page.getByLabel("Work email").fill("grace@console.test");
    await page.getByRole("button", { name: "Continue with SSO" }).click();
    await page.waitForURL((url) => url.origin === idp.issuer);
    await page.locator('input[name="login"]').fill("grace");
    await page.locator('input[name="password"]').fill("any password");
    await page.getByRole("button", { name: "Sign-in" }).click();
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL(`${fx.server.baseUrl}/members`);
    await page.getByRole("heading", { name: "Members", level: 1 }).waitFor();
    await page.getByText("Grace Hopper (you)").waitFor();
    await screenshot(page, "members-after-sso");
  });

  it("lists the SSO configuration, with the redirect URI to register", async () => {
    const { page } = await fx.newPage();
    await page.goto("/sso");
    await page.getByLabel("Personal access token").fill(fx.org.admin.token);
    await page.getByRole("button", { name: "Sign in with token" }).click();
    await page.getByText("Console IdP").waitFor();
    expect(
      await page.getByLabel("Redirect URI to register with your identity provider", { exact: true }).inputValue(),
    ).toBe(`${fx.server.baseUrl}/auth/oidc/callback`);
    expect(await page.getByText("Active").count()).toBeGreaterThan(0);
    await screenshot(page, "sso");
  });

  it("edits the configuration: a new display name and domain, the secret re-entered and checked at the issuer", async () => {
    const { page } = await fx.newPage();
    await page.goto("/sso");
    await page.getByLabel("Personal access token").fill(fx.org.admin.token);
    await page.getByRole("button", { name: "Sign in with token" }).click();
    await page.getByRole("button", { name: `Edit SSO configuration ${idp.issuer}` }).click();
    const edit = page.getByRole("form", { name: `Edit SSO configuration ${idp.issuer}` });
    expect(await edit.getByLabel(`Client secret for ${idp.issuer}`).inputValue()).toBe("");
    await edit.getByLabel(`Display name for ${idp.issuer}`).fill("Console staff IdP");
    await edit.getByLabel(`Email domains for ${idp.issuer}`).fill("console.test, staff.console.test");
    await edit.getByLabel(`Client secret for ${idp.issuer}`).fill(idp.clientSecret);
    await screenshot(page, "sso-edit");
    await edit.getByRole("button", { name: "Save SSO configuration" }).click();
    await page.getByText("Console staff IdP").waitFor();
    const { ssoConfigurations } = await fx.admin.organization.listSSOConfigurations({
      organizationId: fx.org.organization.id,
    });
    expect(ssoConfigurations[0]).toMatchObject({
      displayName: "Console staff IdP",
      emailDomains: ["console.test", "staff.console.test"],
      state: SSOConfigurationState.SSO_CONFIGURATION_STATE_ACTIVE,
    });
    expect(await page.content()).not.toContain(idp.clientSecret);
  });
});
