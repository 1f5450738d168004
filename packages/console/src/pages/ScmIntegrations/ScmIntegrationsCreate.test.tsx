/**
 * The SCM-integration page beyond editing: every field CreateSCMIntegration takes (issuer URL,
 * virtual directory, PAT support with the schema's guidance), what each SCM of the runner's
 * schema offers, the callback URL in the editor, removal with confirmation, and the server's
 * refusal shown with its code — over an in-memory transport.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type CreateSCMIntegrationRequest,
  CreateSCMIntegrationResponseSchema,
  type DeleteSCMIntegrationRequest,
  DeleteSCMIntegrationResponseSchema,
  GetRunnerConfigurationSchemaResponseSchema,
  ListSCMIntegrationsResponseSchema,
  RunnerConfigurationService,
  type SCMIntegrationSchema,
  type UpdateSCMIntegrationRequest,
  UpdateSCMIntegrationResponseSchema,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { GetRunnerResponseSchema, RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { renderApp } from "../../testing/render-app";

const runnerId = "22222222-2222-4222-8222-222222222222";
const callbackUrl = "https://rp.example/auth/oauth2/callback";

interface Calls {
  created: CreateSCMIntegrationRequest[];
  updated: UpdateSCMIntegrationRequest[];
  deleted: DeleteSCMIntegrationRequest[];
}

function routes(
  calls: Calls,
  options: {
    integrations?: MessageInitShape<typeof SCMIntegrationSchema>[];
    refuseCreate?: boolean;
    refuseDelete?: boolean;
  } = {},
) {
  return (r: Parameters<Parameters<typeof renderApp>[1]>[0]) => {
    r.service(RunnerService, {
      getRunner: () => create(GetRunnerResponseSchema, { runner: { runnerId, name: "Build box" } }),
    });
    r.service(RunnerConfigurationService, {
      getRunnerConfigurationSchema: () =>
        create(GetRunnerConfigurationSchemaResponseSchema, {
          schema: {
            scm: [
              {
                scmId: "github",
                name: "GitHub",
                defaultHosts: ["github.com"],
                oauth: { callbackUrl },
                pat: { description: "A fine-grained token with Contents: read", docsLink: "https://docs.example/pat" },
              },
              { scmId: "azuredevops", name: "Azure DevOps", defaultHosts: ["dev.azure.com"], pat: {} },
              { scmId: "bitbucket", name: "Bitbucket", defaultHosts: ["bitbucket.org"], oauth: { callbackUrl } },
            ],
          },
        }),
      listSCMIntegrations: () =>
        create(ListSCMIntegrationsResponseSchema, {
          integrations: (options.integrations ?? []).map((i) => ({ runnerId, ...i })),
        }),
      createSCMIntegration: (req) => {
        calls.created.push(req);
        if (options.refuseCreate)
          throw new ConnectError('host: "github.com" already has an integration', Code.AlreadyExists);
        return create(CreateSCMIntegrationResponseSchema, { id: "55555555-5555-4555-8555-555555555555" });
      },
      updateSCMIntegration: (req) => {
        calls.updated.push(req);
        return create(UpdateSCMIntegrationResponseSchema, {});
      },
      deleteSCMIntegration: (req) => {
        calls.deleted.push(req);
        if (options.refuseDelete) throw new ConnectError("runner admins only", Code.PermissionDenied);
        return create(DeleteSCMIntegrationResponseSchema, {});
      },
    });
  };
}

const newCalls = (): Calls => ({ created: [], updated: [], deleted: [] });
const page = `/runners/${runnerId}/scm-integrations`;
const form = async () =>
  within(await screen.findByRole("form", { name: "Add an SCM integration" }, { timeout: 10_000 }));

describe("Adding an SCM integration", () => {
  it("shows the callback URL and the schema's PAT guidance, and sends the OAuth app with its issuer URL", async () => {
    const calls = newCalls();
    renderApp(page, routes(calls));
    const f = await form();
    expect((f.getByLabelText("Callback URL to register in the OAuth app") as HTMLTextAreaElement).value).toBe(
      callbackUrl,
    );
    expect(f.getByText(/fine-grained token/)).toBeTruthy();
    expect(f.getByRole("link", { name: "How to create one for GitHub" }).getAttribute("href")).toBe(
      "https://docs.example/pat",
    );
    // The issuer belongs to an OAuth app: asked for only once there is a client id.
    expect(f.queryByLabelText("OAuth issuer URL")).toBeNull();
    await userEvent.type(f.getByLabelText("Host"), "github.example.com");
    await userEvent.type(f.getByLabelText("OAuth client ID"), "app-7");
    await userEvent.type(f.getByLabelText("OAuth client secret"), "s3cret");
    await userEvent.type(f.getByLabelText("OAuth issuer URL"), "not a url");
    await userEvent.click(f.getByRole("button", { name: "Add integration" }));
    expect(await f.findByText("must be an absolute URL such as https://github.example.com")).toBeTruthy();
    expect(calls.created).toEqual([]);
    await userEvent.clear(f.getByLabelText("OAuth issuer URL"));
    await userEvent.type(f.getByLabelText("OAuth issuer URL"), "https://sso.example.com");
    await userEvent.click(f.getByRole("button", { name: "Add integration" }));
    await waitFor(() => expect(calls.created).toHaveLength(1));
    expect(calls.created[0]).toMatchObject({
      runnerId,
      scmId: "github",
      host: "github.example.com",
      oauthClientId: "app-7",
      oauthPlaintextClientSecret: "s3cret",
      issuerUrl: "https://sso.example.com",
      pat: true,
    });
    expect(calls.created[0]?.virtualDirectory).toBeUndefined();
    // Added: the form empties, so the secret does not linger on screen.
    expect(await f.findByText("Integration added.")).toBeTruthy();
    expect((f.getByLabelText("OAuth client secret") as HTMLInputElement).value).toBe("");
    expect((f.getByLabelText("Host") as HTMLInputElement).value).toBe("");
  });

  it("asks an Azure DevOps integration for its virtual directory and offers no OAuth the runner lacks", async () => {
    const calls = newCalls();
    renderApp(page, routes(calls));
    const f = await form();
    expect(f.queryByLabelText("Virtual directory")).toBeNull();
    await userEvent.selectOptions(f.getByLabelText("SCM"), "azuredevops");
    expect(f.queryByLabelText("OAuth client ID")).toBeNull();
    expect(f.getByText("This runner does not offer OAuth for Azure DevOps.")).toBeTruthy();
    await userEvent.type(f.getByLabelText("Host"), "tfs.example.com");
    await userEvent.type(f.getByLabelText("Virtual directory"), "/tfs");
    await userEvent.click(f.getByRole("button", { name: "Add integration" }));
    await waitFor(() => expect(calls.created).toHaveLength(1));
    expect(calls.created[0]).toMatchObject({
      scmId: "azuredevops",
      host: "tfs.example.com",
      virtualDirectory: "/tfs",
      pat: true,
    });
    expect(calls.created[0]?.oauthClientId).toBeUndefined();
  });

  it("sends PATs off for an SCM the runner takes no personal access tokens for, and the public host when left empty", async () => {
    const calls = newCalls();
    renderApp(page, routes(calls));
    const f = await form();
    await userEvent.selectOptions(f.getByLabelText("SCM"), "bitbucket");
    expect(f.queryByLabelText("Allow personal access tokens")).toBeNull();
    expect(f.getByText("This runner does not take personal access tokens for Bitbucket.")).toBeTruthy();
    await userEvent.click(f.getByRole("button", { name: "Add integration" }));
    await waitFor(() => expect(calls.created).toHaveLength(1));
    expect(calls.created[0]).toMatchObject({ scmId: "bitbucket", host: "bitbucket.org", pat: false });
  });

  it("shows the server's refusal with its code and keeps what was typed", async () => {
    const calls = newCalls();
    renderApp(page, routes(calls, { refuseCreate: true }));
    const f = await form();
    await userEvent.type(f.getByLabelText("OAuth client ID"), "app-7");
    await userEvent.type(f.getByLabelText("OAuth client secret"), "s3cret");
    await userEvent.click(f.getByRole("button", { name: "Add integration" }));
    const alert = await f.findByRole("alert");
    expect(alert.textContent).toContain('host: "github.com" already has an integration');
    expect(alert.textContent).toContain("already_exists");
    expect((f.getByLabelText("OAuth client ID") as HTMLInputElement).value).toBe("app-7");
  });
});

describe("Editing and removing an SCM integration", () => {
  const github = {
    id: "44444444-4444-4444-8444-444444444444",
    scmId: "github",
    host: "github.com",
    pat: false,
    oauth: { clientId: "app-1", issuerUrl: "https://sso.example.com" },
  };
  const azure = {
    id: "66666666-6666-4666-8666-666666666666",
    scmId: "azuredevops",
    host: "tfs.example.com",
    pat: true,
    virtualDirectory: "/tfs",
  };

  it("lists each integration's issuer and virtual directory", async () => {
    renderApp(page, routes(newCalls(), { integrations: [github, azure] }));
    expect(
      await screen.findByText(/OAuth app app-1 at https:\/\/sso\.example\.com/, {}, { timeout: 10_000 }),
    ).toBeTruthy();
    expect(screen.getByText(/virtual directory \/tfs/)).toBeTruthy();
  });

  it("shows the callback URL beside the OAuth app and sends a changed issuer URL, nothing else", async () => {
    const calls = newCalls();
    renderApp(page, routes(calls, { integrations: [github] }));
    await userEvent.click(
      await screen.findByRole("button", { name: "Edit integration github.com" }, { timeout: 10_000 }),
    );
    const edit = within(screen.getByRole("form", { name: "Edit integration github.com" }));
    expect(
      (edit.getByLabelText("Callback URL to register in the OAuth app for github.com") as HTMLTextAreaElement).value,
    ).toBe(callbackUrl);
    const issuer = edit.getByLabelText("OAuth issuer URL for github.com") as HTMLInputElement;
    expect(issuer.value).toBe("https://sso.example.com");
    // github.com is not Azure DevOps: no virtual directory to edit.
    expect(edit.queryByLabelText(/Virtual directory/)).toBeNull();
    await userEvent.clear(issuer);
    await userEvent.type(issuer, "https://login.example.com");
    await userEvent.click(edit.getByRole("button", { name: "Save integration" }));
    await waitFor(() => expect(calls.updated).toHaveLength(1));
    expect(calls.updated[0]).toMatchObject({ id: github.id, issuerUrl: "https://login.example.com", pat: false });
    expect(calls.updated[0]?.oauthClientId).toBeUndefined();
    expect(calls.updated[0]?.oauthPlaintextClientSecret).toBeUndefined();
    expect(calls.updated[0]?.virtualDirectory).toBeUndefined();
  });

  it("clears an Azure DevOps Server's virtual directory with an empty value", async () => {
    const calls = newCalls();
    renderApp(page, routes(calls, { integrations: [azure] }));
    await userEvent.click(
      await screen.findByRole("button", { name: "Edit integration tfs.example.com" }, { timeout: 10_000 }),
    );
    await userEvent.clear(screen.getByLabelText("Virtual directory for tfs.example.com"));
    await userEvent.click(screen.getByRole("button", { name: "Save integration" }));
    await waitFor(() => expect(calls.updated).toHaveLength(1));
    expect(calls.updated[0]).toMatchObject({ id: azure.id, virtualDirectory: "" });
    expect(calls.updated[0]?.issuerUrl).toBeUndefined();
  });

  it("removes an integration only after the confirmation that says its accounts go too", async () => {
    const calls = newCalls();
    renderApp(page, routes(calls, { integrations: [github] }));
    await userEvent.click(
      await screen.findByRole("button", { name: "Remove integration github.com" }, { timeout: 10_000 }),
    );
    expect(calls.deleted).toEqual([]);
    expect(screen.getByText(/accounts people connected for it are removed too/)).toBeTruthy();
    await userEvent.click(screen.getByRole("button", { name: "Remove github.com" }));
    await waitFor(() => expect(calls.deleted).toEqual([expect.objectContaining({ id: github.id })]));
  });

  it("says a refused removal is not allowed, above the list", async () => {
    const calls = newCalls();
    renderApp(page, routes(calls, { integrations: [github], refuseDelete: true }));
    await userEvent.click(
      await screen.findByRole("button", { name: "Remove integration github.com" }, { timeout: 10_000 }),
    );
    await userEvent.click(screen.getByRole("button", { name: "Remove github.com" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Not allowed.");
    expect(alert.textContent).toContain("You may not remove SCM integrations.");
    expect(alert.textContent).toContain("runner admins only");
  });
});
