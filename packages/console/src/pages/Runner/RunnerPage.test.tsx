/**
 * The runner page over an in-memory transport: the server's error with its code (and a way
 * back), the live status, a new exchange token shown once with the start command, role
 * assignments (and what to do when there is no group), and deletion only after confirmation.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  GroupService,
  ListGroupsResponseSchema,
  ListRoleAssignmentsResponseSchema,
  ResourceRole,
} from "@runnerplane/api/gitpod/v1/group_pb";
import { RunnerKind, RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import {
  CreateRunnerTokenResponseSchema,
  type DeleteRunnerRequest,
  DeleteRunnerResponseSchema,
  GetRunnerResponseSchema,
  ListRunnersResponseSchema,
  RunnerPhase,
  RunnerService,
} from "@runnerplane/api/gitpod/v1/runner_pb";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { renderApp } from "../../testing/render-app";

const runnerId = "55555555-5555-4555-8555-555555555555";
const groupId = "99999999-9999-4999-8999-999999999999";

function routes(options: { groups?: boolean; deleted?: DeleteRunnerRequest[] } = {}) {
  return (r: Parameters<Parameters<typeof renderApp>[1]>[0]) => {
    r.service(RunnerService, {
      getRunner: () =>
        create(GetRunnerResponseSchema, {
          runner: {
            runnerId,
            name: "Build box",
            kind: RunnerKind.REMOTE,
            provider: RunnerProvider.AWS_EC2,
            status: { phase: RunnerPhase.ACTIVE, version: "1.4.2", region: "eu-west-1" },
          },
        }),
      listRunners: () => create(ListRunnersResponseSchema, {}),
      createRunnerToken: () => create(CreateRunnerTokenResponseSchema, { exchangeToken: "rp_exchange_once" }),
      deleteRunner: (req) => {
        options.deleted?.push(req);
        return create(DeleteRunnerResponseSchema, {});
      },
    });
    r.service(GroupService, {
      listGroups: () =>
        create(ListGroupsResponseSchema, { groups: options.groups ? [{ id: groupId, name: "Platform team" }] : [] }),
      listRoleAssignments: () =>
        create(ListRoleAssignmentsResponseSchema, {
          assignments: options.groups
            ? [{ id: "a1", groupId, resourceId: runnerId, resourceRole: ResourceRole.RUNNER_ADMIN }]
            : [],
        }),
    });
  };
}

describe("RunnerPage", () => {
  it("shows the server's message and code for a runner it cannot find, with a way back", async () => {
    renderApp(`/runners/${runnerId}`, (r) =>
      r.service(RunnerService, {
        getRunner: () => {
          throw new ConnectError(`runner ${runnerId} not found`, Code.NotFound);
        },
      }),
    );
    const alert = await screen.findByRole("alert", {}, { timeout: 10_000 });
    expect(alert.textContent).toContain(`runner ${runnerId} not found`);
    expect(alert.textContent).toContain("not_found");
    expect(screen.getByRole("link", { name: "Back to runners" }).getAttribute("href")).toBe("/runners");
  });

  it("shows the live status and a new exchange token once, with the command that starts the runner", async () => {
    renderApp(`/runners/${runnerId}`, routes({ groups: true }));
    expect(await screen.findByRole("heading", { name: "Build box" }, { timeout: 10_000 })).toBeTruthy();
    expect(screen.getByText("1.4.2")).toBeTruthy();
    expect(screen.getByText("eu-west-1")).toBeTruthy();
    await userEvent.click(screen.getByRole("button", { name: "Issue exchange token" }));
    expect(((await screen.findByLabelText("Exchange token")) as HTMLTextAreaElement).value).toBe("rp_exchange_once");
    expect((screen.getByLabelText("Start command") as HTMLTextAreaElement).value).toContain("rp_exchange_once");
    expect(screen.getByRole("button", { name: "Copy start command" })).toBeTruthy();
    expect(await screen.findByRole("button", { name: "Remove Runner admin from Platform team" })).toBeTruthy();
    expect(screen.getByRole("option", { name: "Platform team" })).toBeTruthy();
  });

  it("says roles need a group, with the link to make one, instead of an empty form", async () => {
    renderApp(`/runners/${runnerId}`, routes());
    expect(await screen.findByText(/No group has a role on this runner/, {}, { timeout: 10_000 })).toBeTruthy();
    expect(await screen.findByRole("link", { name: "create a group" })).toBeTruthy();
    expect(screen.queryByLabelText("Group")).toBeNull();
  });

  it("deletes the runner only after the confirmation, then goes back to the list", async () => {
    const deleted: DeleteRunnerRequest[] = [];
    renderApp(`/runners/${runnerId}`, routes({ deleted }));
    await userEvent.click(await screen.findByRole("button", { name: "Delete runner" }, { timeout: 10_000 }));
    expect(screen.getByText("Delete Build box? This cannot be undone.")).toBeTruthy();
    expect(deleted).toEqual([]);
    await userEvent.click(screen.getByRole("button", { name: "Yes, delete Build box" }));
    await waitFor(() => expect(deleted.map((d) => d.runnerId)).toEqual([runnerId]));
    expect(await screen.findByRole("heading", { name: "Runners" })).toBeTruthy();
  });
});
