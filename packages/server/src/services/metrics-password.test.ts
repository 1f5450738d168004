/**
 * The runner metrics password over the real server and Postgres (behaviour.md §10,
 * docs/runners.md): stored only encrypted, read back only by runner admins and the runner
 * itself, kept by updates that omit it, and encrypted at start-up where an older version
 * left it in plaintext — never written to a log line.
 */
import { randomBytes } from "node:crypto";
import { RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptPlaintextMetricsPassword } from "../db/runners.js";
import { createLogger } from "../logging/index.js";
import { type Clients, clientsFor } from "../testing/access-matrix.js";
import {
  type CallerName,
  callError,
  createTenancyFixture,
  expectNoPlaintext,
  type SeededOrganization,
  seedOrganization,
  startTestServer,
  type TenancyFixture,
  type TestServer,
  testKeyRing,
} from "../testing/index.js";
import { encryptPlaintextMetricsPasswords, metricsPasswordContext } from "./metrics-password.js";

let server: TestServer;
let org: SeededOrganization;
let admin: Clients;
let fx: TenancyFixture;
/** Every password this file hands the server, for the scans of the database and the logs. */
const secrets: string[] = [];

beforeAll(async () => {
  server = await startTestServer();
  org = await seedOrganization(server.sql, "Metrics Inc");
  admin = clientsFor(server.baseUrl, org.admin.token);
  fx = await createTenancyFixture(server.sql);
});
afterAll(() => server.close());

function secret(label: string): string {
  const value = `${label}-${randomBytes(9).toString("hex")}`;
  secrets.push(value);
  return value;
}

async function newRunner(password: string, clients = admin) {
  const res = await clients.runners.createRunner({
    name: "metered runner",
    provider: RunnerProvider.AWS_EC2,
    spec: {
      configuration: { metrics: { enabled: true, url: "https://metrics.example/push", username: "m", password } },
    },
  });
  return { id: res.runner?.runnerId as string, res };
}

async function passwordSeenBy(clients: Clients, runnerId: string): Promise<string | undefined> {
  const { runner } = await clients.runners.getRunner({ runnerId });
  return runner?.spec?.configuration?.metrics?.password;
}

async function storedRow(id: string) {
  const [row] = await server.sql<
    { metrics_password: string; metrics_password_ciphertext: Buffer | null; metrics_password_key_id: string | null }[]
  >`select metrics_password, metrics_password_ciphertext, metrics_password_key_id from runners where id = ${id}`;
  return row;
}

describe("storage at rest", () => {
  it("keeps the password only encrypted, after CreateRunner and after UpdateRunner", async () => {
    const { id } = await newRunner(secret("created"));
    await admin.runners.updateRunner({
      runnerId: id,
      spec: { configuration: { metrics: { password: secret("updated") } } },
    });

    const rows = await server.sql<Record<string, unknown>[]>`select * from runners`;
    expectNoPlaintext(rows, secrets);
    const row = await storedRow(id);
    expect(row?.metrics_password).toBe("");
    expect(row?.metrics_password_key_id).toBe(testKeyRing.activeKeyId);
    // iv (12) + at least one byte + tag (16)
    expect(row?.metrics_password_ciphertext?.length).toBeGreaterThan(28);
  });

  it("does not decrypt once copied to another runner, which then reads as empty", async () => {
    const stolen = secret("victim");
    const { id: victim } = await newRunner(stolen);
    const { id: thief } = await newRunner("");
    await server.sql`
      update runners t set metrics_password_ciphertext = v.metrics_password_ciphertext,
                           metrics_password_key_id = v.metrics_password_key_id
        from runners v where v.id = ${victim} and t.id = ${thief}`;
    // It reads as empty (and is logged) rather than failing every ListRunners of the org.
    expect(await passwordSeenBy(admin, thief)).toBe("");
    const { runners } = await admin.runners.listRunners({ pagination: { pageSize: 100 } });
    expect(runners.find((r) => r.runnerId === thief)?.spec?.configuration?.metrics?.password).toBe("");
    expect(runners.find((r) => r.runnerId === victim)?.spec?.configuration?.metrics?.password).toBe(stolen);
    expect(server.logs).toContainEqual(
      expect.objectContaining({ level: "error", msg: expect.stringContaining("does not decrypt"), runner_id: thief }),
    );
  });
});

