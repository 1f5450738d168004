/**
 * Versioned SQL migrations: `db/migrations/NNNN_name.sql`, applied in order at start-up.
 *
 * - One session-level advisory lock serialises every migrator on the database, so a
 *   second replica starting at the same moment waits for the first and then finds
 *   nothing left to do.
 * - Each file runs in its own transaction together with the row recording it, so a
 *   failing migration leaves neither half its changes nor a record.
 * - A landed file must never change: its SHA-256 is recorded and checked on every start.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import type { Logger } from "../logging/index.js";
import type { Sql } from "./sql.js";

/** The migrations shipped with the server (resolves the same from src/ and dist/). */
export const defaultMigrationsDir = new URL("../../src/db/migrations/", import.meta.url);

// Arbitrary constant identifying "runnerplane migrations" among advisory locks.
const migrationLockKey = 7_351_804_220_917_001n;

const fileNamePattern = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrateResult {
  /** Versions applied by this call, in order. */
  applied: number[];
}

export async function loadMigrations(dir: URL | string = defaultMigrationsDir): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".sql")).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = fileNamePattern.exec(file);
    if (!match?.[1] || !match[2]) {
      throw new Error(`migration file ${file} must be named NNNN_lower_snake_name.sql`);
    }
    const version = Number(match[1]);
    if (migrations.some((m) => m.version === version)) {
      throw new Error(`two migration files share version ${version}`);
    }
    const sql = await readFile(new URL(file, toDirUrl(dir)), "utf8");
    migrations.push({ version, name: match[2], sql, checksum: sha256(sql) });
  }
  return migrations;
}

export async function migrate(sql: Sql, options: { dir?: URL | string; log?: Logger } = {}): Promise<MigrateResult> {
  const migrations = await loadMigrations(options.dir);
  // Advisory locks belong to a session: hold one connection for the whole run.
  const conn = await sql.reserve();
  try {
    await conn`select pg_advisory_lock(${migrationLockKey.toString()}::bigint)`;
    try {
      await conn`
        create table if not exists schema_migrations (
          version integer primary key,
          name text not null,
          checksum text not null,
          applied_at timestamptz not null default now()
        )`;
      const rows = await conn<{ version: number; name: string; checksum: string }[]>`
        select version, name, checksum from schema_migrations order by version`;
      const done = new Map(rows.map((r) => [r.version, r]));
      for (const m of migrations) {
        const landed = done.get(m.version);
        if (landed && landed.checksum !== m.checksum) {
          throw new Error(
            `migration ${m.version}_${m.name} was changed after it was applied; add a new migration instead`,
          );
        }
      }
      const applied: number[] = [];
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        await conn.unsafe("begin");
        try {
          await conn.unsafe(m.sql);
          await conn`insert into schema_migrations (version, name, checksum)
                     values (${m.version}, ${m.name}, ${m.checksum})`;
          await conn.unsafe("commit");
        } catch (error) {
          await conn.unsafe("rollback");
          throw new Error(`migration ${m.version}_${m.name} failed: ${(error as Error).message}`, {
            cause: error,
          });
        }
        applied.push(m.version);
        options.log?.info("migration applied", { version: m.version, name: m.name });
      }
      return { applied };
    } finally {
      await conn`select pg_advisory_unlock(${migrationLockKey.toString()}::bigint)`;
    }
  } finally {
    conn.release();
  }
}

/** True when every shipped migration is recorded; used by /readyz. */
export async function migrationsApplied(sql: Sql, expected: readonly Migration[]): Promise<boolean> {
  const exists = await sql<{ t: string | null }[]>`select to_regclass('schema_migrations')::text as t`;
  if (!exists[0]?.t) return expected.length === 0;
  const rows = await sql<{ version: number }[]>`select version from schema_migrations`;
  const have = new Set(rows.map((r) => r.version));
  return expected.every((m) => have.has(m.version));
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function toDirUrl(dir: URL | string): URL {
  if (dir instanceof URL) return dir;
  return pathToFileURL(dir.endsWith("/") ? dir : `${dir}/`);
}
