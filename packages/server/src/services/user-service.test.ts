/**
 * UserService over the real server and Postgres (behaviour.md §12): users, suspension taking
 * effect on the very next request, and personal access tokens (value shown once, stored
 * hashed, paginated lists, who sees whose), with the tenancy rules of §2.
 */
import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";
import { type Client, Code } from "@connectrpc/connect";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import { type UserService, UserStatus } from "@runnerplane/api/gitpod/v1/user_pb";
import { describe, expect, it } from "vitest";
import { unauthenticatedMessage } from "../auth/index.js";
import {
  type CallerName,
  callError,
  expectNoPlaintext,
  manualClock,
  type SeededMember,
  seedMember,
} from "../testing/index.js";
import { unknownId, useTenancyServer } from "../testing/tenancy-server.js";
import { defaultPersonalAccessTokenLifetimeMs } from "./user-service.js";

const clock = manualClock(new Date());
const t = useTenancyServer({ clock });

/** A UserService client over Connect JSON (HTTP/1.1) or binary (h2c). */
function users(token: string, binary = false): Client<typeof UserService> {
  return t.clients(token, binary).users;
}

const as = (name: CallerName) => t.as(name).users;
const idOf = t.idOf;

/** A fresh user of org A, so that suspending or listing it disturbs no other test. */
async function newUser(name: string): Promise<SeededMember & { client: Client<typeof UserService> }> {
  const seeded = await seedMember(t.server.sql, t.fx.organizations.A, { name });
  return { ...seeded, client: users(seeded.token) };
}

/** Creates a PAT for the client's user and finds its id by its (unique) description. */
async function createPat(
  client: Client<typeof UserService>,
  userId: string,
  init: { description?: string; validForSeconds?: number; readOnly?: boolean } = {},
) {
  const description = init.description ?? `pat ${Math.random()}`;
  const { token } = await client.createPersonalAccessToken({
    userId,
    description,
    ...(init.validForSeconds !== undefined ? { validFor: { seconds: BigInt(init.validForSeconds) } } : {}),
    readOnly: init.readOnly ?? false,
  });
  const { personalAccessTokens } = await client.listPersonalAccessTokens({ pagination: { pageSize: 100 } });
  const pat = personalAccessTokens.find((p) => p.description === description);
  if (!pat) throw new Error("the new token is not listed");
  return { token, id: pat.id, pat };
}

describe("GetAuthenticatedUser", () => {
  it("returns the caller, over Connect JSON and binary", async () => {
    for (const binary of [false, true]) {
      const { user } = await users(t.fx.tokens["A member"], binary).getAuthenticatedUser({});
      expect(user).toMatchObject({
        id: idOf("A member"),
        organizationId: t.fx.organizations.A,
        name: "Org A member",
        status: UserStatus.ACTIVE,
        avatarUrl: "",
      });
      expect(user?.createdAt).toBeDefined();
    }
  });

  it("is permission_denied for a service account and a runner, which are not users", async () => {
    for (const name of ["A service account", "A org runner itself"] as const) {
      expect((await callError(as(name).getAuthenticatedUser({}))).code).toBe(Code.PermissionDenied);
    }
  });

  it("is unauthenticated without a valid token", async () => {
    const error = await callError(users("rp_pat_nope").getAuthenticatedUser({}));
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toBe(unauthenticatedMessage);
  });
});