describe("who reads it", () => {
  let orgRunnerPassword: string;
  let userRunnerPassword: string;

  beforeAll(async () => {
    orgRunnerPassword = secret("org-runner");
    userRunnerPassword = secret("user-runner");
    await clientsFor(server.baseUrl, fx.tokens["A admin"]).runners.updateRunner({
      runnerId: fx.runners.orgRunner,
      spec: { configuration: { metrics: { password: orgRunnerPassword } } },
    });
    await clientsFor(server.baseUrl, fx.tokens["A user-runner creator"]).runners.updateRunner({
      runnerId: fx.runners.userRunner,
      spec: { configuration: { metrics: { password: userRunnerPassword } } },
    });
  });

  // The org runner: runner admins (org admin, admin by policy) and the runner itself read
  // the password; runner users (members, service accounts, users by policy) get "".
  const orgRunnerReaders: [CallerName, "reads it" | 'gets ""'][] = [
    ["A admin", "reads it"],
    ["A policy admin", "reads it"],
    ["A org runner itself", "reads it"],
    ["A member", 'gets ""'],
    ["A service account", 'gets ""'],
    ["A policy user", 'gets ""'],
    ["A user-runner creator", 'gets ""'],
  ];

  it.each(orgRunnerReaders)("GetRunner on an org runner: %s %s", async (name, outcome) => {
    const seen = await passwordSeenBy(clientsFor(server.baseUrl, fx.tokens[name]), fx.runners.orgRunner);
    expect(seen).toBe(outcome === "reads it" ? orgRunnerPassword : "");
  });

  it.each(orgRunnerReaders)("ListRunners with an org runner: %s %s", async (name, outcome) => {
    const { runners } = await clientsFor(server.baseUrl, fx.tokens[name]).runners.listRunners({
      pagination: { pageSize: 100 },
    });
    const runner = runners.find((r) => r.runnerId === fx.runners.orgRunner);
    expect(runner?.spec?.configuration?.metrics?.password).toBe(outcome === "reads it" ? orgRunnerPassword : "");
  });

  it("ListRunners decides per runner: a member reads its own user runner's password, not the org runner's", async () => {
    const { runners } = await clientsFor(server.baseUrl, fx.tokens["A user-runner creator"]).runners.listRunners({});
    const passwords = Object.fromEntries(runners.map((r) => [r.runnerId, r.spec?.configuration?.metrics?.password]));
    expect(passwords).toEqual({ [fx.runners.orgRunner]: "", [fx.runners.userRunner]: userRunnerPassword });
  });

  it("GetRunner on a user runner: its creator and the org admin read it", async () => {
    for (const name of ["A user-runner creator", "A admin"] as const) {
      expect(await passwordSeenBy(clientsFor(server.baseUrl, fx.tokens[name]), fx.runners.userRunner)).toBe(
        userRunnerPassword,
      );
    }
  });

  it("CreateRunner returns it to the creator, who administers the new runner", async () => {
    const password = secret("create-response");
    const { res } = await newRunner(password);
    expect(res.runner?.spec?.configuration?.metrics?.password).toBe(password);

    const own = secret("own-laptop");
    const laptop = await clientsFor(server.baseUrl, org.member.token).runners.createRunner({
      name: "member laptop",
      provider: RunnerProvider.LINUX_HOST,
      spec: { configuration: { metrics: { password: own } } },
    });
    expect(laptop.runner?.spec?.configuration?.metrics?.password).toBe(own);
  });
});

describe("UpdateRunner", () => {
  it("keeps the stored password when the update omits it", async () => {
    const password = secret("kept");
    const { id } = await newRunner(password);
    await admin.runners.updateRunner({
      runnerId: id,
      spec: { configuration: { metrics: { url: "https://metrics.example/v2", enabled: false } } },
    });
    await admin.runners.updateRunner({ runnerId: id, name: "renamed runner" });
    const { runner } = await admin.runners.getRunner({ runnerId: id });
    expect(runner?.spec?.configuration?.metrics).toMatchObject({
      url: "https://metrics.example/v2",
      enabled: false,
      password,
    });
  });

  it('removes the stored password when it is set to ""', async () => {
    const { id } = await newRunner(secret("removed"));
    await admin.runners.updateRunner({ runnerId: id, spec: { configuration: { metrics: { password: "" } } } });
    expect(await passwordSeenBy(admin, id)).toBe("");
    expect(await storedRow(id)).toEqual({
      metrics_password: "",
      metrics_password_ciphertext: null,
      metrics_password_key_id: null,
    });
  });

  it("replaces the password, and the runner itself reads the new one with its own token", async () => {
    const { id, res } = await newRunner(secret("first"));
    const { accessToken } = await admin.identity.exchangeToken({ exchangeToken: res.exchangeToken });
    const second = secret("second");
    await admin.runners.updateRunner({ runnerId: id, spec: { configuration: { metrics: { password: second } } } });
    expect(await passwordSeenBy(clientsFor(server.baseUrl, accessToken), id)).toBe(second);
  });
});

