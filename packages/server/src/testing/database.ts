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
export function createTestDatabase(): Promise<TestDatabase> {
  return openNewDatabase("runnerplane_test", inject("templateDatabase"));
}

/** An empty database (no migrations), for testing the migrator itself. */
export function createEmptyDatabase(): Promise<TestDatabase> {
  return openNewDatabase("runnerplane_empty", undefined);
}

async function openNewDatabase(prefix: string, template: string | undefined): Promise<TestDatabase> {
  const adminUrl = inject("adminUrl");
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  await createDatabaseIfMissing(adminUrl, name, template ? { template } : {});
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
