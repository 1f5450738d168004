/**
 * Readiness: the database reachable and its migrations applied. One rule, asked by
 * `GET /readyz` (http/front-door.ts) and by the gRPC health service
 * (services/health-service.ts), so a Kubernetes HTTP probe and a `grpc:` probe never disagree.
 */
import type { DatabaseHealth } from "./health.js";
import { loadMigrations, migrationsApplied } from "./migrate.js";
import type { Sql } from "./sql.js";

export type ReadinessResult = { ok: true } | { ok: false; reason: string };
export type Readiness = () => Promise<ReadinessResult>;

/**
 * With `health` (db/health.ts) reachability is its probe; without it, a `select 1` on the
 * pool. Never rejects.
 */
export function createReadiness(sql: Sql, health: DatabaseHealth | undefined): Readiness {
  const migrations = loadMigrations();
  let migrated = false;
  const reachable = (): Promise<boolean> =>
    health
      ? health.check()
      : sql`select 1`.then(
          () => true,
          () => false,
        );
  return async () => {
    try {
      if (!(await reachable())) return { ok: false, reason: "database unreachable" };
      // Applied migrations do not come undone: once seen, they are not asked about again.
      migrated ||= await migrationsApplied(sql, await migrations);
      return migrated ? { ok: true } : { ok: false, reason: "database migrations are not applied" };
    } catch {
      return { ok: false, reason: "database unreachable" };
    }
  };
}
