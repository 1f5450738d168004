/**
 * Authorization's runner reads (db/runner-access.ts) against real Postgres: the reads of a
 * turn go out as one statement, each with its own organization and member, and a read in a
 * transaction stays on the transaction's connection.
 */
import { describe, expect, it } from "vitest";
import { countingSql, useTenancyDatabase } from "../testing/index.js";
import { readRunnerForAccess, runnerAccessBatchMax } from "./runner-access.js";

const t = useTenancyDatabase();
const member = (name: keyof typeof t.fx.callers) => t.fx.callers[name].subject.id;

describe("batched runner reads for authorization", () => {
  it("read one turn's runners in one statement, each for its own organization and member", async () => {
    const { sql, statements } = countingSql(t.db.sql);
    const { A, B } = t.fx.organizations;
    const { orgRunner, userRunner, otherOrgRunner } = t.fx.runners;
    const [opsEngineer, developer, admin, laptop, otherOrg, fromOtherOrg] = await Promise.all([
      readRunnerForAccess(sql, { runnerId: orgRunner, organizationId: A, memberId: member("A policy admin") }),
      readRunnerForAccess(sql, { runnerId: orgRunner, organizationId: A, memberId: member("A policy user") }),
      readRunnerForAccess(sql, { runnerId: orgRunner, organizationId: A, memberId: member("A admin") }),
      readRunnerForAccess(sql, { runnerId: userRunner, organizationId: A, memberId: member("A admin") }),
      readRunnerForAccess(sql, { runnerId: otherOrgRunner, organizationId: B, memberId: member("B member") }),
      // Org A's runner asked for in org B's name: not found, whoever asks.
      readRunnerForAccess(sql, { runnerId: orgRunner, organizationId: B, memberId: member("B admin") }),
    ]);
    expect(statements()).toBe(1);
    expect(opsEngineer?.policyRoles).toEqual(["admin"]);
    expect(developer?.policyRoles).toEqual(["user"]);
    expect(admin?.policyRoles).toEqual([]);
    expect([opsEngineer, developer, admin].map((r) => r?.runner.id)).toEqual([orgRunner, orgRunner, orgRunner]);
    expect(laptop?.runner).toMatchObject({ id: userRunner, kind: "local", organization_id: A });
    expect(otherOrg?.runner).toMatchObject({ id: otherOrgRunner, organization_id: B });
    expect(fromOtherOrg).toBeUndefined();
  });

  it("fail only the read whose runner id is no id at all, and answer the others", async () => {
    const { sql, statements } = countingSql(t.db.sql);
    const { A } = t.fx.organizations;
    const [good, bad] = await Promise.allSettled([
      readRunnerForAccess(sql, { runnerId: t.fx.runners.orgRunner, organizationId: A, memberId: member("A admin") }),
      readRunnerForAccess(sql, { runnerId: "not-a-uuid", organizationId: A, memberId: member("A admin") }),
    ]);
    expect(good).toMatchObject({ status: "fulfilled", value: { runner: { id: t.fx.runners.orgRunner } } });
    expect(bad).toMatchObject({ status: "rejected", reason: { code: "22P02" } });
    // The batch, then each read alone.
    expect(statements()).toBe(3);
  });

  it("send a full batch at once and the rest in the next statement", async () => {
    const { sql, statements } = countingSql(t.db.sql);
    const { A } = t.fx.organizations;
    const reads = Array.from({ length: runnerAccessBatchMax + 1 }, (_, i) =>
      readRunnerForAccess(sql, {
        runnerId: i === 0 ? t.fx.runners.orgRunner : crypto.randomUUID(),
        organizationId: A,
        memberId: member("A admin"),
      }),
    );
    const rows = await Promise.all(reads);
    expect(statements()).toBe(2);
    expect(rows[0]?.runner.id).toBe(t.fx.runners.orgRunner);
    expect(rows.slice(1).every((r) => r === undefined)).toBe(true);
  });

  it("read by itself on the transaction's connection inside a transaction, where its uncommitted rows are", async () => {
    const { A } = t.fx.organizations;
    const id = crypto.randomUUID();
    await t.db.sql
      .begin(async (tx) => {
        await tx`insert into runners (id, organization_id, name, kind, provider, creator_id, creator_principal)
                 select ${id}, organization_id, 'uncommitted', kind, provider, creator_id, creator_principal
                   from runners where id = ${t.fx.runners.orgRunner}`;
        const { sql, statements } = countingSql(tx);
        const [seen, other] = await Promise.all([
          readRunnerForAccess(sql, { runnerId: id, organizationId: A, memberId: member("A admin") }),
          readRunnerForAccess(sql, {
            runnerId: t.fx.runners.orgRunner,
            organizationId: A,
            memberId: member("A admin"),
          }),
        ]);
        expect(seen?.runner).toMatchObject({ id, name: "uncommitted" });
        expect(other?.runner.id).toBe(t.fx.runners.orgRunner);
        // Each by itself, in the order asked: nothing waits for a turn to end inside a transaction.
        expect(statements()).toBe(2);
        throw new Error("roll back");
      })
      .catch((error: Error) => expect(error.message).toBe("roll back"));
    expect(await readRunnerForAccess(t.db.sql, { runnerId: id, organizationId: A, memberId: member("A admin") })).toBe(
      undefined,
    );
  });
});
