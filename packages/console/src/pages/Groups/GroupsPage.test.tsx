/**
 * The groups list over an in-memory transport: the empty state with what to do, a new group
 * sent and the form emptied, and a refused name shown beside its field.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type CreateGroupRequest,
  CreateGroupResponseSchema,
  GroupService,
  ListGroupsResponseSchema,
} from "@runnerplane/api/gitpod/v1/group_pb";
import { ViolationsSchema } from "@runnerplane/api/runnerplane/validate/v1/validate_pb";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { me, renderApp } from "../../testing/render-app";

describe("GroupsPage", () => {
  it("starts empty with what to do, creates a group and lists it, and shows a refused name beside its field", async () => {
    const created: CreateGroupRequest[] = [];
    renderApp("/groups", (r) =>
      r.service(GroupService, {
        listGroups: () =>
          create(ListGroupsResponseSchema, {
            groups: created
              .filter((c) => c.name !== "x")
              .map((c, i) => ({ id: `g${i}`, name: c.name, memberCount: 0 })),
          }),
        createGroup: (req) => {
          created.push(req);
          if (req.name === "x") {
            throw new ConnectError("name: too short", Code.InvalidArgument, undefined, [
              {
                desc: ViolationsSchema,
                value: create(ViolationsSchema, {
                  violations: [{ field: "name", rule: "string.min_len", message: "value length must be at least 3" }],
                }),
              },
            ]);
          }
          return create(CreateGroupResponseSchema, { group: { id: "g0", name: req.name } });
        },
      }),
    );
    expect(await screen.findByText(/No groups yet/, {}, { timeout: 10_000 })).toBeTruthy();
    await userEvent.type(screen.getByLabelText("Group name"), "x");
    await userEvent.click(screen.getByRole("button", { name: "Create group" }));
    expect(await screen.findByText("value length must be at least 3")).toBeTruthy();
    expect((screen.getByLabelText("Group name") as HTMLInputElement).value).toBe("x");
    await userEvent.clear(screen.getByLabelText("Group name"));
    await userEvent.type(screen.getByLabelText("Group name"), "Platform team");
    await userEvent.click(screen.getByRole("button", { name: "Create group" }));
    expect(await screen.findByRole("link", { name: "Platform team" })).toBeTruthy();
    expect(created.at(-1)).toMatchObject({ organizationId: me.org, name: "Platform team" });
    await waitFor(() => expect((screen.getByLabelText("Group name") as HTMLInputElement).value).toBe(""));
  });
});
