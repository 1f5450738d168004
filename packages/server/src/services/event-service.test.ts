/**
 * EventService over the real server and Postgres (behaviour.md §15, docs/audit-log.md#reading):
 * org admins read their org's entries only, newest first, with the contract's filters and
 * keyset pages; the client address is the socket's unless a trusted proxy says otherwise;
 * old entries are pruned in batches, and only those.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import {
  AuditLogEntryKind,
  type ListAuditLogsRequest_FilterSchema,
  ResourceType,
} from "@runnerplane/api/gitpod/v1/event_pb";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import { SortOrder, type SortSchema } from "@runnerplane/api/gitpod/v1/pagination_pb";
import { RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordAuditEntry } from "../audit/index.js";
import { createLogger } from "../logging/index.js";
import { type Clients, clientsFor } from "../testing/access-matrix.js";
import {
  callError,
  createTenancyFixture,
  manualClock,
  startTestServer,
  type TenancyFixture,
  type TestServer,
} from "../testing/index.js";
import { pruneAuditLog } from "./audit-log-pruner.js";

let server: TestServer;
let fx: TenancyFixture;
let adminA: Clients;
let adminB: Clients;
/** Runners created by A's admin in this file, oldest first. */
const created: string[] = [];

beforeAll(async () => {
  server = await startTestServer();
  fx = await createTenancyFixture(server.sql);
  adminA = clientsFor(server.baseUrl, fx.tokens["A admin"]);
  adminB = clientsFor(server.baseUrl, fx.tokens["B admin"]);
  for (const name of ["first", "second", "third", "fourth", "fifth"]) {
    const { runner } = await adminA.runners.createRunner({ name: `runner ${name}`, provider: RunnerProvider.AWS_EC2 });
    created.push(runner?.runnerId as string);
  }
  await adminB.runners.createRunner({ name: "B's own", provider: RunnerProvider.GCP });
});
afterAll(() => server.close());

const createRunnerAction = "gitpod.v1.RunnerService/CreateRunner";

async function allPages(
  clients: Clients,
  request: {
    filter?: MessageInitShape<typeof ListAuditLogsRequest_FilterSchema>;
    sort?: MessageInitShape<typeof SortSchema>;
  } = {},
) {
  const entries = [];
  let token = "";
  for (let page = 0; page < 100; page++) {
    const res = await clients.events.listAuditLogs({ ...request, pagination: { pageSize: 2, token } });
    expect(res.entries.length).toBeLessThanOrEqual(2);
    entries.push(...res.entries);
    token = res.pagination?.nextToken ?? "";
    if (!token) return entries;
  }
  throw new Error("no last page");
}

