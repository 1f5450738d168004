/**
 * ServiceAccountService over the real server and Postgres (behaviour.md §12): service accounts
 * (org admins change, members read) and their tokens (value shown once, stored hashed,
 * optional expiry capped by the account's validity, acting on the calling service account),
 * with the tenancy rules of §2.
 */
import { durationFromMs, type Timestamp, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Client, Code } from "@connectrpc/connect";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import type { ServiceAccountService } from "@runnerplane/api/gitpod/v1/service_account_pb";
import { describe, expect, it } from "vitest";
import { unauthenticatedMessage } from "../auth/index.js";
import { issueToken } from "../db/tokens.js";
import { type CallerName, callError, expectNoPlaintext, manualClock, seedGroup } from "../testing/index.js";
import { unknownId, useTenancyServer } from "../testing/tenancy-server.js";
import { tokenExpiry } from "./service-account-service.js";

const clock = manualClock(new Date());
const t = useTenancyServer({ clock });

const dayMs = 24 * 60 * 60_000;

/** A ServiceAccountService client over Connect JSON (HTTP/1.1) or binary (h2c). */
function accounts(token: string, binary = false): Client<typeof ServiceAccountService> {
  return t.clients(token, binary).serviceAccounts;
}

function identity(token: string) {
  return t.clients(token).identity;
}

const as = (name: CallerName) => t.as(name).serviceAccounts;
const idOf = t.idOf;
const inDays = (days: number) => timestampFromDate(new Date(clock.now().getTime() + days * dayMs));

/** A service account made by A admin over the API. */
async function newAccount(name: string, init: { validDays?: number; description?: string } = {}) {
  const { serviceAccount } = await as("A admin").createServiceAccount({
    name,
    description: init.description ?? "",
    validUntil: inDays(init.validDays ?? 30),
  });
  if (!serviceAccount) throw new Error("no service account in the answer");
  return serviceAccount;
}

/**
 * A service account with a first token, made as the CLI makes it (CreateServiceAccountAccessToken,
 * the API's way, has tests of its own below).
 */
async function newAccountWithToken(name: string, init: { validDays?: number } = {}) {
  const account = await newAccount(name, init);
  const { token } = await issueToken(t.server.sql, {
    kind: "personal_access",
    organizationId: t.fx.organizations.A,
    subjectId: account.id,
    principal: "service_account",
    expiresAt: null,
  });
  return { account, token, client: accounts(token) };
}

describe("CreateServiceAccount", () => {
  it("creates a service account of the caller's org, over Connect JSON and binary", async () => {
    for (const binary of [false, true]) {
      const validUntil = inDays(10);
      const { serviceAccount } = await accounts(t.fx.tokens["A admin"], binary).createServiceAccount({
        name: `ci ${binary}`,
        description: "builds things",
        validUntil,
      });
      expect(serviceAccount).toMatchObject({
        organizationId: t.fx.organizations.A,
        name: `ci ${binary}`,
        description: "builds things",
        creator: { id: idOf("A admin"), principal: Principal.USER },
        suspended: false,
        systemManaged: false,
      });
      expect(timestampDate(serviceAccount?.validUntil as Timestamp)).toEqual(timestampDate(validUntil));
      expect(serviceAccount?.createdAt).toBeDefined();
      const { serviceAccount: got } = await as("A member").getServiceAccount({
        serviceAccountId: serviceAccount?.id as string,
      });
      expect(got).toEqual(serviceAccount);
    }
  });

  it("is permission_denied for a member, a member service account and a runner", async () => {
    for (const name of ["A member", "A service account", "A org runner itself"] as const) {
      const error = await callError(as(name).createServiceAccount({ name: "x", validUntil: inDays(1) }));
      expect(error.code).toBe(Code.PermissionDenied);
    }
  });

  it("validates name, description and valid_until", async () => {
    const cases = [
      [{ name: "", validUntil: inDays(1) }, "name: value length must be at least 1 characters"],
      [{ name: "x".repeat(65), validUntil: inDays(1) }, "name: value length must be at most 64 characters"],
      [
        { name: "x", description: "d".repeat(501), validUntil: inDays(1) },
        "description: value length must be at most 500 characters",
      ],
      [{ name: "x" }, "valid_until: value is required"],
      [{ name: "x", validUntil: inDays(-1) }, "valid_until: must be in the future"],
    ] as const;
    for (const [req, message] of cases) {
      const error = await callError(as("A admin").createServiceAccount(req));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toBe(message);
    }
    // The limits themselves are allowed.
    await as("A admin").createServiceAccount({
      name: "x".repeat(64),
      description: "d".repeat(500),
      validUntil: inDays(1),
    });
  });

  it("is unauthenticated without a valid token", async () => {
    const error = await callError(accounts("rp_pat_nope").createServiceAccount({ name: "x", validUntil: inDays(1) }));
    expect(error.code).toBe(Code.Unauthenticated);
  });
});

