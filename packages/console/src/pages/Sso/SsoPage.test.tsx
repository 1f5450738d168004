/**
 * The SSO page over an in-memory transport: a new configuration sent whole (and the secret gone
 * from the form once saved), an edit that sends only what changed and refuses to empty the
 * domains, a refused activation shown with the server's message and code, and a delete that
 * asks first.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type CreateSSOConfigurationRequest,
  CreateSSOConfigurationResponseSchema,
  type DeleteSSOConfigurationRequest,
  DeleteSSOConfigurationResponseSchema,
  ListSSOConfigurationsResponseSchema,
  OrganizationService,
  SSOConfigurationState,
  type UpdateSSOConfigurationRequest,
  UpdateSSOConfigurationResponseSchema,
} from "@runnerplane/api/gitpod/v1/organization_pb";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { me, renderApp } from "../../testing/render-app";

const configId = "12121212-1212-4212-8212-121212121212";
const issuer = "https://idp.example.com";

interface Calls {
  created: CreateSSOConfigurationRequest[];
  updated: UpdateSSOConfigurationRequest[];
  deleted: DeleteSSOConfigurationRequest[];
}

function routes(calls: Calls, options: { refuseUpdate?: boolean; empty?: boolean } = {}) {
  return (r: Parameters<Parameters<typeof renderApp>[1]>[0]) =>
    r.service(OrganizationService, {
      listSSOConfigurations: () =>
        create(ListSSOConfigurationsResponseSchema, {
          ssoConfigurations: options.empty
            ? []
            : [
                {
                  id: configId,
                  organizationId: me.org,
                  issuerUrl: issuer,
                  clientId: "console",
                  displayName: "Company IdP",
                  emailDomains: ["example.com"],
                  state: SSOConfigurationState.SSO_CONFIGURATION_STATE_INACTIVE,
                },
              ],
        }),
      createSSOConfiguration: (req) => {
        calls.created.push(req);
        return create(CreateSSOConfigurationResponseSchema, {});
      },
      updateSSOConfiguration: (req) => {
        calls.updated.push(req);
        if (options.refuseUpdate)
          throw new ConnectError("the issuer's discovery document could not be read", Code.FailedPrecondition);
        return create(UpdateSSOConfigurationResponseSchema, {});
      },
      deleteSSOConfiguration: (req) => {
        calls.deleted.push(req);
        return create(DeleteSSOConfigurationResponseSchema, {});
      },
    });
}

const newCalls = (): Calls => ({ created: [], updated: [], deleted: [] });

describe("SsoPage", () => {
  it("sends a new configuration whole and empties the form once it is saved", async () => {
    const calls = newCalls();
    renderApp("/sso", routes(calls, { empty: true }));
    expect(await screen.findByText(/No SSO configuration/, {}, { timeout: 10_000 })).toBeTruthy();
    const form = within(screen.getByRole("form", { name: "New SSO configuration" }));
    await userEvent.type(form.getByLabelText("Display name"), "Company IdP");
    await userEvent.type(form.getByLabelText("Issuer URL"), issuer);
    await userEvent.type(form.getByLabelText("Client ID"), "console");
    await userEvent.type(form.getByLabelText("Client secret"), "idp-secret");
    await userEvent.type(form.getByLabelText("Email domains"), "example.com, Example.org");
    await userEvent.click(form.getByRole("button", { name: "Save SSO configuration" }));
    await waitFor(() => expect(calls.created).toHaveLength(1));
    expect(calls.created[0]).toMatchObject({
      organizationId: me.org,
      displayName: "Company IdP",
      issuerUrl: issuer,
      clientId: "console",
      clientSecret: "idp-secret",
      emailDomains: ["example.com", "Example.org"],
    });
    await waitFor(() => expect((form.getByLabelText("Client secret") as HTMLInputElement).value).toBe(""));
  });

  it("edits a configuration sending only what changed, and will not empty its domains", async () => {
    const calls = newCalls();
    renderApp("/sso", routes(calls));
    await userEvent.click(
      await screen.findByRole("button", { name: `Edit SSO configuration ${issuer}` }, { timeout: 10_000 }),
    );
    const edit = within(screen.getByRole("form", { name: `Edit SSO configuration ${issuer}` }));
    expect((edit.getByLabelText(`Client secret for ${issuer}`) as HTMLInputElement).value).toBe("");
    await userEvent.clear(edit.getByLabelText(`Email domains for ${issuer}`));
    await userEvent.click(edit.getByRole("button", { name: "Save SSO configuration" }));
    expect(await edit.findByText(/name at least one email domain/)).toBeTruthy();
    expect(calls.updated).toEqual([]);
    await userEvent.type(edit.getByLabelText(`Email domains for ${issuer}`), "example.com example.net");
    await userEvent.clear(edit.getByLabelText(`Display name for ${issuer}`));
    await userEvent.type(edit.getByLabelText(`Display name for ${issuer}`), "Staff login");
    await userEvent.click(edit.getByRole("button", { name: "Save SSO configuration" }));
    await waitFor(() => expect(calls.updated).toHaveLength(1));
    expect(calls.updated[0]).toMatchObject({
      ssoConfigurationId: configId,
      displayName: "Staff login",
      emailDomains: ["example.com", "example.net"],
    });
    for (const unchanged of ["issuerUrl", "clientId", "clientSecret", "state"] as const) {
      expect(calls.updated[0]?.[unchanged]).toBeUndefined();
    }
    await waitFor(() => expect(screen.queryByRole("form", { name: `Edit SSO configuration ${issuer}` })).toBeNull());
  });

  it("shows why an activation was refused, with the server's code", async () => {
    const calls = newCalls();
    renderApp("/sso", routes(calls, { refuseUpdate: true }));
    await userEvent.click(await screen.findByRole("button", { name: "Activate" }, { timeout: 10_000 }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("the issuer's discovery document could not be read");
    expect(alert.textContent).toContain("failed_precondition");
    expect(calls.updated[0]?.state).toBe(SSOConfigurationState.SSO_CONFIGURATION_STATE_ACTIVE);
  });

  it("deletes a configuration only after the confirmation", async () => {
    const calls = newCalls();
    renderApp("/sso", routes(calls));
    await userEvent.click(
      await screen.findByRole("button", { name: `Delete SSO configuration ${issuer}` }, { timeout: 10_000 }),
    );
    expect(screen.getByText(/can no longer sign in through it/)).toBeTruthy();
    expect(calls.deleted).toEqual([]);
    await userEvent.click(screen.getByRole("button", { name: "Delete configuration" }));
    await waitFor(() => expect(calls.deleted.map((d) => d.ssoConfigurationId)).toEqual([configId]));
  });
});
