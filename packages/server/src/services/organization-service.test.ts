/**
 * OrganizationService over the real server and Postgres (behaviour.md §2, §3, §7, §12;
 * docs/identity.md#organizationservice): GetOrganization, UpdateOrganization, ListMembers
 * with its filters and keyset pages, SetRole with the last-admin rule under concurrency,
 * tenancy and who may call what; the methods of other issues still answer `unimplemented`.
 */
import { type Client, Code } from "@connectrpc/connect";
import { CountResponseRelation } from "@runnerplane/api/gitpod/v1/count_pb";
import {
  ListMembersRequest_SortField,
  type OrganizationMember,
  OrganizationRole,
  type OrganizationService,
  OrganizationTier,
} from "@runnerplane/api/gitpod/v1/organization_pb";
import { SortOrder } from "@runnerplane/api/gitpod/v1/pagination_pb";
import { UserStatus } from "@runnerplane/api/gitpod/v1/user_pb";
import { describe, expect, it } from "vitest";
import { createMember } from "../db/members.js";
import { lockOrganizationAdmins } from "../db/organization-members.js";
import { type CallerName, callError, seedGroup, seedMember } from "../testing/index.js";
import { unknownId, useTenancyServer } from "../testing/tenancy-server.js";

const t = useTenancyServer();

type Organizations = Client<typeof OrganizationService>;

const client = (token: string, binary = false): Organizations => t.clients(token, binary).organization;
const as = (caller: CallerName): Organizations => t.as(caller).organization;
const orgA = () => t.fx.organizations.A;
const freshOrg = t.freshOrg;

