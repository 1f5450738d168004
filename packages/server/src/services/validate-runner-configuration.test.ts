/**
 * ValidateRunnerConfiguration over the real server and Postgres (behaviour.md §5): an
 * environment class or an SCM integration is checked as create would check it, invalid input
 * is a result with `valid = false` (a 2xx answer, not an error), and nothing is persisted.
 * No runner is connected in these tests, so the server's own checks are the whole answer.
 */
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import {
  RunnerConfigurationSchemaSchema,
  type ValidateRunnerConfigurationRequest_ValidateSCMIntegration,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { ViolationsSchema } from "@runnerplane/api/runnerplane/validate/v1/validate_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Clients, clientsFor } from "../testing/access-matrix.js";
import {
  callError,
  createTestRunner,
  type SeededOrganization,
  seedOrganization,
  startTestServer,
  type TestRunner,
  type TestServer,
} from "../testing/index.js";

let server: TestServer;
let org: SeededOrganization;
let admin: Clients;
let member: Clients;
let otherAdmin: Clients;
/** Signed up (has a public key) and has one SCM integration for git.example.com. */
let runner: TestRunner;
let existingIntegrationId: string;
/** Created and exchanged, never signed up: no public key. */
let keyless: TestRunner;

beforeAll(async () => {
  server = await startTestServer();
  org = await seedOrganization(server.sql, "Validators Inc");
  const other = await seedOrganization(server.sql, "Other Validators");
  admin = clientsFor(server.baseUrl, org.admin.token);
  member = clientsFor(server.baseUrl, org.member.token);
  otherAdmin = clientsFor(server.baseUrl, other.admin.token);
  runner = await createTestRunner(server.baseUrl, org.admin.token, { name: "validated runner" });
  keyless = await createTestRunner(server.baseUrl, org.admin.token, { name: "keyless runner", signUp: false });
  existingIntegrationId = (
    await admin.configuration.createSCMIntegration({
      runnerId: runner.runnerId,
      scmId: "gitlab",
      host: "git.example.com",
      pat: true,
    })
  ).id;
});
afterAll(() => server.close());

const unknownId = "3f6d2a1c-8b7e-4c5d-9a0b-1e2f3a4b5c6d";

const validClass = {
  displayName: "Standard",
  description: "Four cores",
  configuration: [
    { key: "cpu", value: "4" },
    { key: "memory", value: "8192" },
  ],
};

function validateClass(init: Partial<typeof validClass>, runnerId = runner.runnerId, clients = admin) {
  return clients.configuration.validateRunnerConfiguration({
    runnerId,
    config: { case: "environmentClass", value: { ...validClass, ...init } },
  });
}

type ScmInit = Partial<Omit<ValidateRunnerConfigurationRequest_ValidateSCMIntegration, "$typeName">>;

const validScm: ScmInit = {
  scmId: "github",
  host: "github.example.com",
  oauthClientId: "client-id",
  oauthClientSecret: { case: "oauthPlaintextClientSecret", value: "client-secret" },
  pat: true,
};

async function validateScm(init: ScmInit, runnerId = runner.runnerId) {
  const res = await admin.configuration.validateRunnerConfiguration({
    runnerId,
    config: { case: "scmIntegration", value: { ...validScm, ...init } },
  });
  if (res.result.case !== "scmIntegration") throw new Error(`unexpected result ${res.result.case}`);
  return res.result.value;
}

/** The configuration visible through the public API, to prove nothing was persisted. */
async function storedConfiguration(runnerId: string) {
  const classes = await admin.configuration.listEnvironmentClasses({ filter: { runnerIds: [runnerId] } });
  const integrations = await admin.configuration.listSCMIntegrations({ filter: { runnerIds: [runnerId] } });
  return {
    classes: classes.environmentClasses.map((c) => c.id),
    integrations: integrations.integrations.map((i) => [i.id, i.host, i.scmId, i.pat, i.oauth?.clientId]),
  };
}

function post(method: string, body: unknown, token = org.admin.token) {
  return fetch(`${server.baseUrl}/api/gitpod.v1.RunnerConfigurationService/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

describe("an environment class", () => {
  it("is valid when create would accept it", async () => {
    const res = await validateClass({});
    expect(res.result).toEqual({
      case: "environmentClass",
      value: expect.objectContaining({ valid: true, configurationErrors: [] }),
    });
    if (res.result.case !== "environmentClass") throw new Error("no environment class result");
    expect(res.result.value.displayNameError).toBeUndefined();
    expect(res.result.value.descriptionError).toBeUndefined();
  });

  it("answers invalid input with the reasons, per field and per key, not with an error", async () => {
    const before = await storedConfiguration(runner.runnerId);
    const res = await validateClass({
      displayName: "ab",
      description: "x".repeat(201),
      configuration: [
        { key: "cpu", value: "1.5" },
        { key: "gpu", value: "1" },
        { key: "disk", value: "0" },
      ],
    });
    if (res.result.case !== "environmentClass") throw new Error("no environment class result");
    const result = res.result.value;
    expect(result.valid).toBe(false);
    expect(result.displayNameError).toContain("3 to 127");
    expect(result.descriptionError).toContain("3 to 200");
    expect(result.configurationErrors.map((e) => e.key)).toEqual(["cpu", "gpu", "disk", "memory"]);
    expect(result.configurationErrors.map((e) => e.error)).toEqual([
      expect.stringContaining("integer"),
      expect.stringContaining("unknown key"),
      expect.stringContaining("between"),
      "required but missing",
    ]);
    expect(await storedConfiguration(runner.runnerId)).toEqual(before);
  });

  it.each([
    ["a display name of 128 characters", { displayName: "x".repeat(128) }, "displayNameError"],
    ["an empty display name", { displayName: "" }, "displayNameError"],
    ["a description of 2 characters", { description: "ab" }, "descriptionError"],
  ] as const)("reports %s alone", async (_what, init, field) => {
    const res = await validateClass(init);
    if (res.result.case !== "environmentClass") throw new Error("no environment class result");
    expect(res.result.value.valid).toBe(false);
    expect(Object.keys(res.result.value).filter((k) => k.endsWith("Error"))).toEqual([field]);
    expect(res.result.value.configurationErrors).toEqual([]);
  });

  it("checks against the schema the runner reported", async () => {
    const reporting = await createTestRunner(server.baseUrl, org.admin.token, { name: "reporting runner" });
    await reporting.clients.interaction.updateRunnerConfigurationSchema({
      runnerId: reporting.runnerId,
      configSchema: create(RunnerConfigurationSchemaSchema, {
        environmentClasses: [
          { id: "spot", required: true, type: { case: "bool", value: {} } },
          {
            id: "tier",
            type: { case: "enum", value: { possibleValues: [{ title: "gold" }, { title: "silver" }] } },
          },
        ],
      }),
    });
    const ok = await validateClass(
      {
        configuration: [
          { key: "spot", value: "true" },
          { key: "tier", value: "gold" },
        ],
      },
      reporting.runnerId,
    );
    expect(ok.result.value?.valid).toBe(true);
    const bad = await validateClass(
      {
        configuration: [
          { key: "spot", value: "maybe" },
          { key: "tier", value: "bronze" },
          { key: "cpu", value: "4" },
        ],
      },
      reporting.runnerId,
    );
    if (bad.result.case !== "environmentClass") throw new Error("no environment class result");
    expect(bad.result.value.valid).toBe(false);
    expect(bad.result.value.configurationErrors.map((e) => e.key)).toEqual(["spot", "tier", "cpu"]);
  });

  it("is a 200 JSON answer over plain HTTP, with every reason", async () => {
    const res = await post("ValidateRunnerConfiguration", {
      runnerId: runner.runnerId,
      environmentClass: { displayName: "ab", description: "ab", configuration: [{ key: "gpu", value: "1" }] },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      environmentClass: {
        valid?: boolean;
        displayNameError?: string;
        descriptionError?: string;
        configurationErrors: { key: string; error: string }[];
      };
    };
    expect(body.environmentClass.valid).toBe(false); // zero values are written out
    expect(body.environmentClass.displayNameError).toContain("3 to 127");
    expect(body.environmentClass.descriptionError).toContain("3 to 200");
    expect(body.environmentClass.configurationErrors.map((e) => e.key)).toEqual(["gpu", "cpu", "memory"]);

    const valid = await post("ValidateRunnerConfiguration", {
      runnerId: runner.runnerId,
      environmentClass: validClass,
    });
    expect(valid.status).toBe(200);
    expect(((await valid.json()) as { environmentClass: { valid: boolean } }).environmentClass.valid).toBe(true);
  });
});

describe("an SCM integration", () => {
  it("is valid when create would accept it", async () => {
    expect(await validateScm({})).toEqual(expect.objectContaining({ valid: true }));
    expect(await validateScm({ oauthClientId: undefined, oauthClientSecret: { case: undefined } })).toEqual(
      expect.objectContaining({ valid: true }),
    );
    const sealed = await validateScm({
      oauthClientSecret: { case: "oauthEncryptedClientSecret", value: new Uint8Array([1, 2, 3]) },
    });
    expect(sealed.valid).toBe(true);
    expect(await validateScm({ scmId: "azuredevops", host: "dev.azure.com", virtualDirectory: "tfs" })).toEqual(
      expect.objectContaining({ valid: true }),
    );
  });

  it.each([
    ["an unknown scm_id", { scmId: "gitea" }, "scmIdError"],
    ["a host with a scheme", { host: "https://github.example.com" }, "hostError"],
    ["a host with a port of 0", { host: "github.example.com:0" }, "hostError"],
    ["a client id without secret", { oauthClientSecret: { case: undefined } }, "oauthError"],
    [
      "a client id with an empty secret",
      { oauthClientSecret: { case: "oauthPlaintextClientSecret", value: "" } },
      "oauthError",
    ],
    ["a secret without client id", { oauthClientId: undefined }, "oauthError"],
    ["a virtual directory on github", { virtualDirectory: "tfs" }, "hostError"],
  ] as [string, ScmInit, string][])("reports %s", async (_what, init, field) => {
    const result = await validateScm(init);
    expect(result.valid).toBe(false);
    expect(Object.keys(result).filter((k) => k.endsWith("Error"))).toEqual([field]);
  });

  it("reports a host another integration of the runner already uses, unless id names that integration", async () => {
    for (const host of ["git.example.com", "GIT.Example.com"]) {
      const clash = await validateScm({ scmId: "gitlab", host });
      expect(clash.valid).toBe(false);
      expect(clash.hostError).toContain("already has an SCM integration for host git.example.com");
    }
    const same = await validateScm({ id: existingIntegrationId, scmId: "gitlab", host: "git.example.com" });
    expect(same).toEqual(expect.objectContaining({ valid: true }));
    // Another runner may use that host.
    const elsewhere = await createTestRunner(server.baseUrl, org.admin.token);
    expect((await validateScm({ host: "git.example.com" }, elsewhere.runnerId)).valid).toBe(true);
  });

  it("reports a plaintext secret for a runner without public key, but not a PAT-only integration", async () => {
    const result = await validateScm({}, keyless.runnerId);
    expect(result.valid).toBe(false);
    expect(result.oauthError).toContain("public key");
    expect(
      await validateScm({ oauthClientId: undefined, oauthClientSecret: { case: undefined } }, keyless.runnerId),
    ).toEqual(expect.objectContaining({ valid: true }));
  });

  it("reports every failing field at once", async () => {
    const result = await validateScm({ scmId: "gitea", host: "bad host", oauthClientId: undefined });
    expect(result.valid).toBe(false);
    expect(
      Object.keys(result)
        .filter((k) => k.endsWith("Error"))
        .sort(),
    ).toEqual(["hostError", "oauthError", "scmIdError"]);
  });

  it("persists nothing", async () => {
    const before = await storedConfiguration(runner.runnerId);
    expect(before.integrations).toHaveLength(1);
    await validateScm({ host: "new.example.com" });
    await validateScm({ id: existingIntegrationId, scmId: "gitlab", host: "git.example.com", pat: false });
    await validateScm({ host: "bad host" });
    await validateClass({});
    expect(await storedConfiguration(runner.runnerId)).toEqual(before);
    const keylessRunner = (await admin.runners.getRunner({ runnerId: keyless.runnerId })).runner;
    expect(keylessRunner?.status?.publicKey ?? new Uint8Array()).toHaveLength(0);
  });

  it("is a 200 JSON answer over plain HTTP", async () => {
    const res = await post("ValidateRunnerConfiguration", {
      runnerId: runner.runnerId,
      scmIntegration: { scmId: "nope", host: "github.example.com", oauthClientId: "cid" },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { scmIntegration: Record<string, unknown> };
    expect(body.scmIntegration.valid).toBe(false);
    expect(
      Object.keys(body.scmIntegration)
        .filter((k) => k.endsWith("Error"))
        .sort(),
    ).toEqual(["oauthError", "scmIdError"]);
  });
});

describe("field rules: off for this request, as in the genuine API (behaviour.md §7)", () => {
  it("answers a configuration that breaks the declared field rules with a result, not invalid_argument", async () => {
    // EnvironmentClass declares display_name 3–127 and description 3–200 characters: the
    // validation interceptor would refuse these anywhere the message's rules are on.
    const brokenClass = { displayName: "ab", description: "x".repeat(201), configuration: validClass.configuration };
    const res = await admin.configuration.validateRunnerConfiguration({
      runnerId: runner.runnerId,
      config: { case: "environmentClass", value: brokenClass },
    });
    if (res.result.case !== "environmentClass") throw new Error("no environment class result");
    expect(res.result.value.valid).toBe(false);
    expect(res.result.value.displayNameError).toContain("3 to 127");
    expect(res.result.value.descriptionError).toContain("3 to 200");

    const http = await post("ValidateRunnerConfiguration", {
      runnerId: runner.runnerId,
      environmentClass: brokenClass,
    });
    expect(http.status).toBe(200);
  });

  it("still refuses a runner_id that is not a UUID, with the field violation as detail", async () => {
    const error = await callError(validateClass({}, "not-a-uuid"));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("runner_id: value must be a valid UUID");
    expect(error.findDetails(ViolationsSchema)[0]?.violations).toEqual([
      expect.objectContaining({ field: "runner_id", rule: "string.uuid", message: "value must be a valid UUID" }),
    ]);
  });

  it("authenticates before it looks at the runner_id", async () => {
    const res = await post("ValidateRunnerConfiguration", { runnerId: "not-a-uuid" }, "rp_pat_not-a-token");
    expect(res.status).toBe(401);
  });
});

describe("requests ValidateRunnerConfiguration refuses", () => {
  it("needs an environment class or an SCM integration", async () => {
    const error = await callError(
      admin.configuration.validateRunnerConfiguration({ runnerId: runner.runnerId, config: { case: undefined } }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("environment_class or scm_integration");
  });

  it("validates the runner id", async () => {
    const error = await callError(validateClass({}, "not-a-uuid"));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("runner_id");
  });

  it("needs the runner admin role", async () => {
    expect((await callError(validateClass({}, runner.runnerId, member))).code).toBe(Code.PermissionDenied);
    expect((await callError(validateClass({}, runner.runnerId, runner.clients))).code).toBe(Code.PermissionDenied);
  });

  it("hides runners the caller cannot see as not_found", async () => {
    expect((await callError(validateClass({}, runner.runnerId, otherAdmin))).code).toBe(Code.NotFound);
    expect((await callError(validateClass({}, unknownId))).code).toBe(Code.NotFound);
    const theirs = await createTestRunner(server.baseUrl, org.admin.token);
    expect((await callError(validateClass({}, runner.runnerId, theirs.clients))).code).toBe(Code.NotFound);
  });

  it("checks authorization before reporting results, over plain HTTP too", async () => {
    const res = await post(
      "ValidateRunnerConfiguration",
      { runnerId: runner.runnerId, environmentClass: { displayName: "ab" } },
      org.member.token,
    );
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe("permission_denied");
  });
});
