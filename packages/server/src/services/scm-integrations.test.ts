/**
 * SCM integrations over the real server and Postgres (behaviour.md §2, §5;
 * docs/configuration.md): create, get, list, update, delete, the sealed OAuth client secret,
 * the host token cascades, and proof that the database never holds a plaintext secret.
 */
import { randomBytes } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { HostAuthenticationTokenSource, RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Clients, clientsFor } from "../testing/access-matrix.js";
import {
  callError,
  createTestRunner,
  expectNoPlaintext,
  openSealed,
  type SeededOrganization,
  seedMember,
  seedOrganization,
  startTestServer,
  type TestRunner,
  type TestServer,
} from "../testing/index.js";

let server: TestServer;
let org: SeededOrganization;
let otherOrg: SeededOrganization;
let admin: Clients;
let member: Clients;
let robot: Clients;
let otherAdmin: Clients;
let runner: TestRunner;

beforeAll(async () => {
  server = await startTestServer();
  org = await seedOrganization(server.sql, "Integrations Inc");
  otherOrg = await seedOrganization(server.sql, "Elsewhere Ltd");
  admin = clientsFor(server.baseUrl, org.admin.token);
  member = clientsFor(server.baseUrl, org.member.token);
  robot = clientsFor(server.baseUrl, org.serviceAccount.token);
  otherAdmin = clientsFor(server.baseUrl, otherOrg.admin.token);
  runner = await newRunner();
});
afterAll(() => server.close());

const unknownId = "0b9b1f6e-3c1a-4c77-9e55-2f6a1d0c9e01";

let hostCounter = 0;
/** A host no other test uses. */
const freshHost = (prefix = "git") => `${prefix}${++hostCounter}.example.com`;

function newRunner(options: Parameters<typeof createTestRunner>[2] = {}, token = org.admin.token) {
  return createTestRunner(server.baseUrl, token, options);
}

type CreateInit = Parameters<Clients["configuration"]["createSCMIntegration"]>[0];

async function createIntegration(init: CreateInit, clients = admin): Promise<string> {
  const { id } = await clients.configuration.createSCMIntegration({ scmId: "github", pat: true, ...init });
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  return id;
}

async function getIntegration(id: string, clients = admin) {
  const { integration } = await clients.configuration.getSCMIntegration({ id });
  if (!integration) throw new Error("GetSCMIntegration answered without an integration");
  return integration;
}

/** Creates a host token as `who` for itself; returns its id. */
async function hostToken(who: Clients, runnerId: string, host: string, source: HostAuthenticationTokenSource) {
  const { token } = await who.configuration.createHostAuthenticationToken({
    runnerId,
    host,
    token: `value-${randomBytes(4).toString("hex")}`,
    source,
  });
  return token?.id as string;
}

/** The ids of the host tokens stored on a runner, as an org admin (runner admin everywhere) lists them. */
async function tokenIdsOn(runnerId: string): Promise<string[]> {
  const ids: string[] = [];
  let token = "";
  do {
    const page = await admin.configuration.listHostAuthenticationTokens({
      filter: { runnerId },
      pagination: { pageSize: 100, token },
    });
    ids.push(...page.tokens.map((t) => t.id));
    token = page.pagination?.nextToken ?? "";
  } while (token);
  return ids.sort();
}

