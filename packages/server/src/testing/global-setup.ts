/**
 * vitest global setup: one Postgres for the whole run and a migrated template database.
 * With DATABASE_URL set, that server is used (its role needs CREATEDB); otherwise an
 * embedded cluster starts in a temporary directory and is removed afterwards.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { createDatabaseIfMissing, createSql, dropDatabase, migrate, startEmbeddedPostgres } from "../db/index.js";
import { silentLogger } from "../logging/index.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of a maintenance database on the test server, for CREATE/DROP DATABASE. */
    adminUrl: string;
    /** Name of the migrated template every test database is cloned from. */
    templateDatabase: string;
  }
}

export default async function setup(project: TestProject) {
  let adminUrl = process.env.DATABASE_URL;
  let cleanup = async () => {};
  if (!adminUrl) {
    const dir = await mkdtemp(path.join(tmpdir(), "runnerplane-test-pg-"));
    const pg = await startEmbeddedPostgres({ dataDir: dir, ephemeral: true, log: silentLogger });
    adminUrl = pg.url("postgres");
    cleanup = async () => {
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  const templateDatabase = `runnerplane_template_${randomBytes(4).toString("hex")}`;
  await createDatabaseIfMissing(adminUrl, templateDatabase);
  const sql = createSql(withDatabase(adminUrl, templateDatabase), { max: 1 });
  await migrate(sql);
  // CREATE DATABASE … TEMPLATE needs the template to have no open connections.
  await sql.end({ timeout: 5 });

  project.provide("adminUrl", adminUrl);
  project.provide("templateDatabase", templateDatabase);
  const url = adminUrl;
  return async () => {
    await dropDatabase(url, templateDatabase).catch(() => {});
    await cleanup();
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}