describe("GetUser", () => {
  it("returns a user of the caller's org", async () => {
    const { user } = await as("A member").getUser({ userId: idOf("A admin") });
    expect(user).toMatchObject({ id: idOf("A admin"), organizationId: t.fx.organizations.A, name: "Org A admin" });
  });

  it("accepts an upper-case id", async () => {
    const { user } = await as("A member").getUser({ userId: idOf("A admin").toUpperCase() });
    expect(user?.id).toBe(idOf("A admin"));
  });

  it("is not_found for another org's user, a service account and an unknown id, alike", async () => {
    for (const userId of [idOf("B member"), idOf("A service account"), unknownId]) {
      const error = await callError(as("A admin").getUser({ userId }));
      expect(error.code).toBe(Code.NotFound);
      expect(error.rawMessage).toBe(`user ${userId} not found`);
    }
  });

  it("validates user_id", async () => {
    const error = await callError(as("A admin").getUser({ userId: "nope" }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("user_id: value must be a valid UUID");
  });

  it("is permission_denied for a runner", async () => {
    const error = await callError(as("A org runner itself").getUser({ userId: idOf("A admin") }));
    expect(error.code).toBe(Code.PermissionDenied);
  });
});

describe("SetSuspended", () => {
  it("stops the user's tokens on the next request and restores them when lifted", async () => {
    const alice = await newUser("Alice");
    const pat = await createPat(alice.client, alice.member.id);
    const withPat = users(pat.token);
    await withPat.getAuthenticatedUser({});

    await as("A admin").setSuspended({ userId: alice.member.id, suspended: true });
    for (const client of [alice.client, withPat]) {
      const error = await callError(client.getAuthenticatedUser({}));
      expect(error.code).toBe(Code.Unauthenticated);
      expect(error.rawMessage).toBe(unauthenticatedMessage);
    }
    const { user } = await as("A member").getUser({ userId: alice.member.id });
    expect(user?.status).toBe(UserStatus.SUSPENDED);
    // Suspending again changes nothing.
    await as("A admin").setSuspended({ userId: alice.member.id, suspended: true });

    await as("A admin").setSuspended({ userId: alice.member.id, suspended: false });
    expect((await withPat.getAuthenticatedUser({})).user?.status).toBe(UserStatus.ACTIVE);
    expect((await alice.client.getAuthenticatedUser({})).user?.id).toBe(alice.member.id);
  });

  it("never lets two admins suspending each other at once leave the org without an active admin", async () => {
    const org = (
      await t.server.sql<{ id: string }[]>`insert into organizations (name) values ('Two admins') returning id`
    )[0]?.id as string;
    const a = await seedMember(t.server.sql, org, { name: "Admin A", role: "admin" });
    const b = await seedMember(t.server.sql, org, { name: "Admin B", role: "admin" });
    const outcomes = await Promise.allSettled([
      users(a.token).setSuspended({ userId: b.member.id, suspended: true }),
      users(b.token).setSuspended({ userId: a.member.id, suspended: true }),
    ]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    const [active] = await t.server.sql<{ n: number }[]>`
      select count(*)::int as n from members where organization_id = ${org} and role = 'admin' and suspended_at is null`;
    expect(active?.n).toBe(1);
  });

  it("refuses an admin suspending themself", async () => {
    const error = await callError(as("A admin").setSuspended({ userId: idOf("A admin"), suspended: true }));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toBe("an admin cannot suspend themself");
    await as("A admin").getAuthenticatedUser({});
  });

  it("is permission_denied for a member, on a user it can see", async () => {
    const bob = await newUser("Bob");
    for (const suspended of [true, false]) {
      const error = await callError(as("A member").setSuspended({ userId: bob.member.id, suspended }));
      expect(error.code).toBe(Code.PermissionDenied);
    }
    await bob.client.getAuthenticatedUser({});
  });

  it("is not_found for another org's user, a service account and an unknown id", async () => {
    for (const caller of ["A admin", "A member"] as const) {
      for (const userId of [idOf("B member"), idOf("A service account"), unknownId]) {
        const error = await callError(as(caller).setSuspended({ userId, suspended: true }));
        expect(error.code).toBe(Code.NotFound);
      }
    }
    await as("B member").getAuthenticatedUser({});
    await as("A service account").getUser({ userId: idOf("A admin") });
  });

  it("validates user_id", async () => {
    const error = await callError(as("A admin").setSuspended({ userId: "", suspended: true }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("user_id: value must be a valid UUID");
  });
});

describe("CreatePersonalAccessToken", () => {
  it("returns a token once that authenticates at once, with the requested expiry and description", async () => {
    const carol = await newUser("Carol");
    const { token, pat } = await createPat(carol.client, carol.member.id, {
      description: "CI",
      validForSeconds: 3600,
    });
    expect(token).toMatch(/^rp_pat_[A-Za-z0-9_-]{43}$/);
    expect((await users(token, true).getAuthenticatedUser({})).user?.id).toBe(carol.member.id);
    expect(pat).toMatchObject({
      userId: carol.member.id,
      description: "CI",
      readOnly: false,
      creator: { id: carol.member.id, principal: Principal.USER },
    });
    const expiresAt = timestampDate(pat.expiresAt as Timestamp).getTime();
    expect(Math.abs(expiresAt - (clock.now().getTime() + 3600_000))).toBeLessThan(1000);
  });

  it("is valid for 90 days when valid_for is absent or zero, and stops working after expiry", async () => {
    const dave = await newUser("Dave");
    for (const validForSeconds of [undefined, 0]) {
      const { pat } = await createPat(dave.client, dave.member.id, {
        ...(validForSeconds !== undefined ? { validForSeconds } : {}),
      });
      const expiresAt = timestampDate(pat.expiresAt as Timestamp).getTime();
      expect(Math.abs(expiresAt - (clock.now().getTime() + defaultPersonalAccessTokenLifetimeMs))).toBeLessThan(1000);
    }
    const { token } = await createPat(dave.client, dave.member.id, { validForSeconds: 60 });
    await users(token).getAuthenticatedUser({});
    clock.advance(60_000);
    try {
      expect((await callError(users(token).getAuthenticatedUser({}))).rawMessage).toBe(unauthenticatedMessage);
    } finally {
      clock.advance(-60_000);
    }
  });

  it("validates valid_for (at most 90 days, not negative) and user_id", async () => {
    const me = idOf("A member");
    const cases = [
      [{ userId: me, validFor: { seconds: 7776001n } }, "valid_for: value must be less than or equal to 7776000s"],
      [{ userId: me, validFor: { seconds: -1n } }, "valid_for: value must be greater than or equal to 0s"],
      [{ userId: "nope" }, "user_id: value must be a valid UUID"],
    ] as const;
    for (const [req, message] of cases) {
      const error = await callError(as("A member").createPersonalAccessToken(req));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toBe(message);
    }
    // The limit itself is allowed.
    await as("A member").createPersonalAccessToken({ userId: me, validFor: { seconds: 7776000n } });
  });

  it("is for the caller only: another user of the org is permission_denied, another org's not_found", async () => {
    const other = await callError(as("A admin").createPersonalAccessToken({ userId: idOf("A member") }));
    expect(other.code).toBe(Code.PermissionDenied);
    for (const userId of [idOf("B member"), unknownId, idOf("A service account")]) {
      const error = await callError(as("A admin").createPersonalAccessToken({ userId }));
      expect(error.code).toBe(Code.NotFound);
    }
  });

  it("is permission_denied for a service account and a runner", async () => {
    for (const name of ["A service account", "A org runner itself"] as const) {
      const error = await callError(as(name).createPersonalAccessToken({ userId: idOf(name) }));
      expect(error.code).toBe(Code.PermissionDenied);
    }
  });

  it("never returns the value again, and does not store it in plaintext", async () => {
    const erin = await newUser("Erin");
    const { token, id } = await createPat(erin.client, erin.member.id, { description: "secret one" });
    const answers = [
      await erin.client.getPersonalAccessToken({ personalAccessTokenId: id }),
      await erin.client.listPersonalAccessTokens({}),
      await as("A admin").listPersonalAccessTokens({ filter: { userIds: [erin.member.id] } }),
    ];
    const secretPart = token.slice("rp_pat_".length);
    for (const answer of answers) {
      const text = JSON.stringify(answer, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
      expect(text).not.toContain(secretPart);
    }
    expectNoPlaintext(await t.server.sql`select * from tokens`, [token, secretPart]);
  });

  it("makes a read-only token that may call only methods without side effects", async () => {
    const fay = await newUser("Fay");
    const { token, pat } = await createPat(fay.client, fay.member.id, { readOnly: true });
    expect(pat.readOnly).toBe(true);
    const readOnly = users(token);
    await readOnly.getAuthenticatedUser({});
    await readOnly.listPersonalAccessTokens({});
    const error = await callError(readOnly.createPersonalAccessToken({ userId: fay.member.id }));
    expect(error.code).toBe(Code.PermissionDenied);
    expect((await callError(readOnly.deletePersonalAccessToken({ personalAccessTokenId: pat.id }))).code).toBe(
      Code.PermissionDenied,
    );
  });
});

describe("GetPersonalAccessToken", () => {
  it("returns the caller's own token; an org admin sees a member's", async () => {
    const gus = await newUser("Gus");
    const { id } = await createPat(gus.client, gus.member.id, { description: "laptop" });
    expect((await gus.client.getPersonalAccessToken({ personalAccessTokenId: id })).pat).toMatchObject({
      id,
      userId: gus.member.id,
      description: "laptop",
    });
    expect((await as("A admin").getPersonalAccessToken({ personalAccessTokenId: id })).pat?.id).toBe(id);
  });

  it("is not_found for another member's token, another org's, and an unknown id", async () => {
    const hal = await newUser("Hal");
    const { id } = await createPat(hal.client, hal.member.id);
    for (const [caller, tokenId] of [
      ["A member", id],
      ["B admin", id],
      ["A admin", unknownId],
    ] as const) {
      const error = await callError(as(caller).getPersonalAccessToken({ personalAccessTokenId: tokenId }));
      expect(error.code).toBe(Code.NotFound);
      expect(error.rawMessage).toBe(`personal access token ${tokenId} not found`);
    }
  });

  it("validates personal_access_token_id", async () => {
    const error = await callError(as("A admin").getPersonalAccessToken({ personalAccessTokenId: "x" }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("personal_access_token_id: value must be a valid UUID");
  });
});

describe("ListPersonalAccessTokens", () => {
  it("pages through the caller's own tokens in creation order, without repeats or gaps", async () => {
    const ida = await newUser("Ida");
    const created = [];
    for (let i = 0; i < 4; i++) created.push((await createPat(ida.client, ida.member.id, { description: `t${i}` })).id);
    const seen: string[] = [];
    let token = "";
    let pages = 0;
    do {
      const res = await ida.client.listPersonalAccessTokens({ pagination: { pageSize: 2, token } });
      expect(res.personalAccessTokens.length).toBeLessThanOrEqual(2);
      seen.push(...res.personalAccessTokens.map((p) => p.id));
      token = res.pagination?.nextToken ?? "";
      pages++;
    } while (token !== "");
    // The seeded token and the four new ones, each once, in (created_at, id) order.
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    expect(seen).toEqual(expect.arrayContaining(created));
    const { personalAccessTokens: all } = await ida.client.listPersonalAccessTokens({});
    expect(all.map((p) => p.id)).toEqual(seen);
    const order = all.map((p) => [timestampDate(p.createdAt as Timestamp).getTime(), p.id] as const);
    expect(order).toEqual([...order].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1)));
    expect(pages).toBe(3);
  });

  it("lets an org admin list a member's tokens; a member filtering on another user sees nothing", async () => {
    const jo = await newUser("Jo");
    const { id } = await createPat(jo.client, jo.member.id);
    const asAdmin = await as("A admin").listPersonalAccessTokens({ filter: { userIds: [jo.member.id] } });
    expect(asAdmin.personalAccessTokens.map((p) => p.id)).toContain(id);
    expect(asAdmin.personalAccessTokens.every((p) => p.userId === jo.member.id)).toBe(true);

    const asMember = await as("A member").listPersonalAccessTokens({ filter: { userIds: [jo.member.id] } });
    expect(asMember.personalAccessTokens).toEqual([]);
    const asOtherOrg = await as("B admin").listPersonalAccessTokens({ filter: { userIds: [jo.member.id] } });
    expect(asOtherOrg.personalAccessTokens).toEqual([]);
  });

  it("without a filter lists the caller's own tokens only, never a service account's", async () => {
    const own = await as("A admin").listPersonalAccessTokens({});
    expect(own.personalAccessTokens.length).toBeGreaterThan(0);
    expect(own.personalAccessTokens.every((p) => p.userId === idOf("A admin"))).toBe(true);
    const robot = await as("A admin").listPersonalAccessTokens({ filter: { userIds: [idOf("A service account")] } });
    expect(robot.personalAccessTokens).toEqual([]);
  });

  it("validates the filter and pagination, and binds page tokens to the filter", async () => {
    const tooMany = Array.from({ length: 26 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    const cases: [Parameters<Client<typeof UserService>["listPersonalAccessTokens"]>[0], string | undefined][] = [
      [{ filter: { userIds: ["nope"] } }, "filter.user_ids[0]: value must be a valid UUID"],
      [{ filter: { userIds: tooMany } }, undefined],
      [{ pagination: { pageSize: 101 } }, undefined],
      [{ pagination: { token: "garbage" } }, "pagination.token is not a valid page token"],
    ];
    for (const [req, message] of cases) {
      const error = await callError(as("A admin").listPersonalAccessTokens(req));
      expect(error.code).toBe(Code.InvalidArgument);
      if (message) expect(error.rawMessage).toBe(message);
    }
    const kim = await newUser("Kim");
    await createPat(kim.client, kim.member.id);
    const first = await as("A admin").listPersonalAccessTokens({
      filter: { userIds: [kim.member.id] },
      pagination: { pageSize: 1 },
    });
    const next = first.pagination?.nextToken ?? "";
    expect(next).not.toBe("");
    const error = await callError(as("A admin").listPersonalAccessTokens({ pagination: { pageSize: 1, token: next } }));
    expect(error.code).toBe(Code.InvalidArgument);
  });
});

describe("DeletePersonalAccessToken", () => {
  it("deletes the caller's own token, which fails on the next request", async () => {
    const lou = await newUser("Lou");
    const { id, token } = await createPat(lou.client, lou.member.id);
    await users(token).getAuthenticatedUser({});
    await lou.client.deletePersonalAccessToken({ personalAccessTokenId: id });
    expect((await callError(users(token).getAuthenticatedUser({}))).rawMessage).toBe(unauthenticatedMessage);
    expect((await callError(lou.client.getPersonalAccessToken({ personalAccessTokenId: id }))).code).toBe(
      Code.NotFound,
    );
    const listed = await lou.client.listPersonalAccessTokens({});
    expect(listed.personalAccessTokens.map((p) => p.id)).not.toContain(id);
    expect((await callError(lou.client.deletePersonalAccessToken({ personalAccessTokenId: id }))).code).toBe(
      Code.NotFound,
    );
  });

  it("lets an org admin delete a member's token; another member and another org get not_found", async () => {
    const max = await newUser("Max");
    const { id, token } = await createPat(max.client, max.member.id);
    for (const caller of ["A member", "B admin"] as const) {
      const error = await callError(as(caller).deletePersonalAccessToken({ personalAccessTokenId: id }));
      expect(error.code).toBe(Code.NotFound);
    }
    await users(token).getAuthenticatedUser({});
    await as("A admin").deletePersonalAccessToken({ personalAccessTokenId: id });
    expect((await callError(users(token).getAuthenticatedUser({}))).code).toBe(Code.Unauthenticated);
  });

  it("is not_found for another kind of token, and permission_denied for a runner", async () => {
    // The service account's token is a personal access token of a service account, not a user's.
    const [robotToken] = await t.server.sql<{ id: string }[]>`
      select id from tokens where subject_id = ${idOf("A service account")}`;
    const error = await callError(
      as("A admin").deletePersonalAccessToken({ personalAccessTokenId: robotToken?.id as string }),
    );
    expect(error.code).toBe(Code.NotFound);
    await as("A service account").getUser({ userId: idOf("A admin") });
    const runner = await callError(
      as("A org runner itself").deletePersonalAccessToken({ personalAccessTokenId: unknownId }),
    );
    expect(runner.code).toBe(Code.PermissionDenied);
  });
});