describe("GetServiceAccount", () => {
  it("is not_found for another org's service account, a user and an unknown id, alike", async () => {
    const { serviceAccount: other } = await as("B admin").createServiceAccount({
      name: "b bot",
      validUntil: inDays(1),
    });
    for (const serviceAccountId of [other?.id as string, idOf("A member"), unknownId]) {
      const error = await callError(as("A admin").getServiceAccount({ serviceAccountId }));
      expect(error.code).toBe(Code.NotFound);
      expect(error.rawMessage).toBe(`service account ${serviceAccountId} not found`);
    }
  });

  it("shows a service account made by the CLI without creator or validity", async () => {
    const { serviceAccount } = await as("A member").getServiceAccount({ serviceAccountId: idOf("A service account") });
    expect(serviceAccount).toMatchObject({ name: "Org A robot", description: "", suspended: false });
    expect(serviceAccount?.creator).toBeUndefined();
    expect(serviceAccount?.validUntil).toBeUndefined();
  });

  it("validates service_account_id and refuses a runner", async () => {
    const error = await callError(as("A member").getServiceAccount({ serviceAccountId: "nope" }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("service_account_id: value must be a valid UUID");
    const runner = await callError(
      as("A org runner itself").getServiceAccount({ serviceAccountId: idOf("A service account") }),
    );
    expect(runner.code).toBe(Code.PermissionDenied);
  });
});

describe("ListServiceAccounts", () => {
  it("pages through the org's service accounts in creation order, without repeats or gaps", async () => {
    const created = [];
    for (let i = 0; i < 5; i++) created.push((await newAccount(`pager ${i}`, { description: "pager" })).id);
    const seen: string[] = [];
    let token = "";
    do {
      const page = await as("A member").listServiceAccounts({
        filter: { search: "PAGER" },
        pagination: { pageSize: 2, token },
      });
      expect(page.serviceAccounts.length).toBeLessThanOrEqual(2);
      seen.push(...page.serviceAccounts.map((s) => s.id));
      token = page.pagination?.nextToken ?? "";
    } while (token);
    expect(seen).toEqual(created);
  });

  it("lists only the caller's org and service accounts, never users", async () => {
    const { serviceAccounts } = await as("B member").listServiceAccounts({ pagination: { pageSize: 100 } });
    expect(serviceAccounts.every((s) => s.organizationId === t.fx.organizations.B)).toBe(true);
    const ids = serviceAccounts.map((s) => s.id);
    expect(ids).not.toContain(idOf("A service account"));
    expect(ids).not.toContain(idOf("B member"));
  });

  it("filters by ids and by a literal search in name or description", async () => {
    const a = await newAccount("filter_one", { description: "first 100% bot" });
    const b = await newAccount("filterXone");
    const byIds = await as("A member").listServiceAccounts({ filter: { serviceAccountIds: [b.id.toUpperCase()] } });
    expect(byIds.serviceAccounts.map((s) => s.id)).toEqual([b.id]);
    const literal = await as("A member").listServiceAccounts({ filter: { search: "filter_one" } });
    expect(literal.serviceAccounts.map((s) => s.id)).toEqual([a.id]);
    const inDescription = await as("A member").listServiceAccounts({ filter: { search: "100%" } });
    expect(inDescription.serviceAccounts.map((s) => s.id)).toEqual([a.id]);
  });

  it("validates the filter and pagination, and binds page tokens to the filter", async () => {
    const tooMany = Array.from({ length: 26 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    const cases: [Parameters<Client<typeof ServiceAccountService>["listServiceAccounts"]>[0], string | undefined][] = [
      [{ filter: { serviceAccountIds: ["nope"] } }, "filter.service_account_ids[0]: value must be a valid UUID"],
      [{ filter: { serviceAccountIds: tooMany } }, undefined],
      [{ filter: { search: "s".repeat(257) } }, undefined],
      [{ pagination: { pageSize: 101 } }, undefined],
      [{ pagination: { token: "garbage" } }, "pagination.token is not a valid page token"],
    ];
    for (const [req, message] of cases) {
      const error = await callError(as("A admin").listServiceAccounts(req));
      expect(error.code).toBe(Code.InvalidArgument);
      if (message) expect(error.rawMessage).toBe(message);
    }
    const first = await as("A admin").listServiceAccounts({ pagination: { pageSize: 1 } });
    const next = first.pagination?.nextToken ?? "";
    expect(next).not.toBe("");
    const error = await callError(
      as("A admin").listServiceAccounts({ filter: { search: "x" }, pagination: { pageSize: 1, token: next } }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
  });

  it("is permission_denied for a runner", async () => {
    expect((await callError(as("A org runner itself").listServiceAccounts({}))).code).toBe(Code.PermissionDenied);
  });
});

describe("UpdateServiceAccount", () => {
  it("changes only what is given", async () => {
    const account = await newAccount("before", { description: "kept" });
    const renamed = await as("A admin").updateServiceAccount({ serviceAccountId: account.id, name: "after" });
    expect(renamed.serviceAccount).toMatchObject({ name: "after", description: "kept" });
    const cleared = await as("A admin").updateServiceAccount({ serviceAccountId: account.id, description: "" });
    expect(cleared.serviceAccount).toMatchObject({ name: "after", description: "" });
    expect(cleared.serviceAccount?.createdAt).toEqual(account.createdAt);
  });

  it("is permission_denied for a member on an account it can see; not_found for what it cannot", async () => {
    const account = await newAccount("guarded");
    const denied = await callError(as("A member").updateServiceAccount({ serviceAccountId: account.id, name: "x" }));
    expect(denied.code).toBe(Code.PermissionDenied);
    for (const serviceAccountId of [idOf("A member"), unknownId]) {
      const error = await callError(as("A member").updateServiceAccount({ serviceAccountId, name: "x" }));
      expect(error.code).toBe(Code.NotFound);
    }
    const otherOrg = await callError(as("B admin").updateServiceAccount({ serviceAccountId: account.id, name: "x" }));
    expect(otherOrg.code).toBe(Code.NotFound);
  });

  it("validates the fields", async () => {
    const account = await newAccount("strict");
    const cases = [
      [{ serviceAccountId: "nope" }, "service_account_id: value must be a valid UUID"],
      [{ serviceAccountId: account.id, name: "" }, "name: value length must be at least 1 characters"],
      [{ serviceAccountId: account.id, name: "n".repeat(65) }, "name: value length must be at most 64 characters"],
      [
        { serviceAccountId: account.id, description: "d".repeat(501) },
        "description: value length must be at most 500 characters",
      ],
    ] as const;
    for (const [req, message] of cases) {
      const error = await callError(as("A admin").updateServiceAccount(req));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toBe(message);
    }
  });
});

describe("DeleteServiceAccount", () => {
  it("removes the account, its tokens and its memberships; its tokens fail on the next request", async () => {
    const { account, token } = await newAccountWithToken("doomed");
    const group = await seedGroup(t.server.sql, t.fx.organizations.A, "doomed's group", [account.id]);
    await identity(token).getAuthenticatedIdentity({});
    await as("A admin").deleteServiceAccount({ serviceAccountId: account.id });
    expect((await callError(identity(token).getAuthenticatedIdentity({}))).rawMessage).toBe(unauthenticatedMessage);
    expect((await callError(as("A admin").getServiceAccount({ serviceAccountId: account.id }))).code).toBe(
      Code.NotFound,
    );
    expect(await t.server.sql`select id from tokens where subject_id = ${account.id}`).toHaveLength(0);
    expect(await t.server.sql`select 1 from group_members where group_id = ${group.id}`).toHaveLength(0);
    expect((await callError(as("A admin").deleteServiceAccount({ serviceAccountId: account.id }))).code).toBe(
      Code.NotFound,
    );
  });

  it("is permission_denied for a member; not_found for another org, a user and an unknown id", async () => {
    const account = await newAccount("survivor");
    expect((await callError(as("A member").deleteServiceAccount({ serviceAccountId: account.id }))).code).toBe(
      Code.PermissionDenied,
    );
    expect((await callError(as("B admin").deleteServiceAccount({ serviceAccountId: account.id }))).code).toBe(
      Code.NotFound,
    );
    for (const serviceAccountId of [idOf("A member"), unknownId]) {
      expect((await callError(as("A admin").deleteServiceAccount({ serviceAccountId }))).code).toBe(Code.NotFound);
    }
    // Still there, and still a member of the org.
    await as("A admin").getServiceAccount({ serviceAccountId: account.id });
  });
});

describe("CreateServiceAccountToken", () => {
  it("returns a value once that authenticates at once as the service account", async () => {
    const { account, client } = await newAccountWithToken("issuer");
    const created = await client.createServiceAccountToken({ description: "deploys", validFor: { seconds: 3600n } });
    expect(created.token).toMatch(/^rp_pat_/);
    expect(created.serviceAccountToken).toMatchObject({
      serviceAccountId: account.id,
      description: "deploys",
      creator: { id: account.id, principal: Principal.SERVICE_ACCOUNT },
    });
    const expiresAt = timestampDate(created.serviceAccountToken?.expiresAt as Timestamp).getTime();
    expect(Math.abs(expiresAt - (clock.now().getTime() + 3600_000))).toBeLessThan(1000);
    const { subject, organizationId } = await identity(created.token).getAuthenticatedIdentity({});
    expect(subject).toMatchObject({ id: account.id, principal: Principal.SERVICE_ACCOUNT });
    expect(organizationId).toBe(t.fx.organizations.A);
  });

  it("honours expiry: valid_for, and never past the account's valid_until", async () => {
    const { client, token: cliToken } = await newAccountWithToken("short-lived", { validDays: 2 });
    const short = await client.createServiceAccountToken({ validFor: { seconds: 60n } });
    const capped = await client.createServiceAccountToken({ validFor: { seconds: 10n * 86400n } });
    const open = await client.createServiceAccountToken({});
    for (const t of [capped, open]) {
      const expiresAt = timestampDate(t.serviceAccountToken?.expiresAt as Timestamp).getTime();
      expect(Math.abs(expiresAt - (clock.now().getTime() + 2 * dayMs))).toBeLessThan(1000);
    }
    await identity(short.token).getAuthenticatedIdentity({});
    clock.advance(60_000);
    try {
      expect((await callError(identity(short.token).getAuthenticatedIdentity({}))).rawMessage).toBe(
        unauthenticatedMessage,
      );
      await identity(open.token).getAuthenticatedIdentity({});
      await identity(cliToken).getAuthenticatedIdentity({});
      clock.advance(2 * dayMs);
      expect((await callError(identity(open.token).getAuthenticatedIdentity({}))).code).toBe(Code.Unauthenticated);
      expect((await callError(identity(capped.token).getAuthenticatedIdentity({}))).code).toBe(Code.Unauthenticated);
      // A token made without expiry (by the CLI) stops with the account too.
      expect((await callError(identity(cliToken).getAuthenticatedIdentity({}))).rawMessage).toBe(
        unauthenticatedMessage,
      );
    } finally {
      clock.advance(-60_000 - 2 * dayMs);
    }
  });

  it("without valid_for or valid_until has no expiry", () => {
    const now = new Date();
    expect(tokenExpiry(now, undefined, null)).toBeNull();
    expect(tokenExpiry(now, durationFromMs(0), null)).toBeNull();
    expect(tokenExpiry(now, durationFromMs(5000), null)).toEqual(new Date(now.getTime() + 5000));
  });

  it("validates valid_for", async () => {
    const cases = [
      [{ validFor: { seconds: 2524608001n } }, "valid_for: value must be less than or equal to 2524608000s"],
      [{ validFor: { seconds: -1n } }, "valid_for: value must be greater than or equal to 0s"],
    ] as const;
    for (const [req, message] of cases) {
      const error = await callError(as("A service account").createServiceAccountToken(req));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toBe(message);
    }
    await as("A service account").createServiceAccountToken({ validFor: { seconds: 2524608000n } });
  });

  it("is permission_denied for users (admin or not) and a runner", async () => {
    for (const name of ["A admin", "A member", "A org runner itself"] as const) {
      expect((await callError(as(name).createServiceAccountToken({}))).code).toBe(Code.PermissionDenied);
    }
  });

  it("never returns the value again, and does not store it in plaintext", async () => {
    const { client } = await newAccountWithToken("secretive");
    const { token, serviceAccountToken } = await client.createServiceAccountToken({ description: "secret one" });
    const id = serviceAccountToken?.id as string;
    const answers = [
      await client.getServiceAccountToken({ serviceAccountTokenId: id }),
      await client.listServiceAccountTokens({}),
      await as("A admin").listServiceAccountTokens({ pagination: { pageSize: 100 } }),
    ];
    const secretPart = token.slice("rp_pat_".length);
    for (const answer of answers) {
      const text = JSON.stringify(answer, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
      expect(text).not.toContain(secretPart);
    }
    expectNoPlaintext(await t.server.sql`select * from tokens`, [token, secretPart]);
    expectNoPlaintext(await t.server.sql`select * from members`, [token, secretPart]);
  });
});

describe("CreateServiceAccountAccessToken", () => {
  it("gives an org admin a token that authenticates at once as the account, until its valid_until", async () => {
    for (const binary of [false, true]) {
      const account = await newAccount(`first token ${binary}`, { validDays: 3 });
      const { token } = await accounts(t.fx.tokens["A admin"], binary).createServiceAccountAccessToken({
        serviceAccountId: account.id.toUpperCase(),
      });
      expect(token).toMatch(/^rp_pat_/);
      const { subject } = await identity(token).getAuthenticatedIdentity({});
      expect(subject).toMatchObject({ id: account.id, principal: Principal.SERVICE_ACCOUNT });
      const { tokens } = await accounts(token).listServiceAccountTokens({});
      expect(tokens).toHaveLength(1);
      const expiresAt = timestampDate(tokens[0]?.expiresAt as Timestamp).getTime();
      expect(Math.abs(expiresAt - (clock.now().getTime() + 3 * dayMs))).toBeLessThan(1000);
      expectNoPlaintext(await t.server.sql`select * from tokens`, [token, token.slice("rp_pat_".length)]);
    }
  });

  it("is permission_denied for a member on an account it can see; not_found for what it cannot", async () => {
    const account = await newAccount("guarded");
    for (const name of ["A member", "A service account"] as const) {
      const error = await callError(as(name).createServiceAccountAccessToken({ serviceAccountId: account.id }));
      expect(error.code).toBe(Code.PermissionDenied);
    }
    for (const id of [account.id, idOf("A member")]) {
      const error = await callError(as("B admin").createServiceAccountAccessToken({ serviceAccountId: id }));
      expect(error.code).toBe(Code.NotFound);
    }
    for (const id of [idOf("A member"), unknownId]) {
      const error = await callError(as("A admin").createServiceAccountAccessToken({ serviceAccountId: id }));
      expect(error.code).toBe(Code.NotFound);
    }
    expect(
      (await callError(as("A org runner itself").createServiceAccountAccessToken({ serviceAccountId: account.id })))
        .code,
    ).toBe(Code.PermissionDenied);
  });

  it("validates service_account_id and refuses an account whose validity is over", async () => {
    const invalid = await callError(as("A admin").createServiceAccountAccessToken({ serviceAccountId: "nope" }));
    expect(invalid.code).toBe(Code.InvalidArgument);
    expect(invalid.rawMessage).toBe("service_account_id: value must be a valid UUID");
    const account = await newAccount("expiring", { validDays: 1 });
    clock.advance(dayMs + 1);
    try {
      const error = await callError(as("A admin").createServiceAccountAccessToken({ serviceAccountId: account.id }));
      expect(error.code).toBe(Code.FailedPrecondition);
    } finally {
      clock.advance(-dayMs - 1);
    }
  });
});

describe("ListServiceAccountTokens", () => {
  it("pages through the calling service account's own tokens in creation order", async () => {
    const { client, token: first } = await newAccountWithToken("lister");
    const firstId = (await client.listServiceAccountTokens({})).tokens.map((t) => t.id);
    expect(firstId).toHaveLength(1);
    const created = [...firstId];
    for (let i = 0; i < 4; i++) {
      created.push(
        (await client.createServiceAccountToken({ description: `t${i}` })).serviceAccountToken?.id as string,
      );
    }
    const seen: string[] = [];
    let token = "";
    do {
      const page = await accounts(first).listServiceAccountTokens({ pagination: { pageSize: 2, token } });
      seen.push(...page.tokens.map((t) => t.id));
      token = page.pagination?.nextToken ?? "";
    } while (token);
    expect(seen).toEqual(created);
  });

  it("shows an org admin every service account's tokens of its org only; a member user sees none", async () => {
    const { client } = await newAccountWithToken("audited");
    const { serviceAccountToken } = await client.createServiceAccountToken({});
    const id = serviceAccountToken?.id as string;
    const admin = await as("A admin").listServiceAccountTokens({ pagination: { pageSize: 100 } });
    // The admin's view may span pages; this token was created last, so page to the end.
    let ids = admin.tokens.map((t) => t.id);
    let next = admin.pagination?.nextToken ?? "";
    while (next) {
      const page = await as("A admin").listServiceAccountTokens({ pagination: { pageSize: 100, token: next } });
      ids = ids.concat(page.tokens.map((t) => t.id));
      next = page.pagination?.nextToken ?? "";
    }
    expect(ids).toContain(id);
    expect((await as("B admin").listServiceAccountTokens({})).tokens.map((t) => t.id)).not.toContain(id);
    expect((await as("A member").listServiceAccountTokens({})).tokens).toEqual([]);
    // Another service account sees only its own.
    const own = await as("A service account").listServiceAccountTokens({ pagination: { pageSize: 100 } });
    expect(own.tokens.every((t) => t.serviceAccountId === idOf("A service account"))).toBe(true);
  });

  it("validates pagination and refuses a runner", async () => {
    for (const pagination of [{ pageSize: 101 }, { token: "garbage" }]) {
      const error = await callError(as("A service account").listServiceAccountTokens({ pagination }));
      expect(error.code).toBe(Code.InvalidArgument);
    }
    expect((await callError(as("A org runner itself").listServiceAccountTokens({}))).code).toBe(Code.PermissionDenied);
  });
});

describe("GetServiceAccountToken", () => {
  it("returns the caller's own token and, to an org admin, any service account's", async () => {
    const { client } = await newAccountWithToken("getter");
    const { serviceAccountToken } = await client.createServiceAccountToken({ description: "mine" });
    const id = serviceAccountToken?.id as string;
    expect((await client.getServiceAccountToken({ serviceAccountTokenId: id })).token).toEqual(serviceAccountToken);
    expect((await as("A admin").getServiceAccountToken({ serviceAccountTokenId: id })).token?.description).toBe("mine");
  });

  it("is not_found for another account's token, another org's, a user's token and an unknown id", async () => {
    const { client } = await newAccountWithToken("private");
    const { serviceAccountToken } = await client.createServiceAccountToken({});
    const id = serviceAccountToken?.id as string;
    for (const name of ["A service account", "A member", "B admin"] as const) {
      const error = await callError(as(name).getServiceAccountToken({ serviceAccountTokenId: id }));
      expect(error.code).toBe(Code.NotFound);
    }
    const [userToken] = await t.server.sql<{ id: string }[]>`
      select id from tokens where subject_id = ${idOf("A member")} limit 1`;
    for (const serviceAccountTokenId of [userToken?.id as string, unknownId]) {
      const error = await callError(as("A admin").getServiceAccountToken({ serviceAccountTokenId }));
      expect(error.code).toBe(Code.NotFound);
    }
    const invalid = await callError(as("A admin").getServiceAccountToken({ serviceAccountTokenId: "nope" }));
    expect(invalid.rawMessage).toBe("service_account_token_id: value must be a valid UUID");
  });
});

describe("DeleteServiceAccountToken", () => {
  it("deletes the caller's own token, which fails on the next request", async () => {
    const { client } = await newAccountWithToken("rotator");
    const { token, serviceAccountToken } = await client.createServiceAccountToken({});
    const id = serviceAccountToken?.id as string;
    await identity(token).getAuthenticatedIdentity({});
    await client.deleteServiceAccountToken({ serviceAccountTokenId: id });
    expect((await callError(identity(token).getAuthenticatedIdentity({}))).rawMessage).toBe(unauthenticatedMessage);
    expect((await callError(client.getServiceAccountToken({ serviceAccountTokenId: id }))).code).toBe(Code.NotFound);
    expect((await client.listServiceAccountTokens({})).tokens.map((t) => t.id)).not.toContain(id);
    expect((await callError(client.deleteServiceAccountToken({ serviceAccountTokenId: id }))).code).toBe(Code.NotFound);
  });

  it("lets an org admin delete any; another account, a member and another org get not_found", async () => {
    const { client } = await newAccountWithToken("managed");
    const { token, serviceAccountToken } = await client.createServiceAccountToken({});
    const id = serviceAccountToken?.id as string;
    for (const name of ["A service account", "A member", "B admin"] as const) {
      const error = await callError(as(name).deleteServiceAccountToken({ serviceAccountTokenId: id }));
      expect(error.code).toBe(Code.NotFound);
    }
    await identity(token).getAuthenticatedIdentity({});
    await as("A admin").deleteServiceAccountToken({ serviceAccountTokenId: id });
    expect((await callError(identity(token).getAuthenticatedIdentity({}))).code).toBe(Code.Unauthenticated);
  });

  it("is permission_denied for a runner", async () => {
    const error = await callError(
      as("A org runner itself").deleteServiceAccountToken({ serviceAccountTokenId: unknownId }),
    );
    expect(error.code).toBe(Code.PermissionDenied);
  });
});
