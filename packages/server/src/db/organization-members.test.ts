import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, seedOrganization, type TestDatabase } from "../testing/index.js";
import { listOrganizationUsers, type OrganizationUserPage } from "./organization-members.js";

/** A node of Postgres's `explain (format json)` plan. */
interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Scan Direction"?: string;
  "Index Cond"?: string;
  Plans?: PlanNode[];
}
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

let db: TestDatabase;
/** The same database through a pool that remembers each statement as sent, for `explain`. */
let recording: postgres.Sql;
let sent: { text: string; parameters: unknown[] } | undefined;
let organizationId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  recording = postgres(db.url, {
    max: 1,
    onnotice: () => {},
    debug: (_connection, text, parameters) => {
      sent = { text, parameters: parameters as unknown[] };
    },
  });
  // Several orgs of many users and service accounts, so that reading one org in name order
  // from an index is clearly cheaper than sorting it, and the planner knows it (analyze).
  const orgs = await Promise.all(["Index A", "Index B", "Index C"].map((n) => seedOrganization(db.sql, n)));
  organizationId = orgs[1]?.organization.id as string;
  for (const org of orgs) {
    await db.sql`
      insert into members (organization_id, kind, name, email, role, created_at)
      select ${org.organization.id}, case when i % 10 = 0 then 'service_account' else 'user' end,
             'Person ' || md5(i::text), 'p' || i || '@example.com', 'member',
             date_trunc('milliseconds', now()) + i * interval '1 millisecond'
        from generate_series(1, 5000) as i`;
  }
  await db.sql`analyze members`;
});
afterAll(async () => {
  await recording?.end({ timeout: 5 });
  await db?.drop();
});

const page = (over: Partial<OrganizationUserPage>): OrganizationUserPage => ({
  organizationId,
  search: "",
  roles: [],
  statuses: undefined,
  userIds: [],
  excludeGroupIds: [],
  excludeMembersInAnyGroup: false,
  sort: "name",
  order: "asc",
  after: undefined,
  limit: 26,
  ...over,
});

/** Runs the page as the repository sends it, then the planner's plan for that very statement. */
async function planOf(q: OrganizationUserPage) {
  const rows = await listOrganizationUsers(recording, q);
  const statement = sent;
  if (!statement) throw new Error("no statement was sent");
  const [row] = await recording.unsafe(`explain (format json) ${statement.text}`, statement.parameters as never[]);
  const [explained] = (row?.["QUERY PLAN"] ?? []) as { Plan: PlanNode }[];
  if (!explained) throw new Error("explain gave no plan");
  return { rows, plan: nodes(explained.Plan) };
}

describe("listOrganizationUsers by name", () => {
  it("reads the first page from members_organization_name_idx, in order, without sorting", async () => {
    const { rows, plan } = await planOf(page({}));
    expect(plan.map((n) => n["Index Name"])).toContain("members_organization_name_idx");
    expect(plan.map((n) => n["Node Type"])).not.toContain("Sort");
    const names = rows.map((r) => r.name.toLowerCase());
    expect(names).toEqual([...names].sort());
    expect(rows.every((r) => r.kind === "user" && r.organization_id === organizationId)).toBe(true);
  });

  it("reads a later descending page from the cursor on, scanning the index backwards", async () => {
    const first = await listOrganizationUsers(db.sql, page({ order: "desc" }));
    const last = first.at(-1);
    if (!last) throw new Error("no first page");
    const after = { createdAt: last.created_at, id: last.id, key: last.name };
    const { rows, plan } = await planOf(page({ order: "desc", after }));
    const scan = plan.find((n) => n["Index Name"] === "members_organization_name_idx");
    expect(scan?.["Scan Direction"]).toBe("Backward");
    // The cursor is part of the index condition: the scan starts at it rather than filtering up to it.
    expect(scan?.["Index Cond"]).toMatch(/ROW\(lower\(name\), created_at, id\) < ROW\(/);
    expect(plan.map((n) => n["Node Type"])).not.toContain("Sort");
    expect(rows).toHaveLength(26);
    expect(rows.every((r) => r.name.toLowerCase() <= last.name.toLowerCase())).toBe(true);
    expect(rows.map((r) => r.id)).not.toContain(last.id);
  });
});
