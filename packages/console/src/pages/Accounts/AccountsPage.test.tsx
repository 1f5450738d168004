/**
 * "Your accounts" over an in-memory transport: the runner from `?runner=`, each host it serves
 * with the OAuth link (coming back to this page) and the PAT form with the SCM's own guidance,
 * a PAT saved for the caller, the caller's host tokens listed and removed, and the designed
 * states when the runner has no integration or there is no runner at all.
 */
import { create } from "@bufbuild/protobuf";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import {
  type CreateHostAuthenticationTokenRequest,
  CreateHostAuthenticationTokenResponseSchema,
  type DeleteHostAuthenticationTokenRequest,
  DeleteHostAuthenticationTokenResponseSchema,
  HostAuthenticationTokenSource,
  ListHostAuthenticationTokensResponseSchema,
  ListSCMIntegrationsResponseSchema,
  RunnerConfigurationService,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import {
  CheckAuthenticationForHostResponseSchema,
  ListRunnersResponseSchema,
  RunnerService,
} from "@runnerplane/api/gitpod/v1/runner_pb";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { me, renderApp } from "../../testing/render-app";

const runnerId = "22222222-2222-4222-8222-222222222222";
const authUrl = "https://rp.example/auth/oauth2/start?attempt=abc";

interface Calls {
  saved: CreateHostAuthenticationTokenRequest[];
  removed: DeleteHostAuthenticationTokenRequest[];
}

function routes(calls: Calls, options: { runners?: boolean; integrations?: boolean } = {}) {
  return (r: Parameters<Parameters<typeof renderApp>[1]>[0]) => {
    r.service(RunnerService, {
      listRunners: () =>
        create(ListRunnersResponseSchema, {
          runners: options.runners === false ? [] : [{ runnerId, name: "Build box" }],
        }),
      checkAuthenticationForHost: (req) =>
        create(CheckAuthenticationForHostResponseSchema, {
          authenticated: false,
          scmId: "github",
          supportsOauth2: { authUrl },
          supportsPat: {
            createUrl: `https://${req.host}/settings/tokens/new`,
            docsUrl: "https://docs.example/pat",
            example: "ghp_xxxxxxxxxxxx",
            requiredScopes: ["repo"],
          },
        }),
    });
    r.service(RunnerConfigurationService, {
      listSCMIntegrations: () =>
        create(ListSCMIntegrationsResponseSchema, {
          integrations:
            options.integrations === false
              ? []
              : [{ id: "i1", runnerId, scmId: "github", host: "github.com", pat: true }],
        }),
      listHostAuthenticationTokens: (req) => {
        expect(req.filter?.subjectId).toBe(me.id);
        return create(ListHostAuthenticationTokensResponseSchema, {
          tokens: calls.removed.length
            ? []
            : [{ id: "t1", runnerId, host: "github.com", source: HostAuthenticationTokenSource.OAUTH }],
        });
      },
      createHostAuthenticationToken: (req) => {
        calls.saved.push(req);
        return create(CreateHostAuthenticationTokenResponseSchema, {});
      },
      deleteHostAuthenticationToken: (req) => {
        calls.removed.push(req);
        return create(DeleteHostAuthenticationTokenResponseSchema, {});
      },
    });
  };
}

const newCalls = (): Calls => ({ saved: [], removed: [] });

describe("AccountsPage", () => {
  it("offers OAuth back to this page and a PAT with the SCM's guidance, and saves the PAT for you", async () => {
    const calls = newCalls();
    renderApp(`/accounts?runner=${runnerId}`, routes(calls));
    const connect = await screen.findByRole("link", { name: "Connect github.com with OAuth" }, { timeout: 10_000 });
    const href = new URL(connect.getAttribute("href") ?? "");
    expect(href.searchParams.get("attempt")).toBe("abc");
    expect(href.searchParams.get("return_to")).toBe(`/accounts?runner=${runnerId}`);
    const field = screen.getByLabelText("Personal access token for github.com") as HTMLInputElement;
    expect(field.placeholder).toBe("ghp_xxxxxxxxxxxx");
    expect(screen.getByText("Scopes: repo")).toBeTruthy();
    expect(screen.getByRole("link", { name: "Create a token on github.com" }).getAttribute("href")).toBe(
      "https://github.com/settings/tokens/new",
    );
    expect(screen.getByRole("link", { name: "How tokens work on github.com" })).toBeTruthy();
    await userEvent.type(field, " ghp_secret ");
    await userEvent.click(screen.getByRole("button", { name: "Save token" }));
    await waitFor(() => expect(calls.saved).toHaveLength(1));
    expect(calls.saved[0]).toMatchObject({
      runnerId,
      host: "github.com",
      token: "ghp_secret",
      source: HostAuthenticationTokenSource.PAT,
      subject: { id: me.id, principal: Principal.USER },
    });
    await waitFor(() => expect(field.value).toBe(""));
  });

  it("lists your host tokens and removes one", async () => {
    const calls = newCalls();
    renderApp(`/accounts?runner=${runnerId}`, routes(calls));
    await userEvent.click(
      await screen.findByRole("button", { name: "Remove token for github.com" }, { timeout: 10_000 }),
    );
    await waitFor(() => expect(calls.removed.map((r) => r.id)).toEqual(["t1"]));
    expect(await screen.findByText("You have no tokens on this runner.")).toBeTruthy();
  });

  it("says who adds integrations when the runner has none, and where to create a runner when there is none", async () => {
    const first = renderApp(`/accounts?runner=${runnerId}`, routes(newCalls(), { integrations: false }));
    expect(await screen.findByText(/This runner has no SCM integration yet/, {}, { timeout: 10_000 })).toBeTruthy();
    first.unmount();
    renderApp("/accounts", routes(newCalls(), { runners: false }));
    expect(await screen.findByText(/No runners yet/, {}, { timeout: 10_000 })).toBeTruthy();
    expect(screen.getByRole("link", { name: "Create a runner" }).getAttribute("href")).toBe("/runners/new");
  });
});
