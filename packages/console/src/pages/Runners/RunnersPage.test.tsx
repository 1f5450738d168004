import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { RunnerKind, RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { ListRunnersResponseSchema, RunnerPhase, RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { renderApp } from "../../testing/render-app";

const runner = {
  runnerId: "11111111-1111-4111-8111-111111111111",
  name: "Build box",
  kind: RunnerKind.LOCAL,
  provider: RunnerProvider.LINUX_HOST,
  status: { phase: RunnerPhase.ACTIVE, version: "1.2.3" },
};

describe("RunnersPage", () => {
  it("shows a loading skeleton while the list is on its way", async () => {
    renderApp("/runners", (r) => r.service(RunnerService, { listRunners: () => new Promise(() => {}) }));
    expect(await screen.findByText("Loading runners…")).toBeTruthy();
  });

  it("shows the empty state with the action to create a runner", async () => {
    renderApp("/runners", (r) =>
      r.service(RunnerService, { listRunners: () => create(ListRunnersResponseSchema, {}) }),
    );
    expect(await screen.findByText(/No runners yet/)).toBeTruthy();
    expect(screen.getByRole("link", { name: "Create a runner" }).getAttribute("href")).toBe("/runners/new");
  });

  it("shows runners with their phase, kind, provider and version", async () => {
    renderApp("/runners", (r) =>
      r.service(RunnerService, { listRunners: () => create(ListRunnersResponseSchema, { runners: [runner] }) }),
    );
    const link = await screen.findByRole("link", { name: "Build box" });
    const row = link.closest("tr") as HTMLElement;
    expect(row.textContent).toContain("Active");
    expect(row.textContent).toContain("Local");
    expect(row.textContent).toContain("Linux host");
    expect(row.textContent).toContain("1.2.3");
  });

  it("sends the chosen filters to ListRunners", async () => {
    const filters: unknown[] = [];
    renderApp("/runners", (r) =>
      r.service(RunnerService, {
        listRunners: (req) => {
          filters.push({ kinds: req.filter?.kinds, providers: req.filter?.providers });
          return create(ListRunnersResponseSchema, {});
        },
      }),
    );
    await screen.findByText(/No runners yet/);
    await userEvent.selectOptions(screen.getByLabelText("Kind"), "Remote");
    await waitFor(() => expect(filters.at(-1)).toEqual({ kinds: [RunnerKind.REMOTE], providers: [] }));
    expect(await screen.findByText("No runner matches these filters.")).toBeTruthy();
  });

  it("shows the server's message and code when the list fails", async () => {
    renderApp("/runners", (r) =>
      r.service(RunnerService, {
        listRunners: () => {
          throw new ConnectError("the database is unreachable", Code.Unavailable);
        },
      }),
    );
    // unavailable is retried (twice) before it is shown.
    const alert = await screen.findByRole("alert", {}, { timeout: 10_000 });
    expect(alert.textContent).toContain("the database is unreachable");
    expect(alert.textContent).toContain("unavailable");
    expect(alert.textContent).not.toContain("[unavailable]");
  });

  it("gives permission_denied a not-allowed notice", async () => {
    renderApp("/runners", (r) =>
      r.service(RunnerService, {
        listRunners: () => {
          throw new ConnectError("only org members", Code.PermissionDenied);
        },
      }),
    );
    expect((await screen.findByRole("alert")).textContent).toMatch(/Not allowed.*only org members/);
  });

  it("shows sign-in when there is no session", async () => {
    renderApp("/runners", () => {}, { signedIn: false });
    expect(await screen.findByLabelText("Personal access token")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Continue with SSO" })).toBeTruthy();
  });
});
