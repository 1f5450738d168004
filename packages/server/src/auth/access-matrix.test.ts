/**
 * Who may call what, across two organizations, over the real server. One row per method
 * (and target): each issue that implements a method adds rows here, not code.
 *
 * Callers (testing/tenancy-fixture.ts): org A's admin, member, service account, members of
 * groups holding ADMIN and USER policies on A's org runner, the creator of A's user runner,
 * A's org runner itself (runner principal), and org B's admin and member.
 */
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AccessRow, clientsFor, everyone, outcomeOf } from "../testing/access-matrix.js";
import {
  type CallerName,
  createTenancyFixture,
  startTestServer,
  type TenancyFixture,
  type TestServer,
} from "../testing/index.js";

const rows: AccessRow[] = [
  {
    name: "IdentityService.GetAuthenticatedIdentity",
    call: (c) => c.identity.getAuthenticatedIdentity({}),
    expect: everyone("ok"),
  },
];

let server: TestServer;
let fx: TenancyFixture;
beforeAll(async () => {
  server = await startTestServer();
  fx = await createTenancyFixture(server.sql);
});
afterAll(() => server.close());

const cells = rows.flatMap((row) =>
  (Object.entries(row.expect) as [CallerName, AccessRow["expect"][CallerName]][]).map(
    ([caller, outcome]) => [row.name, caller, outcome === "ok" ? "ok" : Code[outcome], row, outcome] as const,
  ),
);

describe("access matrix", () => {
  it.each(cells)("%s as %s → %s", async (_name, caller, _label, row, outcome) => {
    expect(await outcomeOf(row.call(clientsFor(server.baseUrl, fx.tokens[caller]), fx))).toBe(outcome);
  });
});