describe("encryptPlaintextMetricsPasswords (start-up step)", () => {
  /** A password as an older version stored it: plaintext in the 0002 column. */
  async function legacyRunner(password: string): Promise<string> {
    const { id } = await newRunner("");
    await server.sql`update runners set metrics_password = ${password} where id = ${id}`;
    return id;
  }

  const capturingLogger = () => {
    const lines: string[] = [];
    return { lines, log: createLogger({ level: "debug", write: (line) => lines.push(line) }) };
  };

  it("encrypts a password left in the plaintext column and empties that column", async () => {
    const password = secret("legacy");
    const id = await legacyRunner(password);
    const { lines, log } = capturingLogger();

    expect(await encryptPlaintextMetricsPasswords(server.sql, testKeyRing, log)).toBe(1);

    const row = await storedRow(id);
    expect(row?.metrics_password).toBe("");
    expect(row?.metrics_password_ciphertext).not.toBeNull();
    expectNoPlaintext(await server.sql<Record<string, unknown>[]>`select * from runners where id = ${id}`, [password]);
    expect(await passwordSeenBy(admin, id)).toBe(password);
    expect(lines.join("")).not.toContain(password);
  });

  it("encrypts each row once when replicas run it at the same moment, and then finds nothing to do", async () => {
    const passwords = [secret("replica-a"), secret("replica-b")];
    const ids = await Promise.all(passwords.map(legacyRunner));
    const { log } = capturingLogger();

    const counts = await Promise.all(
      [1, 2, 3].map(() => encryptPlaintextMetricsPasswords(server.sql, testKeyRing, log)),
    );

    expect(counts.reduce((a, b) => a + b, 0)).toBe(2);
    expect(await encryptPlaintextMetricsPasswords(server.sql, testKeyRing, log)).toBe(0);
    for (const [i, id] of ids.entries()) expect(await passwordSeenBy(admin, id)).toBe(passwords[i]);
  });

  it("leaves a row alone whose plaintext changed after it was read", async () => {
    const newer = secret("newer");
    const id = await legacyRunner(newer);
    const stale = testKeyRing.encrypt("stale", metricsPasswordContext(id));
    expect(await encryptPlaintextMetricsPassword(server.sql, id, "stale", stale)).toBe(false);
    expect((await storedRow(id))?.metrics_password_ciphertext).toBeNull();
    // The next run encrypts the value the row holds now.
    expect(await encryptPlaintextMetricsPasswords(server.sql, testKeyRing, capturingLogger().log)).toBe(1);
    expect(await passwordSeenBy(admin, id)).toBe(newer);
  });

  it("is not needed after UpdateRunner sets a password: the leftover plaintext is cleared with it", async () => {
    const id = await legacyRunner(secret("leftover"));
    const current = secret("current");
    await admin.runners.updateRunner({ runnerId: id, spec: { configuration: { metrics: { password: current } } } });
    expect((await storedRow(id))?.metrics_password).toBe("");
    expect(await encryptPlaintextMetricsPasswords(server.sql, testKeyRing, capturingLogger().log)).toBe(0);
    expect(await passwordSeenBy(admin, id)).toBe(current);
  });
});

describe("server log lines", () => {
  it("never contain a metrics password, even of calls that failed", async () => {
    const password = secret("logged");
    const { id } = await newRunner(password);
    // Refused by validation (name too short) and by authorization (a runner user may not update).
    await callError(
      admin.runners.updateRunner({ runnerId: id, name: "x", spec: { configuration: { metrics: { password } } } }),
    );
    await callError(
      clientsFor(server.baseUrl, org.member.token).runners.updateRunner({
        runnerId: id,
        spec: { configuration: { metrics: { password } } },
      }),
    );
    await admin.runners.listRunners({});
    // A line is written when its response closes: once the last call's is there, all are.
    await expect
      .poll(() => server.logs.filter((l) => l.procedure === "gitpod.v1.RunnerService/ListRunners").length)
      .toBeGreaterThan(0);
    expect(server.logs.length).toBeGreaterThan(10);
    const text = JSON.stringify(server.logs);
    for (const s of secrets) expect(text).not.toContain(s);
  });
});
