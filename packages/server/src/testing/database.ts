import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { createDatabaseIfMissing, createSql, dropDatabase, type Sql } from "../db/index.js";
import { withDatabase } from "./global-setup.js";

export interface TestDatabase {
  name: string;
  url: string;
  sql: Sql;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** A fresh, fully migrated database of its own (cloned from the run's template). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject("adminUrl");
  const name = `runnerplane_test_${randomBytes(6).toString("hex")}`;
  await createDatabaseIfMissing(adminUrl, name, { template: inject("templateDatabase") });
  const url = withDatabase(adminUrl, name);
  const sql = createSql(url, { max: 5 });
  return {
    name,
    url,
    sql,
    drop: async () => {
      await sql.end({ timeout: 5 });
      await dropDatabase(adminUrl, name);
    },
  };
}

/** An empty database (no migrations), for testing the migrator itself. */
export async function createEmptyDatabase(): Promise<TestDatabase> {
  const adminUrl = inject("adminUrl");
  const name = `runnerplane_empty_${randomBytes(6).toString("hex")}`;
  await createDatabaseIfMissing(adminUrl, name);
  const url = withDatabase(adminUrl, name);
  const sql = createSql(url, { max: 5 });
  return {
    name,
    url,
    sql,
    drop: async () => {
      await sql.end({ timeout: 5 });
      await dropDatabase(adminUrl, name);
    },
  };
}
