/**
 * authorizeRunner() on real Postgres, as a table: caller × runner × needed role → outcome.
 * Later issues do not add rows here; they add method rows to the RPC access matrix.
 */
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  type CallerName,
  callError,
  createTenancyFixture,
  createTestDatabase,
  useTenancyDatabase,
} from "../testing/index.js";
import { authorizeRunner, type RunnerRole } from "./runner-access.js";

const t = useTenancyDatabase();

type Target = "orgRunner" | "userRunner" | "otherOrgRunner" | "unknown";
type Outcome = RunnerRole | "not_found" | "permission_denied";

const unknownRunner = "0b9b1f6e-3c1a-4c77-9e55-2f6a1d0c9e01";

// [caller, target, need, runnerItself, outcome]
const table: [CallerName, Target, "user" | "admin", boolean, Outcome][] = [
  // Org admins are runner admin on every runner of their org, user runners included.
  ["A admin", "orgRunner", "admin", false, "admin"],
  ["A admin", "userRunner", "admin", false, "admin"],
  ["A admin", "otherOrgRunner", "user", false, "not_found"],
  ["A admin", "unknown", "user", false, "not_found"],
  // Members are runner users on org runners, and cannot see others' user runners.
  ["A member", "orgRunner", "user", false, "user"],
  ["A member", "orgRunner", "admin", false, "permission_denied"],
  ["A member", "userRunner", "user", false, "not_found"],
  ["A member", "userRunner", "admin", false, "not_found"],
  ["A service account", "orgRunner", "user", false, "user"],
  ["A service account", "orgRunner", "admin", false, "permission_denied"],
  ["A service account", "userRunner", "user", false, "not_found"],
  // Policies: a group with ADMIN makes its members runner admin; USER changes nothing.
  ["A policy admin", "orgRunner", "admin", false, "admin"],
  ["A policy admin", "userRunner", "user", false, "not_found"],
  ["A policy user", "orgRunner", "user", false, "user"],
  ["A policy user", "orgRunner", "admin", false, "permission_denied"],
  // The creator of a user runner is its admin.
  ["A user-runner creator", "userRunner", "admin", false, "admin"],
  ["A user-runner creator", "orgRunner", "admin", false, "permission_denied"],
  // The runner principal acts on itself, and only where the method allows it.
  ["A org runner itself", "orgRunner", "user", true, "runner"],
  ["A org runner itself", "orgRunner", "admin", true, "runner"],
  ["A org runner itself", "orgRunner", "user", false, "permission_denied"],
  ["A org runner itself", "userRunner", "user", true, "not_found"],
  ["A org runner itself", "otherOrgRunner", "user", true, "not_found"],
  // Another org sees nothing of org A, whatever its role.
  ["B admin", "orgRunner", "user", false, "not_found"],
  ["B admin", "userRunner", "admin", false, "not_found"],
  ["B admin", "otherOrgRunner", "admin", false, "admin"],
  ["B member", "orgRunner", "user", false, "not_found"],
  ["B member", "otherOrgRunner", "user", false, "user"],
];

describe("authorizeRunner", () => {
  it.each(table)(
    "%s on %s needing %s (runner itself allowed: %s) → %s",
    async (caller, target, need, self, outcome) => {
      const runnerId = target === "unknown" ? unknownRunner : t.fx.runners[target];
      const call = authorizeRunner(t.db.sql, t.fx.callers[caller], runnerId, { need, runnerItself: self });
      if (outcome === "not_found" || outcome === "permission_denied") {
        const error = await callError(call);
        expect(error.code).toBe(outcome === "not_found" ? Code.NotFound : Code.PermissionDenied);
        if (outcome === "not_found") expect(error.rawMessage).toBe(`runner ${runnerId} not found`);
      } else {
        expect((await call).role).toBe(outcome);
      }
    },
  );

  it("gives the same not_found for an unknown runner, another org's runner and someone else's user runner", async () => {
    const messages = await Promise.all(
      [
        [t.fx.callers["A member"], unknownRunner],
        [t.fx.callers["A member"], t.fx.runners.otherOrgRunner],
        [t.fx.callers["A member"], t.fx.runners.userRunner],
      ].map(async ([caller, id]) => {
        const e = await callError(authorizeRunner(t.db.sql, caller as never, id as string, { need: "user" }));
        return [e.code, e.rawMessage.replace(id as string, "<id>")];
      }),
    );
    expect(new Set(messages.map((m) => JSON.stringify(m))).size).toBe(1);
  });

  it("follows a policy change at once: removing the ADMIN policy demotes the group's members", async () => {
    const local = await createTestDatabase();
    try {
      const f = await createTenancyFixture(local.sql);
      const caller = f.callers["A policy admin"];
      expect((await authorizeRunner(local.sql, caller, f.runners.orgRunner, { need: "admin" })).role).toBe("admin");
      await local.sql`delete from runner_policies where role = 'admin'`;
      const error = await callError(authorizeRunner(local.sql, caller, f.runners.orgRunner, { need: "admin" }));
      expect(error.code).toBe(Code.PermissionDenied);
    } finally {
      await local.drop();
    }
  });
});