async function until(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function listAll(c: Organizations, organizationId: string): Promise<OrganizationMember[]> {
  return (await c.listMembers({ organizationId, pagination: { pageSize: 100 } })).members;
}

describe("GetOrganization", () => {
  it("returns the caller's org to any member, over JSON and binary", async () => {
    for (const useBinaryFormat of [false, true]) {
      for (const caller of ["A admin", "A member", "A service account"] as const) {
        const { organization } = await client(t.fx.tokens[caller], useBinaryFormat).getOrganization({
          organizationId: orgA(),
        });
        expect(organization).toMatchObject({ id: orgA(), tier: OrganizationTier.ENTERPRISE });
        expect(organization?.name).not.toBe("");
        expect(organization?.createdAt).toBeDefined();
        expect(organization?.updatedAt).toBeDefined();
      }
    }
  });

  it("accepts the id in upper case", async () => {
    const { organization } = await as("A member").getOrganization({ organizationId: orgA().toUpperCase() });
    expect(organization?.id).toBe(orgA());
  });

  it("answers not_found for another org's id, the same as for an unknown one", async () => {
    const other = await callError(as("A admin").getOrganization({ organizationId: t.fx.organizations.B }));
    const unknown = await callError(as("A admin").getOrganization({ organizationId: unknownId }));
    expect(other.code).toBe(Code.NotFound);
    expect(unknown.code).toBe(Code.NotFound);
    expect(other.rawMessage.replace(t.fx.organizations.B, "ID")).toBe(unknown.rawMessage.replace(unknownId, "ID"));
  });

  it("refuses a runner (permission_denied) and an anonymous caller (unauthenticated)", async () => {
    expect((await callError(as("A org runner itself").getOrganization({ organizationId: orgA() }))).code).toBe(
      Code.PermissionDenied,
    );
    expect((await callError(client("rp_pat_nonsense").getOrganization({ organizationId: "nope" }))).code).toBe(
      Code.Unauthenticated,
    );
  });

  it("validates the id", async () => {
    const error = await callError(as("A admin").getOrganization({ organizationId: "not-a-uuid" }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("organization_id");
  });
});

describe("UpdateOrganization", () => {
  it("renames the org and sets invite domains (lower-cased), keeping what is not given", async () => {
    const org = await freshOrg();
    const admin = client(org.admin.token);
    const before = (await admin.getOrganization({ organizationId: org.id })).organization;
    const renamed = (await admin.updateOrganization({ organizationId: org.id, name: "Renamed" })).organization;
    expect(renamed).toMatchObject({ id: org.id, name: "Renamed", tier: OrganizationTier.ENTERPRISE });
    expect(renamed?.inviteDomains?.domains).toEqual([]);
    const withDomains = (
      await admin.updateOrganization({
        organizationId: org.id,
        inviteDomains: { domains: ["Example.COM", "example.org", "example.com"] },
      })
    ).organization;
    expect(withDomains?.name).toBe("Renamed");
    expect(withDomains?.inviteDomains?.domains).toEqual(["example.com", "example.org"]);
    expect(Number(withDomains?.updatedAt?.seconds) * 1000 + (withDomains?.updatedAt?.nanos ?? 0) / 1e6).toBeGreaterThan(
      Number(before?.updatedAt?.seconds) * 1000 + (before?.updatedAt?.nanos ?? 0) / 1e6 - 1,
    );
    const read = (await client(org.member.token).getOrganization({ organizationId: org.id })).organization;
    expect(read).toMatchObject({ name: "Renamed", inviteDomains: { domains: ["example.com", "example.org"] } });
    expect(read?.createdAt).toEqual(before?.createdAt);
    // Clearing the domains: an empty InviteDomains.
    const cleared = (await admin.updateOrganization({ organizationId: org.id, inviteDomains: { domains: [] } }))
      .organization;
    expect(cleared?.inviteDomains?.domains).toEqual([]);
    // A request that changes nothing answers the org as it is.
    const unchanged = (await admin.updateOrganization({ organizationId: org.id })).organization;
    expect(unchanged).toEqual(cleared);
  });

  it("is for admins: members and service accounts get permission_denied, another org not_found", async () => {
    for (const caller of ["A member", "A service account", "A org runner itself"] as const) {
      const error = await callError(as(caller).updateOrganization({ organizationId: orgA(), name: "Hijacked" }));
      expect(error.code, caller).toBe(Code.PermissionDenied);
    }
    expect((await callError(as("B admin").updateOrganization({ organizationId: orgA(), name: "X" }))).code).toBe(
      Code.NotFound,
    );
    const { organization } = await as("A admin").getOrganization({ organizationId: orgA() });
    expect(organization?.name).not.toBe("Hijacked");
  });

  it("validates the name and the invite domains", async () => {
    const admin = as("A admin");
    for (const name of ["", "x".repeat(128)]) {
      const error = await callError(admin.updateOrganization({ organizationId: orgA(), name }));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toContain("name");
    }
    for (const domains of [["not a domain"], ["example.com", "example.com"]]) {
      const error = await callError(admin.updateOrganization({ organizationId: orgA(), inviteDomains: { domains } }));
      expect(error.code, domains.join()).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toContain("invite_domains");
    }
    expect((await admin.updateOrganization({ organizationId: orgA(), name: "x".repeat(127) })).organization?.name).toBe(
      "x".repeat(127),
    );
  });
});

describe("ListMembers", () => {
  it("lists the org's users (not its service accounts) with what the model holds", async () => {
    const org = await freshOrg();
    const withEmail = await createMember(t.server.sql, {
      organizationId: org.id,
      kind: "user",
      name: "Ada Lovelace",
      email: "ada@example.com",
      role: "member",
    });
    const members = await listAll(client(org.member.token), org.id);
    const joinOrder = await t.server.sql<{ id: string }[]>`
      select id from members where organization_id = ${org.id} and kind = 'user' order by created_at, id`;
    expect(members.map((m) => m.userId)).toEqual(joinOrder.map((r) => r.id));
    expect(new Set(joinOrder.map((r) => r.id))).toEqual(
      new Set([org.admin.member.id, org.member.member.id, withEmail.id]),
    );
    expect(members.map((m) => m.userId)).not.toContain(org.serviceAccount.member.id);
    const byId = (id: string) => members.find((m) => m.userId === id);
    expect(byId(org.admin.member.id)).toMatchObject({ role: OrganizationRole.ADMIN, status: UserStatus.ACTIVE });
    expect(byId(withEmail.id)).toMatchObject({
      userId: withEmail.id,
      role: OrganizationRole.MEMBER,
      fullName: "Ada Lovelace",
      email: "ada@example.com",
      avatarUrl: "",
      status: UserStatus.ACTIVE,
      loginProvider: "builtin",
    });
    expect(byId(withEmail.id)?.memberSince?.seconds).toBe(BigInt(Math.floor(withEmail.created_at.getTime() / 1000)));
  });

  it("shows a suspended user as USER_STATUS_SUSPENDED and filters by status", async () => {
    const org = await freshOrg();
    await t.server.sql`update members set suspended_at = now() where id = ${org.member.member.id}`;
    const admin = client(org.admin.token);
    const members = await listAll(admin, org.id);
    expect(members.find((m) => m.userId === org.member.member.id)?.status).toBe(UserStatus.SUSPENDED);
    const ids = async (statuses: UserStatus[]) =>
      (await admin.listMembers({ organizationId: org.id, filter: { statuses } })).members.map((m) => m.userId);
    expect(await ids([UserStatus.SUSPENDED])).toEqual([org.member.member.id]);
    expect(await ids([UserStatus.ACTIVE])).toEqual([org.admin.member.id]);
    expect(await ids([UserStatus.ACTIVE, UserStatus.SUSPENDED])).toHaveLength(2);
    expect(await ids([UserStatus.LEFT])).toEqual([]);
  });

  it("filters by search, roles, user ids and groups, and counts when asked", async () => {
    const org = await freshOrg();
    const mk = (name: string, email: string | undefined, role: "admin" | "member" = "member") =>
      createMember(t.server.sql, { organizationId: org.id, kind: "user", name, email, role });
    const grace = await mk("Grace Hopper", "grace@navy.example", "admin");
    const linus = await mk("Linus", "linus@kernel.example");
    const percent = await mk("100% sure_thing", undefined);
    const grouped = await seedGroup(t.server.sql, org.id, "team", [linus.id]);
    const admin = client(org.admin.token);
    // As sets: users created within one millisecond list in id order.
    const ids = async (filter: Parameters<Organizations["listMembers"]>[0]["filter"]) =>
      (await admin.listMembers({ organizationId: org.id, filter })).members.map((m) => m.userId).sort();
    const set = (...userIds: string[]) => userIds.sort();

    expect(await ids({ search: "HOPPER" })).toEqual([grace.id]);
    expect(await ids({ search: "kernel.ex" })).toEqual([linus.id]);
    // LIKE's wildcards in the search match themselves only.
    expect(await ids({ search: "0% s" })).toEqual([percent.id]);
    expect(await ids({ search: "_" })).toEqual([percent.id]);
    expect(await ids({ roles: [OrganizationRole.ADMIN] })).toEqual(set(org.admin.member.id, grace.id));
    expect(await ids({ roles: [OrganizationRole.MEMBER], search: "linus" })).toEqual([linus.id]);
    expect(await ids({ roles: [OrganizationRole.ADMIN], search: "linus" })).toEqual([]);
    expect(await ids({ userIds: [linus.id.toUpperCase(), grace.id, org.serviceAccount.member.id] })).toEqual(
      set(grace.id, linus.id),
    );
    expect(await ids({ excludeGroupIds: [grouped.id] })).not.toContain(linus.id);
    expect(await ids({ excludeGroupIds: [grouped.id] })).toHaveLength(4);
    expect(await ids({ excludeMembersInAnyTeam: true })).toEqual(
      set(org.admin.member.id, org.member.member.id, grace.id, percent.id),
    );

    const counted = await admin.listMembers({
      organizationId: org.id,
      filter: { roles: [OrganizationRole.MEMBER] },
      pagination: { pageSize: 1 },
      count: { include: true },
    });
    expect(counted.members).toHaveLength(1);
    expect(counted.count).toMatchObject({ value: 3, relation: CountResponseRelation.EQ });
    expect((await admin.listMembers({ organizationId: org.id })).count).toBeUndefined();
  });

  it("pages by keyset in join order, forwards and backwards, without repeats or skips", async () => {
    const org = await freshOrg();
    for (let i = 0; i < 6; i++) await seedMember(t.server.sql, org.id, { name: `pager ${i}` });
    const c = client(org.member.token);
    const expected = (await listAll(c, org.id)).map((m) => m.userId);
    expect(expected).toHaveLength(8);

    for (const order of [SortOrder.ASC, SortOrder.DESC]) {
      const seen: string[] = [];
      let token = "";
      let pages = 0;
      do {
        const page = await c.listMembers({
          organizationId: org.id,
          sort: { field: ListMembersRequest_SortField.DATE_JOINED, order },
          pagination: { pageSize: 3, token },
        });
        expect(page.members.length).toBeLessThanOrEqual(3);
        seen.push(...page.members.map((m) => m.userId));
        token = page.pagination?.nextToken ?? "";
        pages++;
        // A user joining between pages comes after every page already read (ascending) or
        // before them (descending), and moves nobody else.
        if (pages === 1 && order === SortOrder.ASC) {
          await new Promise((resolve) => setTimeout(resolve, 2)); // joins strictly after everyone else
          expected.push((await seedMember(t.server.sql, org.id, { name: "late joiner" })).member.id);
        }
      } while (token !== "");
      expect(seen, SortOrder[order]).toEqual(order === SortOrder.ASC ? expected : [...expected].reverse());
      expect(pages).toBe(3);
    }
  });

  it("sorts by name, ignoring case, equal names in join order, in keyset pages both ways", async () => {
    const org = await freshOrg(); // "Org … admin", "Org … member"
    const names = ["delta", "Bravo", "alpha", "charlie", "bravo", "echo", "alpha"];
    for (const name of names) await seedMember(t.server.sql, org.id, { name });
    const c = client(org.admin.token, true);
    const all = await listAll(c, org.id); // join order
    const joined = new Map(all.map((m, i) => [m.userId, i]));
    const byName = [...all].sort(
      (a, b) =>
        (a.fullName.toLowerCase() < b.fullName.toLowerCase() ? -1 : 0) ||
        (a.fullName.toLowerCase() > b.fullName.toLowerCase() ? 1 : 0) ||
        (joined.get(a.userId) as number) - (joined.get(b.userId) as number),
    );
    // ASCII names, so that any collation of the database orders them as JavaScript does.
    expect(byName.slice(0, 5).map((m) => m.fullName)).toEqual(["alpha", "alpha", "Bravo", "bravo", "charlie"]);

    for (const order of [SortOrder.ASC, SortOrder.DESC]) {
      const seen: OrganizationMember[] = [];
      let token = "";
      let pages = 0;
      do {
        const page = await c.listMembers({
          organizationId: org.id,
          sort: { field: ListMembersRequest_SortField.NAME, order },
          pagination: { pageSize: 2, token },
        });
        seen.push(...page.members);
        token = page.pagination?.nextToken ?? "";
        pages++;
      } while (token !== "" && pages < 20);
      const expected = order === SortOrder.ASC ? byName : [...byName].reverse();
      expect(
        seen.map((m) => m.userId),
        SortOrder[order],
      ).toEqual(expected.map((m) => m.userId));
      expect(pages).toBe(5);
    }

    // With a filter, and a page token that continues after a name shared by two users.
    const first = await c.listMembers({
      organizationId: org.id,
      filter: { search: "a" },
      sort: { field: ListMembersRequest_SortField.NAME },
      pagination: { pageSize: 1 },
    });
    expect(first.members.map((m) => m.fullName)).toEqual(["alpha"]);
    const rest = await c.listMembers({
      organizationId: org.id,
      filter: { search: "a" },
      sort: { field: ListMembersRequest_SortField.NAME },
      pagination: { pageSize: 100, token: first.pagination?.nextToken ?? "" },
    });
    expect(rest.members[0]?.fullName).toBe("alpha");
    expect(rest.members[0]?.userId).not.toBe(first.members[0]?.userId);
    expect(rest.members.map((m) => m.fullName)).toContain("Bravo");
  });

  it("binds the page token to the filter and sort, and refuses a tampered one", async () => {
    const c = as("A admin");
    const first = await c.listMembers({ organizationId: orgA(), pagination: { pageSize: 1 } });
    const token = first.pagination?.nextToken ?? "";
    expect(token).not.toBe("");
    for (const other of [
      { filter: { roles: [OrganizationRole.ADMIN] } },
      { sort: { field: ListMembersRequest_SortField.DATE_JOINED, order: SortOrder.DESC } },
      { sort: { field: ListMembersRequest_SortField.NAME } },
    ]) {
      const error = await callError(
        c.listMembers({ organizationId: orgA(), pagination: { pageSize: 1, token }, ...other }),
      );
      expect(error.code).toBe(Code.InvalidArgument);
    }
    // Unspecified sort means date joined, ascending: the same list.
    await c.listMembers({
      organizationId: orgA(),
      sort: { field: ListMembersRequest_SortField.DATE_JOINED, order: SortOrder.ASC },
      pagination: { pageSize: 1, token },
    });
    const tampered = await callError(
      c.listMembers({ organizationId: orgA(), pagination: { pageSize: 1, token: `${token.slice(0, -2)}xx` } }),
    );
    expect(tampered.code).toBe(Code.InvalidArgument);
  });

  it("validates the request", async () => {
    const c = as("A member");
    const cases: [Parameters<Organizations["listMembers"]>[0], string][] = [
      [{ organizationId: "nope" }, "organization_id"],
      [{ organizationId: orgA(), pagination: { pageSize: 101 } }, "page_size"],
      [{ organizationId: orgA(), filter: { search: "x".repeat(257) } }, "search"],
      [{ organizationId: orgA(), filter: { userIds: ["nope"] } }, "user_ids"],
      [{ organizationId: orgA(), filter: { roles: [OrganizationRole.UNSPECIFIED] } }, "filter.roles"],
      [{ organizationId: orgA(), filter: { statuses: [UserStatus.UNSPECIFIED] } }, "filter.statuses"],
    ];
    for (const [request, field] of cases) {
      const error = await callError(c.listMembers(request));
      expect(error.code, field).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toContain(field);
    }
  });

  it("is for the org's members: another org not_found, a runner permission_denied", async () => {
    expect((await callError(as("B member").listMembers({ organizationId: orgA() }))).code).toBe(Code.NotFound);
    expect((await callError(as("A org runner itself").listMembers({ organizationId: orgA() }))).code).toBe(
      Code.PermissionDenied,
    );
    const seen = (await as("A service account").listMembers({ organizationId: orgA() })).members;
    expect(seen.length).toBeGreaterThan(0);
  });
});

describe("SetRole", () => {
  const roleOf = async (org: { id: string; admin: { token: string } }, userId: string) =>
    (await listAll(client(org.admin.token), org.id)).find((m) => m.userId === userId)?.role;

  it("promotes and demotes, and the new role counts on the next request", async () => {
    const org = await freshOrg();
    const admin = client(org.admin.token);
    const member = client(org.member.token);
    expect((await callError(member.updateOrganization({ organizationId: org.id, name: "Mine" }))).code).toBe(
      Code.PermissionDenied,
    );
    await admin.setRole({ organizationId: org.id, userId: org.member.member.id, role: OrganizationRole.ADMIN });
    expect(await roleOf(org, org.member.member.id)).toBe(OrganizationRole.ADMIN);
    await member.updateOrganization({ organizationId: org.id, name: "Mine" });
    // Setting the role a user already has is fine.
    await admin.setRole({ organizationId: org.id, userId: org.member.member.id, role: OrganizationRole.ADMIN });
    // The old admin may step down now that another admin exists.
    await admin.setRole({ organizationId: org.id, userId: org.admin.member.id, role: OrganizationRole.MEMBER });
    expect(await roleOf(org, org.admin.member.id)).toBe(OrganizationRole.MEMBER);
    expect((await callError(admin.updateOrganization({ organizationId: org.id, name: "Back" }))).code).toBe(
      Code.PermissionDenied,
    );
  });

  it("refuses to demote the last active admin user, even themself (failed_precondition)", async () => {
    const org = await freshOrg();
    const error = await callError(
      client(org.admin.token).setRole({
        organizationId: org.id,
        userId: org.admin.member.id,
        role: OrganizationRole.MEMBER,
      }),
    );
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(await roleOf(org, org.admin.member.id)).toBe(OrganizationRole.ADMIN);
    // A suspended admin does not count: nobody could administer the org.
    const suspended = await seedMember(t.server.sql, org.id, { name: "suspended admin", role: "admin" });
    await t.server.sql`update members set suspended_at = now() where id = ${suspended.member.id}`;
    expect(
      (
        await callError(
          client(org.admin.token).setRole({
            organizationId: org.id,
            userId: org.admin.member.id,
            role: OrganizationRole.MEMBER,
          }),
        )
      ).code,
    ).toBe(Code.FailedPrecondition);
    // The suspended admin may be demoted, though: an active admin remains.
    await client(org.admin.token).setRole({
      organizationId: org.id,
      userId: suspended.member.id,
      role: OrganizationRole.MEMBER,
    });
    // An admin service account does not count: the org needs an admin user.
    await t.server.sql`update members set role = 'admin' where id = ${org.serviceAccount.member.id}`;
    expect(
      (
        await callError(
          client(org.admin.token).setRole({
            organizationId: org.id,
            userId: org.admin.member.id,
            role: OrganizationRole.MEMBER,
          }),
        )
      ).code,
    ).toBe(Code.FailedPrecondition);
  });

  /** Each of the last two admins demotes the other, at the same moment. */
  async function demoteEachOther() {
    const org = await freshOrg();
    const second = await seedMember(t.server.sql, org.id, { name: "second admin", role: "admin" });
    const first = org.admin;
    const race = () =>
      Promise.allSettled([
        client(first.token).setRole({
          organizationId: org.id,
          userId: second.member.id,
          role: OrganizationRole.MEMBER,
        }),
        client(second.token).setRole({
          organizationId: org.id,
          userId: first.member.id,
          role: OrganizationRole.MEMBER,
        }),
      ]);
    const outcome = (results: PromiseSettledResult<unknown>[]) => ({
      ok: results.filter((r) => r.status === "fulfilled").length,
      failed: results.flatMap((r) => (r.status === "rejected" ? [(r.reason as { code: Code }).code] : [])),
    });
    const admins = async () =>
      (await listAll(client(org.member.token), org.id)).filter((m) => m.role === OrganizationRole.ADMIN).length;
    return { org, race, outcome, admins };
  }

  it("lets exactly one of two concurrent demotions of the last two admins succeed", async () => {
    const { org, race, outcome, admins } = await demoteEachOther();
    // Both calls authenticate as admins, then wait on the admin rows this transaction
    // holds, so they really do check "is another admin left?" at the same time.
    let results: PromiseSettledResult<unknown>[] = [];
    await t.server.sql.begin(async (tx) => {
      await lockOrganizationAdmins(tx, org.id);
      void race().then((r) => {
        results = r;
      });
      await until(async () => {
        const [row] = await t.server.sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity
           where datname = current_database() and wait_event_type = 'Lock'`;
        return (row?.n ?? 0) >= 2;
      });
    });
    await until(async () => results.length === 2);
    expect(outcome(results)).toEqual({ ok: 1, failed: [Code.FailedPrecondition] });
    expect(await admins()).toBe(1);
  });

  it("keeps one admin whatever the interleaving of the two demotions", async () => {
    for (let round = 0; round < 5; round++) {
      const { race, outcome, admins } = await demoteEachOther();
      const { ok, failed } = outcome(await race());
      expect(ok, `round ${round}`).toBe(1);
      // Overlapping, the loser finds the last admin; after the winner, it is no admin itself.
      expect([Code.FailedPrecondition, Code.PermissionDenied]).toContain(failed[0]);
      expect(await admins()).toBe(1);
    }
  });

  it("is for admins, and another org's users are not_found", async () => {
    const org = await freshOrg();
    const other = await freshOrg();
    const target = { organizationId: org.id, userId: org.member.member.id, role: OrganizationRole.ADMIN };
    expect((await callError(client(org.member.token).setRole(target))).code).toBe(Code.PermissionDenied);
    expect((await callError(client(org.serviceAccount.token).setRole(target))).code).toBe(Code.PermissionDenied);
    expect((await callError(client(other.admin.token).setRole(target))).code).toBe(Code.NotFound);
    // Another org's user, an unknown id and a service account through the caller's own org id.
    for (const userId of [other.member.member.id, unknownId, org.serviceAccount.member.id]) {
      const error = await callError(
        client(org.admin.token).setRole({ organizationId: org.id, userId, role: OrganizationRole.ADMIN }),
      );
      expect(error.code).toBe(Code.NotFound);
    }
    expect(await roleOf(other, other.member.member.id)).toBe(OrganizationRole.MEMBER);
    expect(await roleOf(org, org.member.member.id)).toBe(OrganizationRole.MEMBER);
  });

  it("validates the request", async () => {
    const org = await freshOrg();
    const admin = client(org.admin.token);
    const cases: [Parameters<Organizations["setRole"]>[0], string][] = [
      [{ organizationId: org.id, userId: "nope", role: OrganizationRole.ADMIN }, "user_id"],
      [{ organizationId: "nope", userId: org.member.member.id, role: OrganizationRole.ADMIN }, "organization_id"],
      [{ organizationId: org.id, userId: org.member.member.id, role: OrganizationRole.UNSPECIFIED }, "role"],
      [{ organizationId: org.id, userId: org.member.member.id, role: 7 as OrganizationRole }, "role"],
    ];
    for (const [request, field] of cases) {
      const error = await callError(admin.setRole(request));
      expect(error.code, field).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toContain(field);
    }
  });
});

describe("methods of other issues", () => {
  it("answer unimplemented", async () => {
    const c = as("A admin");
    expect((await callError(c.createOrganizationInvite({ organizationId: orgA() }))).code).toBe(Code.Unimplemented);
    expect((await callError(c.leaveOrganization({ userId: t.fx.callers["A admin"].subject.id }))).code).toBe(
      Code.Unimplemented,
    );
  });
});
