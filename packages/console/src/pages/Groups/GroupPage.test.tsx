/**
 * One group over an in-memory transport: the server's error with a way back, adding a member
 * (only people and service accounts not in it yet are offered), and deleting the group only
 * after the confirmation.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type CreateMembershipRequest,
  CreateMembershipResponseSchema,
  type DeleteGroupRequest,
  DeleteGroupResponseSchema,
  GetGroupResponseSchema,
  GroupService,
  ListGroupsResponseSchema,
  ListMembershipsResponseSchema,
} from "@runnerplane/api/gitpod/v1/group_pb";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import { ListMembersResponseSchema, OrganizationService } from "@runnerplane/api/gitpod/v1/organization_pb";
import {
  ListServiceAccountsResponseSchema,
  ServiceAccountService,
} from "@runnerplane/api/gitpod/v1/service_account_pb";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { me, renderApp } from "../../testing/render-app";

const groupId = "99999999-9999-4999-8999-999999999999";
const adaId = "0b7f3c1e-0000-4000-8000-0000000000ad";
const botId = "77777777-7777-4777-8777-777777777777";

interface Calls {
  added: CreateMembershipRequest[];
  deleted: DeleteGroupRequest[];
}

function routes(calls: Calls) {
  return (r: Parameters<Parameters<typeof renderApp>[1]>[0]) => {
    r.service(GroupService, {
      getGroup: () => create(GetGroupResponseSchema, { group: { id: groupId, name: "Platform team" } }),
      listGroups: () => create(ListGroupsResponseSchema, {}),
      listMemberships: () =>
        create(ListMembershipsResponseSchema, {
          members: [
            { id: "m1", groupId, name: "Grace Hopper", subject: { id: me.id, principal: Principal.USER } },
            ...calls.added.map((a, i) => ({ id: `new-${i}`, groupId, name: "Ada Lovelace", subject: a.subject })),
          ],
        }),
      createMembership: (req) => {
        calls.added.push(req);
        return create(CreateMembershipResponseSchema, {});
      },
      deleteGroup: (req) => {
        calls.deleted.push(req);
        return create(DeleteGroupResponseSchema, {});
      },
    });
    r.service(OrganizationService, {
      listMembers: () =>
        create(ListMembersResponseSchema, {
          members: [
            { userId: me.id, fullName: "Grace Hopper" },
            { userId: adaId, fullName: "Ada Lovelace" },
          ],
        }),
    });
    r.service(ServiceAccountService, {
      listServiceAccounts: () =>
        create(ListServiceAccountsResponseSchema, { serviceAccounts: [{ id: botId, name: "Deploy bot" }] }),
    });
  };
}

describe("GroupPage", () => {
  it("shows the server's message and code for a group it cannot find, with a way back", async () => {
    renderApp(`/groups/${groupId}`, (r) =>
      r.service(GroupService, {
        getGroup: () => {
          throw new ConnectError(`group ${groupId} not found`, Code.NotFound);
        },
      }),
    );
    const alert = await screen.findByRole("alert", {}, { timeout: 10_000 });
    expect(alert.textContent).toContain("not_found");
    expect(screen.getByRole("link", { name: "Back to groups" }).getAttribute("href")).toBe("/groups");
  });

  it("offers only who is not in the group yet, and adds a member", async () => {
    const calls: Calls = { added: [], deleted: [] };
    renderApp(`/groups/${groupId}`, routes(calls));
    const select = await screen.findByLabelText("Add to the group", {}, { timeout: 10_000 });
    await waitFor(() => expect(within(select).queryByRole("option", { name: "Deploy bot" })).toBeTruthy());
    expect(within(select).queryByRole("option", { name: "Grace Hopper" })).toBeNull();
    await userEvent.selectOptions(select, `${Principal.USER}:${adaId}`);
    await userEvent.click(screen.getByRole("button", { name: "Add member" }));
    await waitFor(() => expect(calls.added).toHaveLength(1));
    expect(calls.added[0]).toMatchObject({ groupId, subject: { id: adaId, principal: Principal.USER } });
    expect(await screen.findByRole("button", { name: "Remove Ada Lovelace from the group" })).toBeTruthy();
    expect(within(select).queryByRole("option", { name: "Ada Lovelace" })).toBeNull();
  });

  it("deletes the group only after the confirmation, then goes back to the groups", async () => {
    const calls: Calls = { added: [], deleted: [] };
    renderApp(`/groups/${groupId}`, routes(calls));
    await userEvent.click(await screen.findByRole("button", { name: "Delete group" }, { timeout: 10_000 }));
    expect(calls.deleted).toEqual([]);
    await userEvent.click(screen.getByRole("button", { name: "Yes, delete Platform team" }));
    await waitFor(() => expect(calls.deleted.map((d) => d.groupId)).toEqual([groupId]));
    expect(await screen.findByRole("heading", { name: "Groups" })).toBeTruthy();
  });
});
