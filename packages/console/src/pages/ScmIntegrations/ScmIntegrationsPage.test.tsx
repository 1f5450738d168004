import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  GetRunnerConfigurationSchemaResponseSchema,
  ListSCMIntegrationsResponseSchema,
  RunnerConfigurationService,
  type UpdateSCMIntegrationRequest,
  UpdateSCMIntegrationResponseSchema,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { GetRunnerResponseSchema, RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { renderApp } from "../../testing/render-app";

const runnerId = "22222222-2222-4222-8222-222222222222";
const integrationId = "44444444-4444-4444-8444-444444444444";

function routes(updates: UpdateSCMIntegrationRequest[], answer?: () => never) {
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
                oauth: { callbackUrl: "https://rp.example/auth/oauth2/callback" },
              },
            ],
          },
        }),
      listSCMIntegrations: () =>
        create(ListSCMIntegrationsResponseSchema, {
          integrations: [
            {
              id: integrationId,
              runnerId,
              scmId: "github",
              host: "github.com",
              pat: true,
              oauth: { clientId: "app-1" },
            },
          ],
        }),
      updateSCMIntegration: (req) => {
        updates.push(req);
        answer?.();
        return create(UpdateSCMIntegrationResponseSchema, {});
      },
    });
  };
}

describe("ScmIntegrationsPage editing", () => {
  it("sends only what changed: a new secret and PATs off, the client id as it was", async () => {
    const updates: UpdateSCMIntegrationRequest[] = [];
    renderApp(`/runners/${runnerId}/scm-integrations`, routes(updates));
    const edit = await screen.findByRole("button", { name: "Edit integration github.com" }, { timeout: 10_000 });
    await userEvent.click(edit);
    expect(edit.getAttribute("aria-expanded")).toBe("true");
    expect((screen.getByLabelText("OAuth client ID for github.com") as HTMLInputElement).value).toBe("app-1");
    expect((screen.getByLabelText("OAuth client secret for github.com") as HTMLInputElement).value).toBe("");
    await userEvent.type(screen.getByLabelText("OAuth client secret for github.com"), "new-secret");
    await userEvent.click(screen.getByLabelText("Allow personal access tokens for github.com"));
    expect(screen.getByText(/deletes the personal access tokens/)).toBeTruthy();
    await userEvent.click(screen.getByRole("button", { name: "Save integration" }));
    await waitFor(() => expect(updates).toHaveLength(1));
    expect(updates[0]).toMatchObject({ id: integrationId, pat: false, oauthPlaintextClientSecret: "new-secret" });
    expect(updates[0]?.oauthClientId).toBeUndefined();
    // Saved: the editor closes.
    await waitFor(() => expect(screen.queryByLabelText("OAuth client secret for github.com")).toBeNull());
  });

  it("warns that an empty client id removes the OAuth app, and sends the empty id", async () => {
    const updates: UpdateSCMIntegrationRequest[] = [];
    renderApp(`/runners/${runnerId}/scm-integrations`, routes(updates));
    await userEvent.click(
      await screen.findByRole("button", { name: "Edit integration github.com" }, { timeout: 10_000 }),
    );
    await userEvent.clear(screen.getByLabelText("OAuth client ID for github.com"));
    expect(screen.getByText(/removes the OAuth app/)).toBeTruthy();
    await userEvent.click(screen.getByRole("button", { name: "Save integration" }));
    await waitFor(() => expect(updates[0]?.oauthClientId).toBe(""));
    expect(updates[0]?.oauthPlaintextClientSecret).toBeUndefined();
  });

  it("keeps the editor open with the server's message and code when the update is refused", async () => {
    const updates: UpdateSCMIntegrationRequest[] = [];
    renderApp(
      `/runners/${runnerId}/scm-integrations`,
      routes(updates, () => {
        throw new ConnectError("the runner has not signed up yet", Code.FailedPrecondition);
      }),
    );
    await userEvent.click(
      await screen.findByRole("button", { name: "Edit integration github.com" }, { timeout: 10_000 }),
    );
    await userEvent.type(screen.getByLabelText("OAuth client secret for github.com"), "x");
    await userEvent.click(screen.getByRole("button", { name: "Save integration" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("the runner has not signed up yet");
    expect(alert.textContent).toContain("failed_precondition");
    expect(screen.getByLabelText("OAuth client secret for github.com")).toBeTruthy();
  });
});
