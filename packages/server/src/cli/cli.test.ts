/**
 * The real `runnerplane` binary (dist/cli/main.js) against a fresh database, and the API
 * server on the same database answering with what the CLI created.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ResourceType } from "@runnerplane/api/gitpod/v1/event_pb";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  clientsFor,
  createEmptyDatabase,
  expectNoPlaintext,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from "../testing/index.js";

const run = promisify(execFile);
const cliJs = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

let db: TestDatabase;
let server: TestServer;
beforeAll(async () => {
  db = await createEmptyDatabase(); // not migrated: the CLI must cope with a fresh database
});
afterAll(async () => {
  await server?.close();
  await db.drop();
});

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(...args: string[]): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cliJs, ...args], {
      env: { PATH: process.env.PATH ?? "", DATABASE_URL: db.url },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function cliJson<T>(...args: string[]): Promise<T> {
  const result = await cli(...args, "--json");
  expect(result.code, result.stdout + result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

function whoAmI(token: string) {
  return fetch(`${server.baseUrl}/gitpod.v1.IdentityService/GetAuthenticatedIdentity`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: "{}",
  });
}

interface Bootstrapped {
  organization: { id: string; name: string };
  admin: { id: string; role: string };
  token: { id: string; value: string };
}

describe("runnerplane CLI", () => {
  let boot: Bootstrapped;

  it("bootstraps a fresh database, and the printed token authenticates API calls", async () => {
    const text = await cli("bootstrap", "--org-name", "Acme", "--admin-name", "Alice", "--admin-email", "a@acme.test");
    expect(text.code, text.stderr).toBe(0);
    const token = /^(rp_pat_\S+)$/m.exec(text.stdout)?.[1];
    expect(token).toBeDefined();
    expect(text.stdout).toContain("shown only now");

    server = await startTestServer({ sql: db.sql });
    const res = await whoAmI(token as string);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { subject: { principal: string }; organizationId: string };
    expect(body.subject.principal).toBe("PRINCIPAL_USER");

    boot = await cliJson<Bootstrapped>("bootstrap", "--org-name", "Globex", "--admin-name", "Gina");
    expect(boot.admin.role).toBe("admin");
    expect(await (await whoAmI(boot.token.value)).json()).toEqual({
      subject: { id: boot.admin.id, principal: "PRINCIPAL_USER" },
      organizationId: boot.organization.id,
      organizationTier: "",
    });
  });

  it("creates users, service accounts and groups, and lists them", async () => {
    const org = boot.organization.id;
    const bob = await cliJson<{ id: string; kind: string; role: string }>(
      "users",
      "create",
      "--org",
      org,
      "--name",
      "Bob",
    );
    expect(bob).toMatchObject({ kind: "user", role: "member" });
    const bot = await cliJson<{ id: string; kind: string }>(
      "service-accounts",
      "create",
      "--org",
      org,
      "--name",
      "ci-bot",
      "--role",
      "admin",
    );
    expect(bot.kind).toBe("service_account");
    const group = await cliJson<{ id: string }>("groups", "create", "--org", org, "--name", "ops");
    await cliJson("groups", "add-member", "--group", group.id, "--member", bob.id);

    const members = await cliJson<{ name: string }[]>("users", "list", "--org", org);
    expect(members.map((m) => m.name)).toEqual(["Gina", "Bob", "ci-bot"]);
    expect(await cliJson("groups", "list", "--org", org)).toEqual([{ id: group.id, name: "ops", memberIds: [bob.id] }]);
    const orgs = await cliJson<{ name: string }[]>("orgs", "list");
    expect(orgs.map((o) => o.name)).toEqual(["Acme", "Globex"]);
  });

  it("creates a token for a service account, and revokes it so it stops working", async () => {
    const bot = await cliJson<{ id: string }>(
      "service-accounts",
      "create",
      "--org",
      boot.organization.id,
      "--name",
      "deployer",
    );
    const token = await cliJson<{ id: string; value: string }>(
      "tokens",
      "create",
      "--member",
      bot.id,
      "--expires-in",
      "30d",
    );
    const res = await whoAmI(token.value);
    expect(((await res.json()) as { subject: { principal: string } }).subject.principal).toBe(
      "PRINCIPAL_SERVICE_ACCOUNT",
    );

    const listed = await cliJson<{ id: string; expiresAt: string | null }[]>(
      "tokens",
      "list",
      "--org",
      boot.organization.id,
    );
    const entry = listed.find((t) => t.id === token.id);
    expect(entry?.expiresAt).not.toBeNull();
    expect(JSON.stringify(listed)).not.toContain(token.value);

    await cliJson("tokens", "revoke", "--token", token.id);
    expect((await whoAmI(token.value)).status).toBe(401);
    const again = await cli("tokens", "revoke", "--token", token.id);
    expect(again).toMatchObject({ code: 1, stderr: `runnerplane: token ${token.id} was already revoked\n` });
  });

  describe("people: roles, suspension and group membership, by the services' rules", () => {
    interface Member {
      id: string;
      role: string;
      name: string;
    }
    const roleOf = async (id: string) =>
      (await cliJson<Member[]>("users", "list", "--org", boot.organization.id)).find((m) => m.id === id)?.role;

    it("changes a user's role, and never demotes the organization's last active admin", async () => {
      const org = boot.organization.id;
      const dana = await cliJson<Member>("users", "create", "--org", org, "--name", "Dana");
      const promoted = await cliJson<Member & { previousRole: string }>(
        "users",
        "set-role",
        "--user",
        dana.id,
        "--role",
        "admin",
      );
      expect(promoted).toMatchObject({ id: dana.id, role: "admin", previousRole: "member" });
      expect(await roleOf(dana.id)).toBe("admin");

      // Gina may step down while Dana is admin; then Dana is the last one and stays.
      await cliJson("users", "set-role", "--user", boot.admin.id, "--role", "member");
      const refused = await cli("users", "set-role", "--user", dana.id, "--role", "member");
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("last active admin cannot be demoted");
      expect(await roleOf(dana.id)).toBe("admin");
      const asJson = await cli("users", "set-role", "--user", dana.id, "--role", "member", "--json");
      expect(JSON.parse(asJson.stdout)).toEqual({
        error: "the organization's last active admin cannot be demoted; make another user admin first",
      });

      await cliJson("users", "set-role", "--user", boot.admin.id, "--role", "admin");
      await cliJson("users", "set-role", "--user", dana.id, "--role", "member");
      expect([await roleOf(boot.admin.id), await roleOf(dana.id)]).toEqual(["admin", "member"]);
      const bad = await cli("users", "set-role", "--user", dana.id, "--role", "owner");
      expect(bad).toMatchObject({ code: 1, stderr: "runnerplane: --role must be admin or member\n" });
    });

    it("suspends a user, whose tokens fail on the next request, and lifts the suspension", async () => {
      const erin = await cliJson<Member>("users", "create", "--org", boot.organization.id, "--name", "Erin");
      const token = await cliJson<{ value: string }>("tokens", "create", "--member", erin.id);
      expect((await whoAmI(token.value)).status).toBe(200);

      expect(await cliJson("users", "suspend", "--user", erin.id)).toMatchObject({ id: erin.id, suspended: true });
      expect((await whoAmI(token.value)).status).toBe(401);
      expect(await cliJson("users", "unsuspend", "--user", erin.id)).toMatchObject({ suspended: false });
      expect((await whoAmI(token.value)).status).toBe(200);
    });

    it("never suspends the last active admin, nor a service account or an unknown id", async () => {
      const last = await cli("users", "suspend", "--user", boot.admin.id);
      expect(last).toMatchObject({ code: 1, stderr: "runnerplane: the organization must keep an active admin\n" });
      expect((await whoAmI(boot.token.value)).status).toBe(200);

      const bot = await cliJson<Member>("service-accounts", "create", "--org", boot.organization.id, "--name", "b");
      const robot = await cli("users", "suspend", "--user", bot.id);
      expect(robot).toMatchObject({ code: 1, stderr: `runnerplane: b (${bot.id}) is a service account, not a user\n` });
      const unknown = await cli("users", "suspend", "--user", "0b9b1f6e-3c1a-4c77-9e55-2f6a1d0c9e01");
      expect(unknown.stderr).toContain("no user 0b9b1f6e-3c1a-4c77-9e55-2f6a1d0c9e01");
    });

    it("removes a member from a group, once", async () => {
      const org = boot.organization.id;
      const fay = await cliJson<Member>("users", "create", "--org", org, "--name", "Fay");
      const group = await cliJson<{ id: string }>("groups", "create", "--org", org, "--name", "release");
      await cliJson("groups", "add-member", "--group", group.id, "--member", fay.id);
      const memberIds = async () =>
        (await cliJson<{ id: string; memberIds: string[] }[]>("groups", "list", "--org", org)).find(
          (g) => g.id === group.id,
        )?.memberIds;
      expect(await memberIds()).toEqual([fay.id]);

      expect(await cliJson("groups", "remove-member", "--group", group.id, "--member", fay.id)).toEqual({
        groupId: group.id,
        memberId: fay.id,
        removed: true,
      });
      expect(await memberIds()).toEqual([]);
      const again = await cli("groups", "remove-member", "--group", group.id, "--member", fay.id);
      expect(again).toMatchObject({ code: 1, stderr: `runnerplane: ${fay.id} is not a member of group ${group.id}\n` });
    });
  });

  it("ends a user's browser sessions, so their cookies stop working", async () => {
    const signIn = await fetch(`${server.baseUrl}/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://localhost:8080" },
      body: JSON.stringify({ token: boot.token.value }),
    });
    const cookie = signIn.headers.getSetCookie()[0]?.split(";", 1)[0] as string;
    const withCookie = () =>
      fetch(`${server.baseUrl}/gitpod.v1.IdentityService/GetAuthenticatedIdentity`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: "http://localhost:8080", cookie },
        body: "{}",
      });
    expect((await withCookie()).status).toBe(200);
    expect(await cliJson("sessions", "end", "--member", boot.admin.id)).toEqual({ memberId: boot.admin.id, ended: 1 });
    expect((await withCookie()).status).toBe(401);
    expect((await whoAmI(boot.token.value)).status).toBe(200); // the token itself still works
  });

  it("records every admin command in the audit log with the CLI as actor, and no token value", async () => {
    const rows = await db.sql<Record<string, unknown>[]>`
      select * from audit_log
      where organization_id = ${boot.organization.id} and actor_principal = 'cli'
      order by created_at, id`;
    expect(rows.map((r) => r.action)).toEqual([
      "cli/bootstrap",
      "cli/users create",
      "cli/service-accounts create",
      "cli/groups create",
      "cli/groups add-member",
      "cli/service-accounts create",
      "cli/tokens create",
      "cli/tokens revoke",
      // people: refused commands (the last admin, a bad role, a service account) wrote nothing
      "cli/users create",
      "cli/users set-role",
      "cli/users set-role",
      "cli/users set-role",
      "cli/users set-role",
      "cli/users create",
      "cli/tokens create",
      "cli/users suspend",
      "cli/users unsuspend",
      "cli/service-accounts create",
      "cli/users create",
      "cli/groups create",
      "cli/groups add-member",
      "cli/groups remove-member",
      "cli/sessions end",
    ]);
    for (const row of rows) {
      expect(row).toMatchObject({ actor_principal: "cli", actor_id: null, client_address: null });
      expect(row.user_agent).toMatch(/^runnerplane-cli \(.+@.+\)$/);
    }
    // One invocation, one request id.
    expect(new Set(rows.map((r) => r.request_id)).size).toBe(rows.length);
    expect(rows[0]).toMatchObject({ subject_type: ResourceType.ORGANIZATION, subject_id: boot.organization.id });
    const byAction = (action: string) => rows.filter((r) => r.action === action);
    expect(byAction("cli/users suspend")[0]).toMatchObject({ subject_type: ResourceType.USER });
    expect(byAction("cli/groups remove-member")[0]).toMatchObject({
      subject_type: ResourceType.GROUP_MEMBERSHIP_CHANGED,
      subject_id: byAction("cli/groups add-member")[1]?.subject_id,
    });
    expect(byAction("cli/sessions end")[0]).toMatchObject({
      subject_type: ResourceType.USER,
      subject_id: boot.admin.id,
    });
    expectNoPlaintext(rows, [boot.token.value]);

    // Over the API, the CLI is PRINCIPAL_UNSPECIFIED with no actor id.
    const admin = clientsFor(server.baseUrl, boot.token.value);
    const { entries } = await admin.events.listAuditLogs({
      filter: { actorPrincipals: [Principal.UNSPECIFIED] },
      pagination: { pageSize: 100 },
    });
    expect(entries.map((e) => e.action)).toEqual(rows.map((r) => r.action).reverse());
    expect(entries[0]).toMatchObject({ actorId: "", actorPrincipal: Principal.UNSPECIFIED });
  });

  describe("bad input gets a clear error and writes nothing", () => {
    it.each([
      [["users", "create", "--org", "nope", "--name", "X"], 1, '--org must be an id (a UUID), got "nope"'],
      [["users", "create", "--org", "0b9b1f6e-3c1a-4c77-9e55-2f6a1d0c9e01", "--name", "X"], 1, "no such organization"],
      [["users", "create", "--name", "X"], 2, "--org is required"],
      [
        ["users", "create", "--org", "0b9b1f6e-3c1a-4c77-9e55-2f6a1d0c9e01", "--name", "X", "--role", "owner"],
        1,
        "--role must be admin or member",
      ],
      [["tokens", "create", "--member", "0b9b1f6e-3c1a-4c77-9e55-2f6a1d0c9e01"], 1, "no user or service account"],
      [
        ["bootstrap", "--org-name", "A", "--admin-name", "B", "--token-expires-in", "soon"],
        1,
        "--token-expires-in must look like",
      ],
      [["frobnicate"], 2, 'unknown command "frobnicate"'],
      [["users", "create", "--org", "x", "--name", "y", "--colour", "red"], 2, "Unknown option '--colour'"],
    ] as [string[], number, string][])("%j → exit %i", async (args, code, message) => {
      const count = () => db.sql`
        select (select count(*) from organizations) + (select count(*) from members) as n,
               (select count(*) from audit_log) as entries`;
      const before = await count();
      const result = await cli(...args);
      expect(result.code).toBe(code);
      expect(result.stderr).toContain(message);
      expect(result.stdout).toBe("");
      expect(await count()).toEqual(before);
    });

    it("reports errors as JSON with --json", async () => {
      const result = await cli("users", "create", "--org", "nope", "--name", "X", "--json");
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout)).toEqual({ error: '--org must be an id (a UUID), got "nope"' });
    });

    it("refuses to put a member of another organization into a group", async () => {
      const acme = (await cliJson<{ id: string; name: string }[]>("orgs", "list")).find((o) => o.name === "Acme");
      const outsider = await cliJson<{ id: string }>(
        "users",
        "create",
        "--org",
        acme?.id as string,
        "--name",
        "Mallory",
      );
      const group = await cliJson<{ id: string }>(
        "groups",
        "create",
        "--org",
        boot.organization.id,
        "--name",
        "admins",
      );
      const result = await cli("groups", "add-member", "--group", group.id, "--member", outsider.id);
      expect(result).toMatchObject({ code: 1 });
      expect(result.stderr).toContain("belongs to another organization than the group");
    });

    it("refuses a duplicate group name", async () => {
      const result = await cli("groups", "create", "--org", boot.organization.id, "--name", "ops");
      expect(result.stderr).toContain("a group with that name already exists in the organization");
    });
  });

  it("lists every command with --help", async () => {
    const result = await cli("--help");
    for (const name of [
      "bootstrap",
      "users create",
      "users set-role",
      "users suspend",
      "users unsuspend",
      "service-accounts create",
      "groups add-member",
      "groups remove-member",
      "tokens revoke",
    ]) {
      expect(result.stdout).toContain(name);
    }
  });
});