describe("CreateSCMIntegration", () => {
  it("stores the integration and seals the client secret for the runner only", async () => {
    const other = await newRunner();
    const host = freshHost("github");
    const id = await createIntegration({
      runnerId: runner.runnerId,
      scmId: "github",
      host,
      oauthClientId: "client-123",
      oauthPlaintextClientSecret: "s3cret-for-the-runner",
      issuerUrl: "https://issuer.example.com",
      pat: true,
    });
    const integration = await getIntegration(id);
    expect(integration).toMatchObject({
      id,
      runnerId: runner.runnerId,
      scmId: "github",
      host,
      pat: true,
      oauth: { clientId: "client-123", issuerUrl: "https://issuer.example.com" },
    });
    expect(integration.virtualDirectory).toBeUndefined();
    const sealed = integration.oauth?.encryptedClientSecret as Uint8Array;
    expect(sealed.length).toBeGreaterThan(0);
    expect(Buffer.from(sealed).toString("latin1")).not.toContain("s3cret-for-the-runner");
    expect(await openSealed(runner, sealed)).toBe("s3cret-for-the-runner");
    // Sealed for this runner's key pair: another runner's private key cannot open it.
    await expect(openSealed(other, sealed)).rejects.toThrow();
  });

  it("answers in the documented JSON shape over plain HTTP", async () => {
    const host = freshHost("azure");
    const created = await fetch(`${server.baseUrl}/api/gitpod.v1.RunnerConfigurationService/CreateSCMIntegration`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${org.admin.token}` },
      body: JSON.stringify({
        runner_id: runner.runnerId,
        scm_id: "azuredevops",
        host,
        oauth_client_id: "azure-client",
        oauth_plaintext_client_secret: "azure-secret",
        pat: true,
        virtual_directory: "/tfs",
      }),
    });
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as { id: string };
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const got = await fetch(`${server.baseUrl}/api/gitpod.v1.RunnerConfigurationService/GetSCMIntegration`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${org.admin.token}` },
      body: JSON.stringify({ id }),
    });
    expect(got.status).toBe(200);
    const body = (await got.json()) as {
      integration: { oauth: { encryptedClientSecret: string } } & Record<string, unknown>;
    };
    expect(body.integration).toMatchObject({
      id,
      runnerId: runner.runnerId,
      scmId: "azuredevops",
      host,
      pat: true,
      virtualDirectory: "/tfs",
      oauth: { clientId: "azure-client" },
    });
    expect(JSON.stringify(body)).not.toContain("azure-secret");
    const sealed = Buffer.from(body.integration.oauth.encryptedClientSecret, "base64");
    expect(await openSealed(runner, new Uint8Array(sealed))).toBe("azure-secret");
  });

  it("rejects an scm_id that is not in the runner's schema, naming scm_id", async () => {
    const error = await callError(
      admin.configuration.createSCMIntegration({ runnerId: runner.runnerId, scmId: "gitea", host: freshHost() }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("scm_id");
  });

  it.each(["https://github.com", "git hub.com", "", "host:99999", "-a.com", "github.com/path"])(
    "rejects the host %j, naming host",
    async (host) => {
      const error = await callError(
        admin.configuration.createSCMIntegration({ runnerId: runner.runnerId, scmId: "github", host, pat: true }),
      );
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toContain("host");
    },
  );

  it.each(["github.example.com", "git.example.com:8443", "localhost:3000", "10.0.0.1"])(
    "accepts the host %j",
    async (host) => {
      const target = await newRunner({ signUp: false });
      const id = await createIntegration({ runnerId: target.runnerId, host });
      expect((await getIntegration(id)).host).toBe(host);
    },
  );

  it("rejects a client id without a secret, and a secret without a client id", async () => {
    const withoutSecret = await callError(
      admin.configuration.createSCMIntegration({
        runnerId: runner.runnerId,
        scmId: "github",
        host: freshHost(),
        oauthClientId: "lonely-client",
      }),
    );
    expect(withoutSecret.code).toBe(Code.InvalidArgument);
    expect(withoutSecret.rawMessage).toContain("oauth");
    const withoutClient = await callError(
      admin.configuration.createSCMIntegration({
        runnerId: runner.runnerId,
        scmId: "github",
        host: freshHost(),
        oauthPlaintextClientSecret: "lonely-secret",
      }),
    );
    expect(withoutClient.code).toBe(Code.InvalidArgument);
    expect(withoutClient.rawMessage).toContain("oauth");
  });

  it("cannot seal a secret for a runner that has not signed up, but takes a PAT-only integration", async () => {
    const unsigned = await newRunner({ signUp: false });
    const error = await callError(
      admin.configuration.createSCMIntegration({
        runnerId: unsigned.runnerId,
        scmId: "github",
        host: freshHost(),
        oauthClientId: "client",
        oauthPlaintextClientSecret: "secret",
      }),
    );
    expect(error.code).toBe(Code.FailedPrecondition);
    const id = await createIntegration({ runnerId: unsigned.runnerId, host: freshHost(), pat: true });
    const integration = await getIntegration(id);
    expect(integration.pat).toBe(true);
    expect(integration.oauth).toBeUndefined();
  });

  it("takes virtual_directory for azuredevops only", async () => {
    const error = await callError(
      admin.configuration.createSCMIntegration({
        runnerId: runner.runnerId,
        scmId: "gitlab",
        host: freshHost(),
        virtualDirectory: "/gitlab",
      }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("virtual_directory");
    const id = await createIntegration({
      runnerId: runner.runnerId,
      scmId: "azuredevops",
      host: freshHost("tfs"),
      virtualDirectory: "/DefaultCollection",
    });
    expect((await getIntegration(id)).virtualDirectory).toBe("/DefaultCollection");
  });

  it("allows one integration per host and runner, case-insensitively, and the same host on another runner", async () => {
    const target = await newRunner();
    await createIntegration({ runnerId: target.runnerId, host: "github.example.com" });
    const again = await callError(
      admin.configuration.createSCMIntegration({
        runnerId: target.runnerId,
        scmId: "gitlab",
        host: "github.example.com",
      }),
    );
    expect(again.code).toBe(Code.AlreadyExists);
    const differentCase = await callError(
      admin.configuration.createSCMIntegration({
        runnerId: target.runnerId,
        scmId: "github",
        host: "GitHub.example.com",
      }),
    );
    expect(differentCase.code).toBe(Code.AlreadyExists);
    const elsewhere = await newRunner();
    await createIntegration({ runnerId: elsewhere.runnerId, host: "github.example.com" });
  });

  it("is for runner admins: members get permission_denied, other orgs not_found", async () => {
    const init = { runnerId: runner.runnerId, scmId: "github", host: freshHost(), pat: true };
    expect((await callError(member.configuration.createSCMIntegration(init))).code).toBe(Code.PermissionDenied);
    expect((await callError(robot.configuration.createSCMIntegration(init))).code).toBe(Code.PermissionDenied);
    expect((await callError(runner.clients.configuration.createSCMIntegration(init))).code).toBe(Code.PermissionDenied);
    expect((await callError(otherAdmin.configuration.createSCMIntegration(init))).code).toBe(Code.NotFound);
    expect((await callError(admin.configuration.createSCMIntegration({ ...init, runnerId: unknownId }))).code).toBe(
      Code.NotFound,
    );
  });

  it("checks scm_id against the schema the runner reported", async () => {
    const target = await newRunner();
    await target.clients.interaction.updateRunnerConfigurationSchema({
      runnerId: target.runnerId,
      configSchema: {
        version: "v-gitea",
        scm: [
          {
            scmId: "gitea",
            name: "Gitea",
            defaultHosts: ["gitea.com"],
            oauth: { callbackUrl: "http://localhost:8080/auth/oauth2/gitea/callback" },
            pat: { description: "A Gitea access token", docsLink: "https://docs.gitea.com" },
          },
        ],
      },
    });
    const id = await createIntegration({
      runnerId: target.runnerId,
      scmId: "gitea",
      host: "gitea.example.com",
      oauthClientId: "gitea-client",
      oauthPlaintextClientSecret: "gitea-secret",
    });
    expect(await getIntegration(id)).toMatchObject({ scmId: "gitea", host: "gitea.example.com" });
    for (const scmId of ["github", "gitlab", "bitbucket", "azuredevops"]) {
      const error = await callError(
        admin.configuration.createSCMIntegration({ runnerId: target.runnerId, scmId, host: freshHost(), pat: true }),
      );
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toContain("scm_id");
    }
  });
});

describe("GetSCMIntegration", () => {
  it("shows the integration to runner users, not to other orgs", async () => {
    const id = await createIntegration({ runnerId: runner.runnerId, host: freshHost() });
    expect((await getIntegration(id, member)).id).toBe(id);
    expect((await getIntegration(id, runner.clients)).id).toBe(id);
    expect((await callError(otherAdmin.configuration.getSCMIntegration({ id }))).code).toBe(Code.NotFound);
    expect((await callError(admin.configuration.getSCMIntegration({ id: unknownId }))).code).toBe(Code.NotFound);
  });
});

describe("ListSCMIntegrations", () => {
  it("filters by runner_ids and pages through every integration once", async () => {
    const a = await newRunner();
    const b = await newRunner();
    const onA: string[] = [];
    for (let i = 0; i < 5; i++) onA.push(await createIntegration({ runnerId: a.runnerId, host: freshHost("a") }));
    const onB = [await createIntegration({ runnerId: b.runnerId, host: freshHost("b") })];

    const seen: string[] = [];
    let token = "";
    let pages = 0;
    do {
      const page = await admin.configuration.listSCMIntegrations({
        filter: { runnerIds: [a.runnerId] },
        pagination: { pageSize: 2, token },
      });
      pages++;
      expect(page.integrations.length).toBeLessThanOrEqual(2);
      seen.push(...page.integrations.map((i) => i.id));
      for (const i of page.integrations) expect(i.runnerId).toBe(a.runnerId);
      token = page.pagination?.nextToken ?? "";
    } while (token && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(5);
    expect([...seen].sort()).toEqual([...onA].sort());

    const both = await admin.configuration.listSCMIntegrations({ filter: { runnerIds: [a.runnerId, b.runnerId] } });
    expect(both.integrations.map((i) => i.id).sort()).toEqual([...onA, ...onB].sort());
    expect(both.pagination?.nextToken).toBe("");
  });

  it("refuses a page token with another filter", async () => {
    const a = await newRunner();
    for (let i = 0; i < 2; i++) await createIntegration({ runnerId: a.runnerId, host: freshHost() });
    const first = await admin.configuration.listSCMIntegrations({
      filter: { runnerIds: [a.runnerId] },
      pagination: { pageSize: 1 },
    });
    const error = await callError(
      admin.configuration.listSCMIntegrations({
        filter: { runnerIds: [runner.runnerId] },
        pagination: { pageSize: 1, token: first.pagination?.nextToken ?? "" },
      }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
  });

  it("shows a member no integration of someone else's user runner", async () => {
    const dana = await seedMember(server.sql, org.organization.id, { name: "Dana" });
    const danaClients = clientsFor(server.baseUrl, dana.token);
    const laptop = await newRunner({ provider: RunnerProvider.LINUX_HOST, name: "Dana's laptop" }, dana.token);
    const id = await createIntegration({ runnerId: laptop.runnerId, host: freshHost() }, danaClients);

    const listIds = async (clients: Clients, runnerIds: string[] = []) =>
      (
        await clients.configuration.listSCMIntegrations({ filter: { runnerIds }, pagination: { pageSize: 100 } })
      ).integrations.map((i) => i.id);
    expect(await listIds(danaClients)).toContain(id);
    expect(await listIds(danaClients, [laptop.runnerId])).toEqual([id]);
    expect(await listIds(member)).not.toContain(id);
    expect(await listIds(member, [laptop.runnerId])).toEqual([]);
    expect(await listIds(otherAdmin, [laptop.runnerId])).toEqual([]);
    expect(await listIds(admin, [laptop.runnerId])).toEqual([id]);
    expect((await callError(member.configuration.getSCMIntegration({ id }))).code).toBe(Code.NotFound);
  });
});

describe("UpdateSCMIntegration", () => {
  async function oauthIntegration(target: TestRunner = runner, host = freshHost()) {
    const id = await createIntegration({
      runnerId: target.runnerId,
      host,
      oauthClientId: "client-v1",
      oauthPlaintextClientSecret: "secret-v1",
      issuerUrl: "https://issuer-v1.example.com",
      pat: true,
    });
    return { id, host };
  }

  it("changes only the fields present", async () => {
    const { id } = await oauthIntegration();
    const before = await getIntegration(id);
    await admin.configuration.updateSCMIntegration({ id, issuerUrl: "https://issuer-v2.example.com" });
    const after = await getIntegration(id);
    expect(after).toMatchObject({
      scmId: "github",
      host: before.host,
      pat: true,
      oauth: { clientId: "client-v1", issuerUrl: "https://issuer-v2.example.com" },
    });
    expect(after.oauth?.encryptedClientSecret).toEqual(before.oauth?.encryptedClientSecret);

    await admin.configuration.updateSCMIntegration({ id, oauthClientId: "client-v2" });
    const renamed = await getIntegration(id);
    expect(renamed.oauth).toMatchObject({ clientId: "client-v2", issuerUrl: "https://issuer-v2.example.com" });
    expect(await openSealed(runner, renamed.oauth?.encryptedClientSecret as Uint8Array)).toBe("secret-v1");

    await admin.configuration.updateSCMIntegration({ id });
    expect(await getIntegration(id)).toEqual(renamed);
  });

  it("seals a new secret again", async () => {
    const { id } = await oauthIntegration();
    await admin.configuration.updateSCMIntegration({ id, oauthPlaintextClientSecret: "secret-v2" });
    const integration = await getIntegration(id);
    expect(integration.oauth?.clientId).toBe("client-v1");
    expect(await openSealed(runner, integration.oauth?.encryptedClientSecret as Uint8Array)).toBe("secret-v2");
  });

  it("adds OAuth to a PAT-only integration when client id and secret come together", async () => {
    const id = await createIntegration({ runnerId: runner.runnerId, host: freshHost() });
    const error = await callError(admin.configuration.updateSCMIntegration({ id, oauthClientId: "no-secret" }));
    expect(error.code).toBe(Code.InvalidArgument);
    const secretOnly = await callError(
      admin.configuration.updateSCMIntegration({ id, oauthPlaintextClientSecret: "x" }),
    );
    expect(secretOnly.code).toBe(Code.InvalidArgument);
    expect((await getIntegration(id)).oauth).toBeUndefined();
    await admin.configuration.updateSCMIntegration({
      id,
      oauthClientId: "late-client",
      oauthPlaintextClientSecret: "late-secret",
    });
    const integration = await getIntegration(id);
    expect(integration.oauth?.clientId).toBe("late-client");
    expect(await openSealed(runner, integration.oauth?.encryptedClientSecret as Uint8Array)).toBe("late-secret");
  });

  it("refuses an empty secret", async () => {
    const { id } = await oauthIntegration();
    const error = await callError(admin.configuration.updateSCMIntegration({ id, oauthPlaintextClientSecret: "" }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("oauth_plaintext_client_secret");
  });

  it("cannot seal a new secret for a runner without a key", async () => {
    const unsigned = await newRunner({ signUp: false });
    const id = await createIntegration({ runnerId: unsigned.runnerId, host: freshHost() });
    const error = await callError(
      admin.configuration.updateSCMIntegration({ id, oauthClientId: "c", oauthPlaintextClientSecret: "s" }),
    );
    expect(error.code).toBe(Code.FailedPrecondition);
  });

  it("removes OAuth with an empty client id, and the OAuth host tokens of that runner and host only", async () => {
    const target = await newRunner();
    const { id, host } = await oauthIntegration(target);
    const otherHost = freshHost();
    const oauthToken = await hostToken(member, target.runnerId, host, HostAuthenticationTokenSource.OAUTH);
    const patToken = await hostToken(robot, target.runnerId, host, HostAuthenticationTokenSource.PAT);
    const otherHostToken = await hostToken(member, target.runnerId, otherHost, HostAuthenticationTokenSource.OAUTH);
    const elsewhere = await newRunner();
    const otherRunnerToken = await hostToken(member, elsewhere.runnerId, host, HostAuthenticationTokenSource.OAUTH);

    await admin.configuration.updateSCMIntegration({ id, oauthClientId: "" });
    const integration = await getIntegration(id);
    expect(integration.oauth).toBeUndefined();
    expect(integration.pat).toBe(true);
    const [row] = await server.sql<{ oauth_client_id: string | null; secret: Buffer | null; issuer: string | null }[]>`
      select oauth_client_id, oauth_encrypted_client_secret as secret, issuer_url as issuer
        from scm_integrations where id = ${id}`;
    expect(row).toEqual({ oauth_client_id: null, secret: null, issuer: null });

    expect(await tokenIdsOn(target.runnerId)).toEqual([patToken, otherHostToken].sort());
    expect(await tokenIdsOn(elsewhere.runnerId)).toEqual([otherRunnerToken]);
    expect((await callError(member.configuration.getHostAuthenticationToken({ id: oauthToken }))).code).toBe(
      Code.NotFound,
    );
  });

  it("removes PAT support with pat = false, and the PAT host tokens of that runner and host only", async () => {
    const target = await newRunner();
    const { id, host } = await oauthIntegration(target);
    const otherHost = freshHost();
    const patToken = await hostToken(member, target.runnerId, host, HostAuthenticationTokenSource.PAT);
    const oauthToken = await hostToken(robot, target.runnerId, host, HostAuthenticationTokenSource.OAUTH);
    const otherHostPat = await hostToken(member, target.runnerId, otherHost, HostAuthenticationTokenSource.PAT);
    const elsewhere = await newRunner();
    const otherRunnerPat = await hostToken(member, elsewhere.runnerId, host, HostAuthenticationTokenSource.PAT);

    await admin.configuration.updateSCMIntegration({ id, pat: false });
    const integration = await getIntegration(id);
    expect(integration.pat).toBe(false);
    expect(integration.oauth?.clientId).toBe("client-v1");
    expect(await tokenIdsOn(target.runnerId)).toEqual([oauthToken, otherHostPat].sort());
    expect(await tokenIdsOn(elsewhere.runnerId)).toEqual([otherRunnerPat]);
    expect(await tokenIdsOn(target.runnerId)).not.toContain(patToken);

    await admin.configuration.updateSCMIntegration({ id, pat: true });
    expect((await getIntegration(id)).pat).toBe(true);
  });

  it("takes virtual_directory for azuredevops only", async () => {
    const { id } = await oauthIntegration();
    const error = await callError(admin.configuration.updateSCMIntegration({ id, virtualDirectory: "/tfs" }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("virtual_directory");
    const azure = await createIntegration({ runnerId: runner.runnerId, scmId: "azuredevops", host: freshHost() });
    await admin.configuration.updateSCMIntegration({ id: azure, virtualDirectory: "/tfs" });
    expect((await getIntegration(azure)).virtualDirectory).toBe("/tfs");
    await admin.configuration.updateSCMIntegration({ id: azure, virtualDirectory: "" });
    expect((await getIntegration(azure)).virtualDirectory).toBeUndefined();
  });

  it("is for runner admins: members get permission_denied, other orgs and unknown ids not_found", async () => {
    const { id } = await oauthIntegration();
    expect((await callError(member.configuration.updateSCMIntegration({ id, pat: false }))).code).toBe(
      Code.PermissionDenied,
    );
    expect((await callError(otherAdmin.configuration.updateSCMIntegration({ id, pat: false }))).code).toBe(
      Code.NotFound,
    );
    expect((await callError(admin.configuration.updateSCMIntegration({ id: unknownId, pat: false }))).code).toBe(
      Code.NotFound,
    );
    expect((await getIntegration(id)).pat).toBe(true);
  });
});

describe("DeleteSCMIntegration", () => {
  it("removes the integration and the host tokens of that runner and host only", async () => {
    const target = await newRunner();
    const host = freshHost();
    const otherHost = freshHost();
    const id = await createIntegration({
      runnerId: target.runnerId,
      host,
      oauthClientId: "c",
      oauthPlaintextClientSecret: "s",
    });
    await hostToken(member, target.runnerId, host, HostAuthenticationTokenSource.OAUTH);
    await hostToken(robot, target.runnerId, host, HostAuthenticationTokenSource.PAT);
    const kept = await hostToken(member, target.runnerId, otherHost, HostAuthenticationTokenSource.PAT);

    expect((await callError(member.configuration.deleteSCMIntegration({ id }))).code).toBe(Code.PermissionDenied);
    expect((await callError(otherAdmin.configuration.deleteSCMIntegration({ id }))).code).toBe(Code.NotFound);

    await admin.configuration.deleteSCMIntegration({ id });
    expect((await callError(admin.configuration.getSCMIntegration({ id }))).code).toBe(Code.NotFound);
    expect(await tokenIdsOn(target.runnerId)).toEqual([kept]);
    expect((await callError(admin.configuration.deleteSCMIntegration({ id }))).code).toBe(Code.NotFound);
    // The host is free again.
    await createIntegration({ runnerId: target.runnerId, host });
  });
});

describe("the OAuth client secret at rest", () => {
  it("is never stored in plaintext in any column of any row", async () => {
    const marker = () => `plain-client-secret-${randomBytes(12).toString("hex")}`;
    const secrets: string[] = [];
    const create = async (target: TestRunner) => {
      const secret = marker();
      secrets.push(secret);
      return createIntegration({
        runnerId: target.runnerId,
        host: freshHost(),
        oauthClientId: `client-${secrets.length}`,
        oauthPlaintextClientSecret: secret,
      });
    };
    const first = await create(runner);
    await create(await newRunner());
    const updatedSecret = marker();
    secrets.push(updatedSecret);
    await admin.configuration.updateSCMIntegration({ id: first, oauthPlaintextClientSecret: updatedSecret });
    // And through a rejected request: nothing of it may be stored either.
    const rejected = marker();
    secrets.push(rejected);
    await callError(
      admin.configuration.createSCMIntegration({
        runnerId: runner.runnerId,
        scmId: "github",
        host: "not a host",
        oauthClientId: "c",
        oauthPlaintextClientSecret: rejected,
      }),
    );

    const rows = await server.sql<Record<string, unknown>[]>`select * from scm_integrations`;
    const withSecret = rows.filter((r) => r.oauth_encrypted_client_secret !== null);
    expect(withSecret.length).toBeGreaterThanOrEqual(2);
    expectNoPlaintext(rows, secrets);
    // The stored bytes are what the runner opens.
    const [stored] = await server.sql<{ secret: Buffer }[]>`
      select oauth_encrypted_client_secret as secret from scm_integrations where id = ${first}`;
    expect(await openSealed(runner, new Uint8Array(stored?.secret as Buffer))).toBe(updatedSecret);
  });
});

/** Every way a column value could spell a secret out. */
