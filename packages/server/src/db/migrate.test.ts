import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEmptyDatabase, type TestDatabase } from "../testing/index.js";
import { loadMigrations, migrate, migrationsApplied } from "./migrate.js";

let db: TestDatabase;
let dir: string;

beforeEach(async () => {
  db = await createEmptyDatabase();
  dir = await mkdtemp(path.join(tmpdir(), "runnerplane-migrations-"));
  await writeFile(path.join(dir, "0001_widgets.sql"), "create table widgets (id integer primary key, name text);");
  await writeFile(path.join(dir, "0002_widget_colour.sql"), "alter table widgets add column colour text;");
});
afterEach(async () => {
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

const tables = async () =>
  (await db.sql<{ t: string }[]>`select tablename as t from pg_tables where schemaname = 'public' order by 1`).map(
    (r) => r.t,
  );

describe("migrate", () => {
  it("brings a fresh database to the latest version and records each migration", async () => {
    const result = await migrate(db.sql, { dir });
    expect(result.applied).toEqual([1, 2]);
    expect(await tables()).toEqual(["schema_migrations", "widgets"]);
    const rows = await db.sql`select version, name from schema_migrations order by version`;
    expect(rows.map((r) => [r.version, r.name])).toEqual([
      [1, "widgets"],
      [2, "widget_colour"],
    ]);
    expect(await migrationsApplied(db.sql, await loadMigrations(dir))).toBe(true);
  });

  it("is a no-op the second time", async () => {
    await migrate(db.sql, { dir });
    await db.sql`insert into widgets (id, name, colour) values (1, 'kept', 'red')`;
    const again = await migrate(db.sql, { dir });
    expect(again.applied).toEqual([]);
    expect(await db.sql`select name from widgets`).toEqual([{ name: "kept" }]);
  });

  it("applies only the migrations added since the last run", async () => {
    await migrate(db.sql, { dir });
    await writeFile(path.join(dir, "0003_gadgets.sql"), "create table gadgets (id integer primary key);");
    expect((await migrate(db.sql, { dir })).applied).toEqual([3]);
  });

  it("lets concurrent starters through one at a time, each migration applied once", async () => {
    // A slow migration widens the window in which the starters would race.
    await writeFile(path.join(dir, "0003_slow.sql"), "select pg_sleep(0.3); create table slow (id integer);");
    const results = await Promise.all([1, 2, 3, 4].map(() => migrate(db.sql, { dir })));
    const applied = results.flatMap((r) => r.applied).sort();
    expect(applied).toEqual([1, 2, 3]);
    expect(await tables()).toEqual(["schema_migrations", "slow", "widgets"]);
  });

  it("rolls back a failing migration entirely and records nothing for it", async () => {
    await writeFile(
      path.join(dir, "0003_broken.sql"),
      "create table half_done (id integer); insert into no_such_table values (1);",
    );
    await expect(migrate(db.sql, { dir })).rejects.toThrow(/migration 3_broken failed/);
    expect(await tables()).toEqual(["schema_migrations", "widgets"]);
    const versions = await db.sql`select version from schema_migrations order by version`;
    expect(versions.map((r) => r.version)).toEqual([1, 2]);
    expect(await migrationsApplied(db.sql, await loadMigrations(dir))).toBe(false);
  });

  it("refuses to run when a migration that already ran was edited", async () => {
    await migrate(db.sql, { dir });
    await writeFile(path.join(dir, "0001_widgets.sql"), "create table widgets (id bigint primary key);");
    await expect(migrate(db.sql, { dir })).rejects.toThrow(/was changed after it was applied/);
  });

  it("rejects badly named files", async () => {
    await writeFile(path.join(dir, "3_oops.sql"), "select 1;");
    await expect(migrate(db.sql, { dir })).rejects.toThrow(/must be named NNNN_lower_snake_name.sql/);
  });
});

describe("the shipped migrations", () => {
  it("apply to a fresh database, and a second run changes nothing", async () => {
    await migrate(db.sql);
    const before = await tables();
    expect((await migrate(db.sql)).applied).toEqual([]);
    expect(await tables()).toEqual(before);
    expect(await migrationsApplied(db.sql, await loadMigrations())).toBe(true);
  });
});