describe("EventService.ListAuditLogs", () => {
  it("shows an admin the org's entries newest first, in the contract's shape", async () => {
    const { entries } = await adminA.events.listAuditLogs({
      filter: { subjectIds: created, subjectTypes: [ResourceType.RUNNER] },
    });
    expect(entries.map((e) => e.subjectId)).toEqual([...created].reverse());
    expect(entries[0]).toMatchObject({
      actorId: fx.callers["A admin"].subject.id,
      actorPrincipal: Principal.USER,
      subjectType: ResourceType.RUNNER,
      action: createRunnerAction,
      kind: AuditLogEntryKind.RESOURCE_CHANGE,
    });
    expect(entries[0]?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(entries[0]?.createdAt).toBeDefined();
  });

  it("pages through every entry without repeats or gaps, oldest first with sort ASC", async () => {
    const desc = await allPages(adminA);
    const ids = desc.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    const stored = await server.sql<{ id: string }[]>`
      select id from audit_log where organization_id = ${fx.organizations.A} order by created_at desc, id desc`;
    expect(ids).toEqual(stored.map((r) => r.id));
    const asc = await allPages(adminA, { sort: { field: "created_at", order: SortOrder.ASC } });
    expect(asc.map((e) => e.id)).toEqual([...ids].reverse());
  });

  it("filters by actor, actor principal, subject, subject type and time, AND across filters", async () => {
    const runnerActor = fx.runners.orgRunner;
    const byRunner = await adminA.events.listAuditLogs({ filter: { actorPrincipals: [Principal.RUNNER] } });
    // The fixture's runner exchanged its token: its one entry, as itself.
    expect(byRunner.entries.map((e) => [e.actorId, e.action])).toEqual([
      [runnerActor, "gitpod.v1.IdentityService/ExchangeToken"],
    ]);
    const byCreator = await allPages(adminA, {
      filter: { actorIds: [fx.callers["A user-runner creator"].subject.id] },
    });
    expect(byCreator.map((e) => [e.subjectId, e.action])).toEqual([[fx.runners.userRunner, createRunnerAction]]);
    const policies = await adminA.events.listAuditLogs({ filter: { subjectTypes: [ResourceType.ROLE_ASSIGNMENT] } });
    expect(policies.entries.map((e) => e.action)).toEqual([
      "gitpod.v1.RunnerService/CreateRunnerPolicy",
      "gitpod.v1.RunnerService/CreateRunnerPolicy",
    ]);
    const none = await adminA.events.listAuditLogs({
      filter: { subjectTypes: [ResourceType.ROLE_ASSIGNMENT], actorPrincipals: [Principal.RUNNER] },
    });
    expect(none.entries).toEqual([]);

    const [second, fourth] = await server.sql<{ created_at: Date }[]>`
      select created_at from audit_log where subject_id in ${server.sql([created[1] as string, created[3] as string])}
       order by created_at`;
    const window = await allPages(adminA, {
      filter: {
        subjectIds: created,
        from: timestampFromDate(second?.created_at as Date),
        to: timestampFromDate(fourth?.created_at as Date),
      },
    });
    // from is inclusive, to exclusive.
    expect(window.map((e) => e.subjectId)).toEqual([created[2], created[1]]);
  });

  it("binds a page token to its filter and refuses a bad filter or sort", async () => {
    const first = await adminA.events.listAuditLogs({ pagination: { pageSize: 1 } });
    const token = first.pagination?.nextToken as string;
    expect(token).not.toBe("");
    const reused = await callError(
      adminA.events.listAuditLogs({
        pagination: { pageSize: 1, token },
        filter: { subjectTypes: [ResourceType.RUNNER] },
      }),
    );
    expect(reused.code).toBe(Code.InvalidArgument);
    expect((await callError(adminA.events.listAuditLogs({ sort: { field: "action" } }))).code).toBe(
      Code.InvalidArgument,
    );
    expect((await callError(adminA.events.listAuditLogs({ filter: { actorIds: ["nope"] } }))).code).toBe(
      Code.InvalidArgument,
    );
    expect(
      (await callError(adminA.events.listAuditLogs({ filter: { actorPrincipals: [Principal.ENVIRONMENT] } }))).code,
    ).toBe(Code.InvalidArgument);
    const now = new Date();
    expect(
      (
        await callError(
          adminA.events.listAuditLogs({ filter: { from: timestampFromDate(now), to: timestampFromDate(now) } }),
        )
      ).code,
    ).toBe(Code.InvalidArgument);
  });

  it("shows another org's admin none of the entries, and refuses members and runners", async () => {
    const seenByB = await allPages(adminB);
    expect(seenByB.length).toBeGreaterThan(0);
    const aIds = new Set(
      (await server.sql<{ id: string }[]>`select id from audit_log where organization_id = ${fx.organizations.A}`).map(
        (r) => r.id,
      ),
    );
    expect(seenByB.filter((e) => aIds.has(e.id))).toEqual([]);
    expect(await adminB.events.listAuditLogs({ filter: { subjectIds: created } }).then((r) => r.entries)).toEqual([]);
    for (const name of ["A member", "A service account", "A policy admin", "A org runner itself"] as const) {
      const error = await callError(clientsFor(server.baseUrl, fx.tokens[name]).events.listAuditLogs({}));
      expect(error.code, name).toBe(Code.PermissionDenied);
    }
  });
});

describe("EventService.GetAuditLog", () => {
  it("returns the org's entry to its admin, not_found to another org's admin, permission_denied to a member", async () => {
    const [row] = await server.sql<{ id: string }[]>`
      select id from audit_log where subject_id = ${created[0] as string}`;
    const id = row?.id as string;
    const { entry } = await adminA.events.getAuditLog({ auditLogEntryId: id });
    expect(entry).toMatchObject({ id, subjectId: created[0], action: createRunnerAction });
    expect((await callError(adminB.events.getAuditLog({ auditLogEntryId: id }))).code).toBe(Code.NotFound);
    expect(
      (await callError(adminA.events.getAuditLog({ auditLogEntryId: "0b9b1f6e-3c1a-4c77-9e55-2f6a1d0c9e01" }))).code,
    ).toBe(Code.NotFound);
    const member = clientsFor(server.baseUrl, fx.tokens["A member"]);
    expect((await callError(member.events.getAuditLog({ auditLogEntryId: id }))).code).toBe(Code.PermissionDenied);
  });
});

describe("the client address", () => {
  // What a client wrote (the forgeable first hop), then what the trusted proxy appended.
  const xff = { "x-forwarded-for": "198.51.100.66, 203.0.113.7" };
  const createVia = async (target: TestServer) => {
    const res = await fetch(`${target.baseUrl}/gitpod.v1.RunnerService/CreateRunner`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${fx.tokens["A admin"]}`, ...xff },
      body: JSON.stringify({ name: "via proxy", provider: "RUNNER_PROVIDER_AWS_EC2" }),
    });
    expect(res.status).toBe(200);
    const requestId = res.headers.get("x-request-id") as string;
    const [row] = await target.sql<{ client_address: string; request_id: string }[]>`
      select client_address, request_id from audit_log where request_id = ${requestId}`;
    return row;
  };

  it("is the socket's, ignoring X-Forwarded-For, unless a trusted proxy is configured", async () => {
    expect((await createVia(server))?.client_address).toMatch(/127\.0\.0\.1$/);
  });

  it("is the last X-Forwarded-For hop, the one the trusted proxy appended, not a forged first one", async () => {
    const behindProxy = await startTestServer({ sql: server.sql, config: { trustProxy: true } });
    try {
      expect(await createVia(behindProxy)).toMatchObject({ client_address: "203.0.113.7" });
    } finally {
      await behindProxy.close();
    }
  });
});

describe("pruning", () => {
  const day = 86_400_000;
  const quiet = createLogger({ write: () => {} });

  it("removes only entries older than the retention, in batches, and keeps every younger one", async () => {
    const clock = manualClock();
    const insert = (daysAgo: number) =>
      recordAuditEntry(server.sql, {
        organizationId: fx.organizations.B,
        actor: { principal: "cli", id: null },
        action: "cli/test",
        subjectType: ResourceType.ORGANIZATION,
        subjectId: fx.organizations.B,
        request: { requestId: `pruning-${daysAgo}`, clientAddress: null, userAgent: null },
        at: new Date(clock.now().getTime() - daysAgo * day),
      });
    const old = [400, 366, 365.01, 500, 1000];
    const kept = [364.99, 100, 1];
    for (const d of [...old, ...kept]) await insert(d);
    const everyId = async () => (await server.sql<{ id: string }[]>`select id from audit_log`).map((r) => r.id);
    const before = await everyId();
    const oldIds = (
      await server.sql<
        { id: string }[]
      >`select id from audit_log where request_id in ${server.sql(old.map((d) => `pruning-${d}`))}`
    ).map((r) => r.id);
    const logs: string[] = [];
    const removed = await pruneAuditLog({
      sql: server.sql,
      clock,
      log: createLogger({ write: (line) => logs.push(line) }),
      retentionDays: 365,
      batch: 2,
    });
    expect(removed).toBe(old.length);
    expect((await everyId()).sort()).toEqual(before.filter((id) => !oldIds.includes(id)).sort());
    expect(logs.join("")).toContain("pruned the audit log");
    // A second pass finds nothing more.
    expect(await pruneAuditLog({ sql: server.sql, clock, log: quiet, retentionDays: 365 })).toBe(0);
  });

  it("follows the configured retention", async () => {
    const clock = manualClock();
    const everyCount = async () => (await server.sql`select count(*)::int as n from audit_log`)[0]?.n as number;
    const before = await everyCount();
    // Ten days on, a retention of 400 days keeps all (the oldest left is 375 days old), one
    // of 9 days takes everything, today's entries included.
    clock.advance(10 * day);
    expect(await pruneAuditLog({ sql: server.sql, clock, log: quiet, retentionDays: 400 })).toBe(0);
    expect(await everyCount()).toBe(before);
    expect(await pruneAuditLog({ sql: server.sql, clock, log: quiet, retentionDays: 9 })).toBe(before);
    expect(await everyCount()).toBe(0);
  });
});
