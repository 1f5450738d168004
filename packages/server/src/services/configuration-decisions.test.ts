/**
 * Choices of ours where behaviour.md is silent (docs/configuration.md), over the real server.
 */
import { randomUUID } from "node:crypto";
import { checkConfiguration } from "@runnerplane/configuration-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Clients, clientsFor } from "../testing/access-matrix.js";
import { createTestRunner, seedOrganization, startTestServer, type TestServer } from "../testing/index.js";
import { defaultSchema } from "./default-schema.js";

let server: TestServer;
let adminToken: string;
let admin: Clients;
beforeAll(async () => {
  server = await startTestServer();
  adminToken = (await seedOrganization(server.sql, "Decisions")).admin.token;
  admin = clientsFor(server.baseUrl, adminToken);
});
afterAll(() => server.close());

const configuration = [
  { key: "cpu", value: "2" },
  { key: "memory", value: "2048" },
];

describe("environment classes brought by Signup", () => {
  it("start enabled, and signing up again never flips what an admin chose", async () => {
    const runner = await createTestRunner(server.baseUrl, adminToken);
    const id = randomUUID();
    const signup = () =>
      runner.clients.interaction.signup({
        publicKey: runner.keys?.publicKey as Uint8Array,
        environmentClasses: [{ id, displayName: "Brought along", description: "by the runner", configuration }],
      });
    await signup();
    expect((await admin.configuration.getEnvironmentClass({ environmentClassId: id })).environmentClass?.enabled).toBe(
      true,
    );
    await admin.configuration.updateEnvironmentClass({ environmentClassId: id, enabled: false });
    await signup();
    const after = await fetch(`${server.baseUrl}/gitpod.v1.RunnerConfigurationService/GetEnvironmentClass`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ environmentClassId: id }),
    });
    // Zero values are written out: a disabled class says so.
    expect(((await after.json()) as { environmentClass: { enabled: boolean } }).environmentClass.enabled).toBe(false);
  });
});

describe("SCM integration OAuth settings", () => {
  it("drops an issuer URL given without an OAuth client", async () => {
    const runner = await createTestRunner(server.baseUrl, adminToken);
    const { id } = await admin.configuration.createSCMIntegration({
      runnerId: runner.runnerId,
      scmId: "gitlab",
      host: "gitlab.decisions.test",
      pat: true,
      issuerUrl: "https://gitlab.decisions.test",
    });
    const [row] = await server.sql`select issuer_url from scm_integrations where id = ${id}`;
    expect(row?.issuer_url).toBeNull();
  });

  it("removes the issuer with the OAuth client, and ignores a secret sent along with the removal", async () => {
    const runner = await createTestRunner(server.baseUrl, adminToken);
    const { id } = await admin.configuration.createSCMIntegration({
      runnerId: runner.runnerId,
      scmId: "gitlab",
      host: "gitlab.removal.test",
      oauthClientId: "client",
      oauthPlaintextClientSecret: "secret",
      issuerUrl: "https://gitlab.removal.test",
    });
    await admin.configuration.updateSCMIntegration({ id, oauthClientId: "", oauthPlaintextClientSecret: "ignored" });
    const [row] = await server.sql`
      select oauth_client_id, oauth_encrypted_client_secret, issuer_url from scm_integrations where id = ${id}`;
    expect(row).toEqual({ oauth_client_id: null, oauth_encrypted_client_secret: null, issuer_url: null });
  });
});

describe("int fields of a configuration schema", () => {
  const schema = defaultSchema(undefined, "http://x");
  const withBounds = (min: number, max: number) => {
    const copy = structuredClone(schema);
    const cpu = copy.environmentClasses[0];
    if (cpu?.type.case === "int") Object.assign(cpu.type.value, { min, max });
    return copy;
  };
  const cpuError = (s: typeof schema, value: string) =>
    checkConfiguration(s, [
      { key: "cpu", value },
      { key: "memory", value: "2048" },
    ])[0]?.error;

  it("treat a bound of 0 as no bound on that side", () => {
    expect(cpuError(withBounds(4, 0), "1000000")).toBeUndefined();
    expect(cpuError(withBounds(4, 0), "3")).toBe("must be at least 4, got 3");
    expect(cpuError(withBounds(0, 8), "-5")).toBeUndefined();
    expect(cpuError(withBounds(0, 8), "9")).toBe("must be at most 8, got 9");
  });

  it("refuse values that do not fit in 32 bits", () => {
    expect(cpuError(withBounds(0, 0), "2147483648")).toBe("must fit in a 32-bit integer, got 2147483648");
    expect(cpuError(withBounds(0, 0), "2147483647")).toBeUndefined();
  });
});
