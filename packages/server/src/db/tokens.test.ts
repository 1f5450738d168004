import { describe, expect, it } from "vitest";
import { manualClock, useTenancyDatabase } from "../testing/index.js";
import {
  consumeExchangeToken,
  findTokenForAuth,
  issueExchangeToken,
  issueRunnerAccessTokens,
  issueToken,
  revokeToken,
} from "./tokens.js";

const t = useTenancyDatabase();

const day = 24 * 60 * 60_000;

describe("issueExchangeToken", () => {
  it("issues a token that can be exchanged for 24 hours, once", async () => {
    const clock = manualClock();
    const runner = { organizationId: t.fx.organizations.A, runnerId: t.fx.runners.orgRunner };
    const early = await issueExchangeToken(t.db.sql, runner, clock.now());
    const late = await issueExchangeToken(t.db.sql, runner, clock.now());
    expect(early.token).toMatch(/^rp_exchange_/);
    expect(early.row.expires_at?.getTime()).toBe(clock.now().getTime() + 24 * 60 * 60_000);
    clock.advance(24 * 60 * 60_000 - 1);
    expect((await consumeExchangeToken(t.db.sql, early.token, clock.now()))?.subject_id).toBe(t.fx.runners.orgRunner);
    clock.advance(1);
    expect(await consumeExchangeToken(t.db.sql, late.token, clock.now())).toBeUndefined();
  });
});

function exchangeToken(expiresAt: Date | null) {
  return issueToken(t.db.sql, {
    kind: "runner_exchange",
    organizationId: t.fx.organizations.A,
    subjectId: t.fx.runners.orgRunner,
    principal: "runner",
    expiresAt,
  });
}

describe("issueToken", () => {
  it("stores only a hash: no column of the row holds the token", async () => {
    const { row, token } = await exchangeToken(null);
    const [stored] = await t.db.sql`select * from tokens where id = ${row.id}`;
    const text = JSON.stringify(stored, (_k, v) => (v?.type === "Buffer" ? Buffer.from(v.data).toString("latin1") : v));
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.slice(12));
  });
});

describe("issueRunnerAccessTokens", () => {
  it("gives each runner its own access token that authenticates as that runner, storing only hashes", async () => {
    const runners = [t.fx.runners.orgRunner, t.fx.runners.userRunner];
    const issued = await issueRunnerAccessTokens(t.db.sql, t.fx.organizations.A, runners);
    expect(issued.map((i) => i.runnerId)).toEqual(runners);
    expect(new Set(issued.map((i) => i.token)).size).toBe(2);
    for (const { runnerId, token, tokenId } of issued) {
      expect(token).toMatch(/^rp_runner_/);
      const found = await findTokenForAuth(t.db.sql, token);
      expect(found).toMatchObject({ id: tokenId, kind: "runner_access", principal: "runner", subject_id: runnerId });
      expect(found?.subject_exists).toBe(true);
      const [stored] = await t.db.sql`select * from tokens where id = ${tokenId}`;
      expect(JSON.stringify(stored)).not.toContain(token.slice(10));
    }
  });
});

describe("consumeExchangeToken", () => {
  it("works once, then never again", async () => {
    const clock = manualClock();
    const { row, token } = await exchangeToken(new Date(clock.now().getTime() + day));
    expect((await consumeExchangeToken(t.db.sql, token, clock.now()))?.id).toBe(row.id);
    expect(await consumeExchangeToken(t.db.sql, token, clock.now())).toBeUndefined();
  });

  it("refuses a token after its 24 hours", async () => {
    const clock = manualClock();
    const { token } = await exchangeToken(new Date(clock.now().getTime() + day));
    clock.advance(day);
    expect(await consumeExchangeToken(t.db.sql, token, clock.now())).toBeUndefined();
  });

  it("refuses a revoked token", async () => {
    const clock = manualClock();
    const { row, token } = await exchangeToken(new Date(clock.now().getTime() + day));
    await revokeToken(t.db.sql, t.fx.organizations.A, row.id, clock.now());
    expect(await consumeExchangeToken(t.db.sql, token, clock.now())).toBeUndefined();
  });

  it("refuses tokens of other kinds", async () => {
    expect(await consumeExchangeToken(t.db.sql, t.fx.tokens["A org runner itself"], new Date())).toBeUndefined();
    expect(await consumeExchangeToken(t.db.sql, t.fx.tokens["A admin"], new Date())).toBeUndefined();
  });

  it("lets exactly one of many concurrent exchanges of the same token succeed", async () => {
    const { token } = await exchangeToken(null);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => consumeExchangeToken(t.db.sql, token, new Date())),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});

describe("revokeToken", () => {
  it("only revokes tokens of the given org", async () => {
    const { row } = await exchangeToken(null);
    expect(await revokeToken(t.db.sql, t.fx.organizations.B, row.id, new Date())).toBe(false);
    expect(await revokeToken(t.db.sql, t.fx.organizations.A, row.id, new Date())).toBe(true);
    expect(await revokeToken(t.db.sql, t.fx.organizations.A, row.id, new Date())).toBe(false);
  });
});
