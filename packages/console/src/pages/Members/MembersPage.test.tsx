/**
 * Members and roles over an in-memory transport: the search sent as ListMembers' filter, a role
 * change sent as SetRole (controls for admins only), the server's refusal (the last admin) shown with its code, and the
 * empty state that tells a search from an empty organization.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type ListMembersRequest,
  ListMembersResponseSchema,
  OrganizationRole,
  OrganizationService,
  type SetRoleRequest,
  SetRoleResponseSchema,
} from "@runnerplane/api/gitpod/v1/organization_pb";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { me, renderApp } from "../../testing/render-app";

const adaId = "0b7f3c1e-0000-4000-8000-0000000000ad";

function routes(requests: ListMembersRequest[], roles: SetRoleRequest[], myRole = OrganizationRole.ADMIN) {
  return (r: Parameters<Parameters<typeof renderApp>[1]>[0]) =>
    r.service(OrganizationService, {
      listMembers: (req) => {
        requests.push(req);
        const all = [
          { userId: me.id, fullName: "Grace Hopper", email: "grace@example.com", role: myRole },
          { userId: adaId, fullName: "Ada Lovelace", email: "ada@example.com", role: OrganizationRole.MEMBER },
        ];
        const search = req.filter?.search.toLowerCase() ?? "";
        const ids = req.filter?.userIds ?? [];
        return create(ListMembersResponseSchema, {
          members: all.filter(
            (m) => m.fullName.toLowerCase().includes(search) && (ids.length === 0 || ids.includes(m.userId)),
          ),
        });
      },
      setRole: (req) => {
        roles.push(req);
        if (req.userId === me.id)
          throw new ConnectError("the last admin of the organization cannot be demoted", Code.FailedPrecondition);
        return create(SetRoleResponseSchema, {});
      },
    });
}

describe("MembersPage", () => {
  it("changes a member's role, and shows why the last admin cannot be demoted", async () => {
    const roles: SetRoleRequest[] = [];
    renderApp("/members", routes([], roles));
    expect(await screen.findByText("Grace Hopper (you)", {}, { timeout: 10_000 })).toBeTruthy();
    // The controls come once the caller's own entry says admin.
    await screen.findByLabelText("Role of Ada Lovelace");
    await userEvent.selectOptions(screen.getByLabelText("Role of Ada Lovelace"), String(OrganizationRole.ADMIN));
    await waitFor(() => expect(roles).toHaveLength(1));
    expect(roles[0]).toMatchObject({ organizationId: me.org, userId: adaId, role: OrganizationRole.ADMIN });
    await userEvent.selectOptions(screen.getByLabelText("Role of Grace Hopper"), String(OrganizationRole.MEMBER));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("the last admin of the organization cannot be demoted");
    expect(alert.textContent).toContain("failed_precondition");
  });

  it("shows a member the roles without controls to change them", async () => {
    const requests: ListMembersRequest[] = [];
    renderApp("/members", routes(requests, [], OrganizationRole.MEMBER));
    expect(await screen.findByText("Ada Lovelace", {}, { timeout: 10_000 })).toBeTruthy();
    await waitFor(() => expect(requests.some((q) => q.filter?.userIds.includes(me.id))).toBe(true));
    // Give the caller's own entry time to arrive; the table must still offer no select.
    await waitFor(() => expect(screen.getAllByRole("cell", { name: "Member" })).toHaveLength(2));
    expect(screen.queryByLabelText("Role of Ada Lovelace")).toBeNull();
    expect(screen.queryByRole("combobox")).toBeNull();
  });

  it("searches through ListMembers' filter and says when nobody matches", async () => {
    const requests: ListMembersRequest[] = [];
    renderApp("/members", routes(requests, []));
    await screen.findByText("Ada Lovelace", {}, { timeout: 10_000 });
    await userEvent.type(screen.getByLabelText("Search members"), "zz");
    expect(await screen.findByText("Nobody matches this search.")).toBeTruthy();
    expect(requests.at(-1)?.filter?.search).toBe("zz");
    expect(requests.at(-1)?.organizationId).toBe(me.org);
  });
});
