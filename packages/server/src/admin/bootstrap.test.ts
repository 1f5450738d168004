import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/index.js";
import { bootstrap } from "./bootstrap.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe("bootstrap", () => {
  it("writes nothing when any part fails", async () => {
    // An empty admin name breaks a constraint after the organization was inserted.
    await expect(bootstrap(db.sql, { organizationName: "Half", adminName: "" })).rejects.toThrow();
    expect(await db.sql`select * from organizations`).toHaveLength(0);
    expect(await db.sql`select * from tokens`).toHaveLength(0);
  });

  it("creates the org, an admin user and a personal access token for them", async () => {
    const created = await bootstrap(db.sql, { organizationName: "Whole", adminName: "Ada" });
    expect(created.admin).toMatchObject({ kind: "user", role: "admin", organization_id: created.organization.id });
    expect(created.token).toMatchObject({ kind: "personal_access", subject_id: created.admin.id, principal: "user" });
    expect(created.secret).toMatch(/^rp_pat_/);
  });
});
