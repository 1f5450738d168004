/**
 * Environment classes and the configuration schema over the real server and Postgres
 * (behaviour.md §2, §5, §7; docs/configuration.md): create/get/list/update, who may do what,
 * the configuration checked against the default or the reported schema, classes a runner
 * brings at sign-up, and GetRunnerConfigurationSchema / UpdateRunnerConfigurationSchema.
 */
import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import {
  type EnvironmentClass,
  RunnerConfigurationSchemaSchema,
  RunnerKind,
  RunnerProvider,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { ViolationsSchema } from "@runnerplane/api/runnerplane/validate/v1/validate_pb";
import sodium from "libsodium-wrappers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Clients, clientsFor } from "../testing/access-matrix.js";
import {
  callError,
  createTestRunner,
  type ManualClock,
  manualClock,
  type SeededMember,
  type SeededOrganization,
  seedMember,
  seedOrganization,
  startTestServer,
  type TestRunner,
  type TestServer,
  testServerConfig,
} from "../testing/index.js";
import { defaultSchema } from "./default-schema.js";

let server: TestServer;
let clock: ManualClock;
let org: SeededOrganization;
let other: SeededOrganization;
let admin: Clients;
let member: Clients;
let otherAdmin: Clients;
/** An org runner of `org`, signed up: admin is runner admin, member is runner user. */
let runner: TestRunner;

beforeAll(async () => {
  clock = manualClock(new Date("2026-04-01T08:00:00Z"));
  server = await startTestServer({ clock });
  org = await seedOrganization(server.sql, "Classes Inc");
  other = await seedOrganization(server.sql, "Elsewhere Ltd");
  admin = clientsFor(server.baseUrl, org.admin.token);
  member = clientsFor(server.baseUrl, org.member.token);
  otherAdmin = clientsFor(server.baseUrl, other.admin.token);
  runner = await createTestRunner(server.baseUrl, org.admin.token, { name: "classes runner" });
});
afterAll(() => server.close());

const unknownId = "7d2c1b0a-9e8f-4a6b-8c5d-3e2f1a0b9c8d";
const memory = { key: "memory", value: "8192" };
const ok = [{ key: "cpu", value: "4" }, memory];

interface CreateInit {
  runnerId: string;
  displayName: string;
  description: string;
  configuration: { key: string; value: string }[];
}

async function createClass(runnerId: string, init: Partial<CreateInit> = {}, clients = admin): Promise<string> {
  // Distinct creation times keep list orders meaningful.
  clock.advance(1000);
  const res = await clients.configuration.createEnvironmentClass({
    runnerId,
    displayName: "Standard",
    description: "4 cores, 8 GiB",
    configuration: ok,
    ...init,
  });
  return res.id;
}

async function getClass(id: string, clients = admin): Promise<EnvironmentClass | undefined> {
  return (await clients.configuration.getEnvironmentClass({ environmentClassId: id })).environmentClass;
}

/** Ids of every class the caller lists with this filter, across all pages. */
async function listIds(
  filter: NonNullable<Parameters<Clients["configuration"]["listEnvironmentClasses"]>[0]>["filter"],
  clients = admin,
): Promise<string[]> {
  const ids: string[] = [];
  let token = "";
  do {
    const page = await clients.configuration.listEnvironmentClasses({ filter, pagination: { token, pageSize: 100 } });
    ids.push(...page.environmentClasses.map((c) => c.id));
    token = page.pagination?.nextToken ?? "";
  } while (token);
  return ids.sort();
}

/** A runner created and exchanged but not signed up: it still has to call Signup itself. */
async function unsignedRunner(provider = RunnerProvider.AWS_EC2): Promise<TestRunner> {
  return createTestRunner(server.baseUrl, org.admin.token, { signUp: false, provider });
}

async function publicKey(): Promise<Uint8Array> {
  await sodium.ready;
  return sodium.crypto_box_keypair().publicKey;
}

/** A schema a runner could report: one field of each checked type. */
const reportedSchema = create(RunnerConfigurationSchemaSchema, {
  version: "runner-7",
  environmentClasses: [
    { id: "cores", name: "Cores", required: true, type: { case: "int", value: { default: 2, min: 1, max: 16 } } },
    { id: "gpu", name: "GPU", required: false, type: { case: "bool", value: { default: false } } },
    {
      id: "size",
      name: "Machine size",
      required: true,
      type: {
        case: "enum",
        value: {
          possibleValues: [
            { title: "small", subtitle: "2 vCPU" },
            { title: "large", subtitle: "8 vCPU" },
          ],
        },
      },
    },
    {
      id: "region",
      name: "Region",
      required: false,
      type: { case: "string", value: { pattern: "[a-z]+-[a-z]+[0-9]" } },
    },
    { id: "note", name: "Note", type: { case: "display", value: { default: "Pick wisely" } } },
  ],
  scm: [
    {
      scmId: "gitea",
      name: "Gitea",
      defaultHosts: ["gitea.com"],
      oauth: { callbackUrl: "https://x/cb" },
      pat: { description: "d", docsLink: "https://docs" },
    },
  ],
});

describe("CreateEnvironmentClass and GetEnvironmentClass", () => {
  it("creates a class, enabled by default, and returns its id", async () => {
    const id = await createClass(runner.runnerId, {
      displayName: "Large",
      description: "Eight cores for big builds",
      configuration: [...ok, { key: "disk", value: "100" }],
    });
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(await getClass(id)).toMatchObject({
      id,
      runnerId: runner.runnerId,
      displayName: "Large",
      description: "Eight cores for big builds",
      configuration: [
        { key: "cpu", value: "4" },
        { key: "memory", value: "8192" },
        { key: "disk", value: "100" },
      ],
      enabled: true,
    });
  });

  it("accepts names and descriptions at their length limits", async () => {
    const id = await createClass(runner.runnerId, { displayName: "x".repeat(127), description: "ü".repeat(200) });
    expect(await getClass(id)).toMatchObject({ displayName: "x".repeat(127), description: "ü".repeat(200) });
    await createClass(runner.runnerId, { displayName: "abc", description: "abc" });
  });

  it.each([
    ["a display name of 2 characters", { displayName: "ab" }, "display_name"],
    ["a display name of 128 characters", { displayName: "x".repeat(128) }, "display_name"],
    ["a description of 2 characters", { description: "ab" }, "description"],
    ["a description of 201 characters", { description: "x".repeat(201) }, "description"],
    ["a runner id that is not a UUID", { runnerId: "runner-1" }, "runner_id"],
  ])("rejects %s with invalid_argument naming the field", async (_what, init, field) => {
    const error = await callError(createClass(runner.runnerId, init));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(field);
  });

  it.each([
    ["an unknown key", [...ok, { key: "gpu", value: "1" }], "gpu", "unknown key"],
    ["a missing cpu", [{ key: "memory", value: "8192" }], "cpu", "required"],
    ["a missing memory", [{ key: "cpu", value: "2" }], "memory", "required"],
    ["a cpu that is not an integer", [{ key: "cpu", value: "1.5" }, memory], "cpu", "integer"],
    ["a cpu of 0", [{ key: "cpu", value: "0" }, memory], "cpu", "between"],
    ["a negative disk", [...ok, { key: "disk", value: "-3" }], "disk", "between"],
    ["a key given twice", [...ok, { key: "cpu", value: "8" }], "cpu", "more than once"],
  ])("rejects %s against the default schema", async (_what, configuration, key, words) => {
    const error = await callError(createClass(runner.runnerId, { configuration }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(`configuration["${key}"]`);
    expect(error.rawMessage).toContain(words);
  });

  it("lists every failing key at once, in the message and as Violations", async () => {
    const error = await callError(
      createClass(runner.runnerId, {
        configuration: [
          { key: "cpu", value: "four" },
          { key: "disk", value: "0" },
          { key: "gpu", value: "1" },
          { key: "disk", value: "10" },
        ],
      }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    for (const key of ["cpu", "disk", "gpu", "memory"]) expect(error.rawMessage).toContain(`configuration["${key}"]`);
    const [details] = error.findDetails(ViolationsSchema);
    expect(details?.violations.map((v) => [v.field, v.rule])).toEqual([
      ['configuration["cpu"]', "schema"],
      ['configuration["disk"]', "schema"],
      ['configuration["gpu"]', "schema"],
      ['configuration["disk"]', "schema"],
      ['configuration["memory"]', "schema"],
    ]);
    expect(details?.violations.map((v) => v.message)).toEqual([
      expect.stringContaining("integer"),
      expect.stringContaining("between"),
      expect.stringContaining("unknown key"),
      "given more than once",
      "required but missing",
    ]);
  });

  describe("against a schema the runner reported", () => {
    let reporting: TestRunner;
    const valid = [
      { key: "cores", value: "8" },
      { key: "gpu", value: "true" },
      { key: "size", value: "large" },
      { key: "region", value: "eu-west1" },
    ];
    const replace = (key: string, value: string) => valid.map((kv) => (kv.key === key ? { key, value } : kv));

    beforeAll(async () => {
      reporting = await createTestRunner(server.baseUrl, org.admin.token, { name: "reporting runner" });
      await reporting.clients.interaction.updateRunnerConfigurationSchema({
        runnerId: reporting.runnerId,
        configSchema: reportedSchema,
      });
    });

    it("accepts valid values of every type", async () => {
      const id = await createClass(reporting.runnerId, { configuration: valid });
      expect((await getClass(id))?.configuration).toEqual(valid.map((kv) => expect.objectContaining(kv)));
      await createClass(reporting.runnerId, {
        configuration: [
          { key: "cores", value: "1" },
          { key: "size", value: "small" },
          { key: "gpu", value: "false" },
        ],
      });
    });

    it.each([
      ["a bool other than true/false", replace("gpu", "yes"), "gpu"],
      ["a capitalized bool", replace("gpu", "True"), "gpu"],
      ["an enum value not among the possible values", replace("size", "medium"), "size"],
      ["an enum subtitle instead of its title", replace("size", "8 vCPU"), "size"],
      ["a string not matching the pattern", replace("region", "EU-WEST1"), "region"],
      ["a string matching only part of the pattern", replace("region", "eu-west1-b"), "region"],
      ["an int above max", replace("cores", "17"), "cores"],
      ["a key of the default schema", [...valid, { key: "cpu", value: "4" }], "cpu"],
      ["a value for a display field", [...valid, { key: "note", value: "hi" }], "note"],
    ])("rejects %s", async (_what, configuration, key) => {
      const error = await callError(createClass(reporting.runnerId, { configuration }));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.findDetails(ViolationsSchema)[0]?.violations.map((v) => v.field)).toEqual([
        `configuration["${key}"]`,
      ]);
    });

    it("rejects every bad key of the reported schema at once", async () => {
      const error = await callError(
        createClass(reporting.runnerId, {
          configuration: [
            { key: "cores", value: "x" },
            { key: "gpu", value: "1" },
            { key: "region", value: "nope" },
          ],
        }),
      );
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.findDetails(ViolationsSchema)[0]?.violations.map((v) => v.field)).toEqual([
        'configuration["cores"]',
        'configuration["gpu"]',
        'configuration["region"]',
        'configuration["size"]',
      ]);
    });
  });
});

describe("who may do what with environment classes", () => {
  let classId: string;
  beforeAll(async () => {
    classId = await createClass(runner.runnerId, { displayName: "Shared class" });
  });

  it("lets runner users read but not create or update", async () => {
    expect((await getClass(classId, member))?.displayName).toBe("Shared class");
    expect(await listIds({ runnerIds: [runner.runnerId] }, member)).toContain(classId);
    expect((await callError(createClass(runner.runnerId, {}, member))).code).toBe(Code.PermissionDenied);
    const update = member.configuration.updateEnvironmentClass({ environmentClassId: classId, enabled: false });
    expect((await callError(update)).code).toBe(Code.PermissionDenied);
    expect((await getClass(classId))?.enabled).toBe(true);
  });

  it("hides classes from another organization as not_found", async () => {
    expect((await callError(getClass(classId, otherAdmin))).code).toBe(Code.NotFound);
    const update = otherAdmin.configuration.updateEnvironmentClass({ environmentClassId: classId, enabled: false });
    expect((await callError(update)).code).toBe(Code.NotFound);
    expect((await callError(createClass(runner.runnerId, {}, otherAdmin))).code).toBe(Code.NotFound);
    expect(await listIds({}, otherAdmin)).not.toContain(classId);
    expect((await callError(getClass(unknownId, otherAdmin))).code).toBe(Code.NotFound);
  });

  it("hides the classes of someone else's user runner", async () => {
    const owner = member;
    const ownRunner = await createTestRunner(server.baseUrl, org.member.token, {
      provider: RunnerProvider.LINUX_HOST,
      name: "laptop runner",
    });
    const ownClass = await createClass(ownRunner.runnerId, {}, owner);
    expect((await getClass(ownClass, owner))?.runnerId).toBe(ownRunner.runnerId);
    // The org admin sees it too.
    expect((await getClass(ownClass, admin))?.runnerId).toBe(ownRunner.runnerId);

    const someoneElse: SeededMember = await seedMember(server.sql, org.organization.id, { name: "Someone Else" });
    const stranger = clientsFor(server.baseUrl, someoneElse.token);
    expect((await callError(getClass(ownClass, stranger))).code).toBe(Code.NotFound);
    expect(await listIds({}, stranger)).not.toContain(ownClass);
    expect(await listIds({ runnerIds: [ownRunner.runnerId] }, stranger)).toEqual([]);
    expect((await callError(createClass(ownRunner.runnerId, {}, stranger))).code).toBe(Code.NotFound);
    const update = stranger.configuration.updateEnvironmentClass({ environmentClassId: ownClass, enabled: false });
    expect((await callError(update)).code).toBe(Code.NotFound);
    // A class of an org runner stays visible to the same member.
    expect(await listIds({}, stranger)).toContain(classId);
  });

  it("does not let a runner create classes through the public API", async () => {
    const error = await callError(createClass(runner.runnerId, {}, runner.clients));
    expect(error.code).toBe(Code.PermissionDenied);
  });
});

describe("UpdateEnvironmentClass", () => {
  it("changes only the fields present", async () => {
    const id = await createClass(runner.runnerId, { displayName: "Before", description: "Old text" });
    await admin.configuration.updateEnvironmentClass({ environmentClassId: id, displayName: "After" });
    expect(await getClass(id)).toMatchObject({ displayName: "After", description: "Old text", enabled: true });
    await admin.configuration.updateEnvironmentClass({ environmentClassId: id, enabled: false });
    expect(await getClass(id)).toMatchObject({ displayName: "After", description: "Old text", enabled: false });
    await admin.configuration.updateEnvironmentClass({ environmentClassId: id, description: "New text" });
    expect(await getClass(id)).toMatchObject({
      displayName: "After",
      description: "New text",
      enabled: false,
      configuration: ok,
    });
    await admin.configuration.updateEnvironmentClass({ environmentClassId: id, enabled: true });
    expect((await getClass(id))?.enabled).toBe(true);
    // Nothing present: nothing changes.
    await admin.configuration.updateEnvironmentClass({ environmentClassId: id });
    expect(await getClass(id)).toMatchObject({ displayName: "After", description: "New text", enabled: true });
  });

  it.each([
    ["a display name of 2 characters", { displayName: "ab" }, "display_name"],
    ["a display name of 128 characters", { displayName: "x".repeat(128) }, "display_name"],
    ["an empty display name", { displayName: "" }, "display_name"],
    ["a description of 2 characters", { description: "ab" }, "description"],
    ["a description of 201 characters", { description: "x".repeat(201) }, "description"],
  ])("rejects %s", async (_what, change, field) => {
    const id = await createClass(runner.runnerId, { displayName: "Unchanged" });
    const error = await callError(admin.configuration.updateEnvironmentClass({ environmentClassId: id, ...change }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(field);
    expect((await getClass(id))?.displayName).toBe("Unchanged");
  });

  it("answers not_found for an unknown class", async () => {
    const error = await callError(
      admin.configuration.updateEnvironmentClass({ environmentClassId: unknownId, displayName: "Whatever" }),
    );
    expect(error.code).toBe(Code.NotFound);
    expect((await callError(getClass(unknownId))).code).toBe(Code.NotFound);
  });
});

describe("ListEnvironmentClasses", () => {
  let fx: {
    admin: Clients;
    member: Clients;
    aws: TestRunner;
    gcp: TestRunner;
    local: TestRunner;
    awsOn: string;
    awsOff: string;
    gcpOn: string;
    localOn: string;
  };

  beforeAll(async () => {
    // An org of its own, so the lists hold exactly these classes.
    const seeded = await seedOrganization(server.sql, "Lists GmbH");
    const a = clientsFor(server.baseUrl, seeded.admin.token);
    const aws = await createTestRunner(server.baseUrl, seeded.admin.token, { provider: RunnerProvider.AWS_EC2 });
    const gcp = await createTestRunner(server.baseUrl, seeded.admin.token, { provider: RunnerProvider.GCP });
    // The admin's own user runner: invisible to the member.
    const local = await createTestRunner(server.baseUrl, seeded.admin.token, {
      provider: RunnerProvider.LINUX_HOST,
    });
    const awsOn = await createClass(aws.runnerId, { displayName: "AWS on" }, a);
    const awsOff = await createClass(aws.runnerId, { displayName: "AWS off" }, a);
    await a.configuration.updateEnvironmentClass({ environmentClassId: awsOff, enabled: false });
    const gcpOn = await createClass(gcp.runnerId, { displayName: "GCP on" }, a);
    const localOn = await createClass(local.runnerId, { displayName: "Local on" }, a);
    fx = {
      admin: a,
      member: clientsFor(server.baseUrl, seeded.member.token),
      aws,
      gcp,
      local,
      awsOn,
      awsOff,
      gcpOn,
      localOn,
    };
  });

  const sorted = (...ids: string[]) => [...ids].sort();

  it("lists every class the caller can see without a filter", async () => {
    expect(await listIds({}, fx.admin)).toEqual(sorted(fx.awsOn, fx.awsOff, fx.gcpOn, fx.localOn));
    expect(await listIds(undefined, fx.admin)).toEqual(sorted(fx.awsOn, fx.awsOff, fx.gcpOn, fx.localOn));
    expect(await listIds({}, fx.member)).toEqual(sorted(fx.awsOn, fx.awsOff, fx.gcpOn));
  });

  it("filters by runner ids, enabled, kinds and providers, AND across filters", async () => {
    expect(await listIds({ runnerIds: [fx.aws.runnerId] }, fx.admin)).toEqual(sorted(fx.awsOn, fx.awsOff));
    expect(await listIds({ runnerIds: [fx.aws.runnerId, fx.local.runnerId] }, fx.admin)).toEqual(
      sorted(fx.awsOn, fx.awsOff, fx.localOn),
    );
    expect(await listIds({ runnerIds: [fx.aws.runnerId.toUpperCase()] }, fx.admin)).toEqual(
      sorted(fx.awsOn, fx.awsOff),
    );
    expect(await listIds({ runnerIds: [unknownId] }, fx.admin)).toEqual([]);
    expect(await listIds({ enabled: true }, fx.admin)).toEqual(sorted(fx.awsOn, fx.gcpOn, fx.localOn));
    expect(await listIds({ enabled: false }, fx.admin)).toEqual([fx.awsOff]);
    expect(await listIds({ runnerKinds: [RunnerKind.LOCAL] }, fx.admin)).toEqual([fx.localOn]);
    expect(await listIds({ runnerKinds: [RunnerKind.REMOTE] }, fx.admin)).toEqual(
      sorted(fx.awsOn, fx.awsOff, fx.gcpOn),
    );
    expect(await listIds({ runnerKinds: [RunnerKind.LOCAL_CONFIGURATION] }, fx.admin)).toEqual([]);
    expect(await listIds({ runnerProviders: [RunnerProvider.GCP] }, fx.admin)).toEqual([fx.gcpOn]);
    expect(await listIds({ runnerProviders: [RunnerProvider.GCP, RunnerProvider.LINUX_HOST] }, fx.admin)).toEqual(
      sorted(fx.gcpOn, fx.localOn),
    );
    expect(await listIds({ runnerIds: [fx.aws.runnerId], enabled: true }, fx.admin)).toEqual([fx.awsOn]);
    expect(
      await listIds({ runnerKinds: [RunnerKind.REMOTE], runnerProviders: [RunnerProvider.LINUX_HOST] }, fx.admin),
    ).toEqual([]);
    // The member's filters never reach past what it can see.
    expect(await listIds({ runnerKinds: [RunnerKind.LOCAL] }, fx.member)).toEqual([]);
  });

  it.each([
    ["an UNSPECIFIED kind", { runnerKinds: [RunnerKind.UNSPECIFIED] }, "filter.runner_kinds[0]"],
    ["an undefined kind number", { runnerKinds: [RunnerKind.REMOTE, 42 as RunnerKind] }, "filter.runner_kinds[1]"],
    ["an UNSPECIFIED provider", { runnerProviders: [RunnerProvider.UNSPECIFIED] }, "filter.runner_providers[0]"],
    ["an undefined provider number", { runnerProviders: [99 as RunnerProvider] }, "filter.runner_providers[0]"],
  ])("rejects %s with invalid_argument, never as no filter", async (_what, filter, field) => {
    const error = await callError(fx.admin.configuration.listEnvironmentClasses({ filter }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(field);
  });

  it("rejects an unknown enum name in JSON", async () => {
    const res = await fetch(`${server.baseUrl}/gitpod.v1.RunnerConfigurationService/ListEnvironmentClasses`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${org.admin.token}` },
      body: JSON.stringify({ filter: { runnerKinds: ["RUNNER_KIND_TYPO"] } }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("invalid_argument");
  });

  it("with can_create_environments lists only enabled classes of ACTIVE runners the caller can use", async () => {
    // Signed up, but not yet ACTIVE.
    expect(await listIds({ canCreateEnvironments: true }, fx.admin)).toEqual([]);
    await fx.aws.clients.interaction.markRunnerActive({ runnerId: fx.aws.runnerId });
    expect(await listIds({ canCreateEnvironments: true }, fx.admin)).toEqual([fx.awsOn]);
    await fx.local.clients.interaction.markRunnerActive({ runnerId: fx.local.runnerId });
    expect(await listIds({ canCreateEnvironments: true }, fx.admin)).toEqual(sorted(fx.awsOn, fx.localOn));
    // The member is runner user on the AWS runner, and cannot use the admin's user runner.
    expect(await listIds({ canCreateEnvironments: true }, fx.member)).toEqual([fx.awsOn]);
    // Enabled wins over a contradicting enabled filter; other filters still apply.
    expect(await listIds({ canCreateEnvironments: true, enabled: false }, fx.admin)).toEqual(
      sorted(fx.awsOn, fx.localOn),
    );
    expect(await listIds({ canCreateEnvironments: true, runnerKinds: [RunnerKind.LOCAL] }, fx.admin)).toEqual([
      fx.localOn,
    ]);
    // false means "no such restriction".
    expect(await listIds({ canCreateEnvironments: false }, fx.admin)).toHaveLength(4);
  });

  it("stops listing classes of a runner that is being deleted", async () => {
    const seeded = await seedOrganization(server.sql, "Deleting Co");
    const a = clientsFor(server.baseUrl, seeded.admin.token);
    const r = await createTestRunner(server.baseUrl, seeded.admin.token);
    const id = await createClass(r.runnerId, {}, a);
    await r.clients.interaction.markRunnerActive({ runnerId: r.runnerId });
    expect(await listIds({ canCreateEnvironments: true }, a)).toEqual([id]);
    await a.runners.deleteRunner({ runnerId: r.runnerId });
    expect(await listIds({ canCreateEnvironments: true }, a)).toEqual([]);
  });

  describe("pagination", () => {
    let pager: TestRunner;
    let ids: string[];

    beforeAll(async () => {
      pager = await createTestRunner(server.baseUrl, org.admin.token, { name: "pager runner" });
      ids = [];
      for (let i = 0; i < 7; i++) ids.push(await createClass(pager.runnerId, { displayName: `Class ${i}` }));
    });

    it("pages in creation order with a next token, empty on the last page", async () => {
      const filter = { runnerIds: [pager.runnerId] };
      const seen: string[] = [];
      const sizes: number[] = [];
      let token = "";
      do {
        const page = await admin.configuration.listEnvironmentClasses({ filter, pagination: { pageSize: 3, token } });
        sizes.push(page.environmentClasses.length);
        seen.push(...page.environmentClasses.map((c) => c.id));
        token = page.pagination?.nextToken ?? "";
      } while (token);
      expect(sizes).toEqual([3, 3, 1]);
      expect(seen).toEqual(ids);
    });

    it("uses 25 as the default page size", async () => {
      while (ids.length < 26) ids.push(await createClass(pager.runnerId, { displayName: `Class ${ids.length}` }));
      const filter = { runnerIds: [pager.runnerId] };
      const page = await admin.configuration.listEnvironmentClasses({ filter });
      expect(page.environmentClasses.map((c) => c.id)).toEqual(ids.slice(0, 25));
      const rest = await admin.configuration.listEnvironmentClasses({
        filter,
        pagination: { token: page.pagination?.nextToken ?? "" },
      });
      expect(rest.environmentClasses.map((c) => c.id)).toEqual(ids.slice(25));
      expect(rest.pagination?.nextToken).toBe("");
    });

    it("neither repeats nor skips items when a class is added between pages", async () => {
      const filter = { runnerIds: [pager.runnerId] };
      const first = await admin.configuration.listEnvironmentClasses({ filter, pagination: { pageSize: 4 } });
      const added = await createClass(pager.runnerId, { displayName: "Late class" });
      const second = await admin.configuration.listEnvironmentClasses({
        filter,
        pagination: { pageSize: 100, token: first.pagination?.nextToken ?? "" },
      });
      expect([...first.environmentClasses, ...second.environmentClasses].map((c) => c.id)).toEqual([...ids, added]);
      ids.push(added);
    });

    it("binds the token to its filter", async () => {
      const filter = { runnerIds: [pager.runnerId] };
      const first = await admin.configuration.listEnvironmentClasses({ filter, pagination: { pageSize: 2 } });
      const token = first.pagination?.nextToken ?? "";
      expect(token).not.toBe("");
      for (const otherFilter of [{ runnerIds: [pager.runnerId], enabled: true }, {}, { runnerIds: [unknownId] }]) {
        const error = await callError(
          admin.configuration.listEnvironmentClasses({ filter: otherFilter, pagination: { pageSize: 2, token } }),
        );
        expect(error.code).toBe(Code.InvalidArgument);
      }
      const middle = Math.floor(token.length / 2);
      const tampered = `${token.slice(0, middle)}${token[middle] === "A" ? "B" : "A"}${token.slice(middle + 1)}`;
      const error = await callError(
        admin.configuration.listEnvironmentClasses({ filter, pagination: { pageSize: 2, token: tampered } }),
      );
      expect(error.code).toBe(Code.InvalidArgument);
    });

    it("rejects a page size over 100", async () => {
      const error = await callError(admin.configuration.listEnvironmentClasses({ pagination: { pageSize: 101 } }));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toContain("page_size");
      await admin.configuration.listEnvironmentClasses({ pagination: { pageSize: 100 } });
    });
  });
});

describe("Signup with environment classes", () => {
  const signupClass = (
    id: string,
    init: { id?: string; displayName?: string; description?: string; configuration?: typeof ok } = {},
  ) => ({
    id,
    displayName: "Runner class",
    description: "Brought by the runner",
    configuration: ok,
    enabled: true,
    ...init,
  });

  it("stores the classes the runner brings, and updates them by id when it signs up again", async () => {
    const fresh = await unsignedRunner();
    const first = randomUUID();
    const second = randomUUID();
    const key = await publicKey();
    const res = await fresh.clients.interaction.signup({
      publicKey: key,
      environmentClasses: [signupClass(first), signupClass(second, { displayName: "Second class" })],
    });
    expect(res.runnerId).toBe(fresh.runnerId);
    expect(await getClass(first)).toMatchObject({
      id: first,
      runnerId: fresh.runnerId,
      displayName: "Runner class",
      description: "Brought by the runner",
      configuration: ok,
      enabled: true,
    });
    expect(await listIds({ runnerIds: [fresh.runnerId] })).toEqual([first, second].sort());

    const changed = [...ok, { key: "disk", value: "20" }];
    await fresh.clients.interaction.signup({
      publicKey: key,
      environmentClasses: [
        signupClass(first.toUpperCase(), {
          displayName: "Renamed class",
          description: "Now bigger",
          configuration: changed,
        }),
      ],
    });
    expect(await getClass(first)).toMatchObject({
      runnerId: fresh.runnerId,
      displayName: "Renamed class",
      description: "Now bigger",
      configuration: changed,
    });
    // Upsert, not replace: the class it did not mention is still there.
    expect(await listIds({ runnerIds: [fresh.runnerId] })).toEqual([first, second].sort());
  });

  it("updates a class an admin created on the same runner", async () => {
    const fresh = await unsignedRunner();
    await fresh.clients.interaction.signup({ publicKey: await publicKey() });
    const id = await createClass(fresh.runnerId, { displayName: "Admin made" });
    await fresh.clients.interaction.signup({
      publicKey: await publicKey(),
      environmentClasses: [signupClass(id, { displayName: "Runner made" })],
    });
    expect((await getClass(id))?.displayName).toBe("Runner made");
  });

  it("checks the classes against the runner's schema and stores nothing, not even the key, on failure", async () => {
    const fresh = await unsignedRunner();
    const good = randomUUID();
    const bad = randomUUID();
    const error = await callError(
      fresh.clients.interaction.signup({
        publicKey: await publicKey(),
        environmentClasses: [
          signupClass(good),
          signupClass(bad, {
            configuration: [
              { key: "cpu", value: "lots" },
              { key: "gpu", value: "1" },
            ],
          }),
        ],
      }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.findDetails(ViolationsSchema)[0]?.violations.map((v) => v.field)).toEqual([
      'environment_classes[1].configuration["cpu"]',
      'environment_classes[1].configuration["gpu"]',
      'environment_classes[1].configuration["memory"]',
    ]);
    expect((await callError(getClass(good))).code).toBe(Code.NotFound);
    expect((await callError(getClass(bad))).code).toBe(Code.NotFound);
    const status = (await admin.runners.getRunner({ runnerId: fresh.runnerId })).runner?.status;
    expect(status?.publicKey ?? new Uint8Array()).toHaveLength(0);
  });

  it.each([
    ["an id that is not a UUID", { id: "class-1" }, "environment_classes[0].id"],
    ["an empty id", { id: "" }, "environment_classes[0].id"],
    ["a display name of 2 characters", { displayName: "ab" }, "environment_classes[0].display_name"],
    ["a description of 201 characters", { description: "x".repeat(201) }, "environment_classes[0].description"],
  ])("rejects %s with invalid_argument", async (_what, init, field) => {
    const fresh = await unsignedRunner();
    const error = await callError(
      fresh.clients.interaction.signup({
        publicKey: await publicKey(),
        environmentClasses: [signupClass(randomUUID(), init)],
      }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(field);
    expect(await listIds({ runnerIds: [fresh.runnerId] })).toEqual([]);
  });

  it("refuses the id of another runner's class with already_exists and leaves that class alone", async () => {
    const theirs = await createClass(runner.runnerId, { displayName: "Not yours" });
    const fresh = await unsignedRunner();
    const error = await callError(
      fresh.clients.interaction.signup({
        publicKey: await publicKey(),
        environmentClasses: [signupClass(randomUUID()), signupClass(theirs, { displayName: "Taken over" })],
      }),
    );
    expect(error.code).toBe(Code.AlreadyExists);
    expect(await getClass(theirs)).toMatchObject({ runnerId: runner.runnerId, displayName: "Not yours" });
    expect(await listIds({ runnerIds: [fresh.runnerId] })).toEqual([]);
    const status = (await admin.runners.getRunner({ runnerId: fresh.runnerId })).runner?.status;
    expect(status?.publicKey ?? new Uint8Array()).toHaveLength(0);
  });

  it("refuses the id of a class of a runner in another organization the same way", async () => {
    const elsewhere = await createTestRunner(server.baseUrl, other.admin.token);
    const theirs = await createClass(elsewhere.runnerId, { displayName: "Foreign" }, otherAdmin);
    const fresh = await unsignedRunner();
    const error = await callError(
      fresh.clients.interaction.signup({ publicKey: await publicKey(), environmentClasses: [signupClass(theirs)] }),
    );
    expect(error.code).toBe(Code.AlreadyExists);
    expect((await getClass(theirs, otherAdmin))?.displayName).toBe("Foreign");
  });

  it("checks against the schema the runner reported", async () => {
    const fresh = await unsignedRunner();
    await fresh.clients.interaction.signup({ publicKey: await publicKey() });
    await fresh.clients.interaction.updateRunnerConfigurationSchema({
      runnerId: fresh.runnerId,
      configSchema: reportedSchema,
    });
    const id = randomUUID();
    const error = await callError(
      fresh.clients.interaction.signup({ publicKey: await publicKey(), environmentClasses: [signupClass(id)] }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    await fresh.clients.interaction.signup({
      publicKey: await publicKey(),
      environmentClasses: [
        signupClass(id, {
          configuration: [
            { key: "cores", value: "2" },
            { key: "size", value: "small" },
          ],
        }),
      ],
    });
    expect((await getClass(id))?.runnerId).toBe(fresh.runnerId);
  });
});

describe("GetRunnerConfigurationSchema and UpdateRunnerConfigurationSchema", () => {
  it.each([
    ["a remote runner", RunnerProvider.AWS_EC2],
    ["a local runner", RunnerProvider.LINUX_HOST],
  ])("returns the default schema for %s until it reports one", async (_what, provider) => {
    const r = await createTestRunner(server.baseUrl, org.admin.token, { provider });
    const { schema } = await admin.configuration.getRunnerConfigurationSchema({ runnerId: r.runnerId });
    expect(schema).toEqual(defaultSchema(provider, testServerConfig.publicUrl));
    expect(schema?.scm.map((s) => [s.scmId, s.defaultHosts])).toEqual([
      ["github", ["github.com"]],
      ["gitlab", ["gitlab.com"]],
      ["bitbucket", ["bitbucket.org"]],
      ["azuredevops", ["dev.azure.com"]],
    ]);
    for (const scm of schema?.scm ?? []) {
      expect(scm.oauth?.callbackUrl.startsWith(`${testServerConfig.publicUrl}/`)).toBe(true);
      expect(scm.pat?.description).not.toBe("");
      expect(scm.pat?.docsLink).toMatch(/^https:\/\//);
    }
    expect(schema?.environmentClasses.map((f) => [f.id, f.required, f.type.case])).toEqual([
      ["cpu", true, "int"],
      ["memory", true, "int"],
      ["disk", false, "int"],
    ]);
  });

  it("gives a runner that never signed up the default schema too", async () => {
    const r = await unsignedRunner(RunnerProvider.GCP);
    const { schema } = await admin.configuration.getRunnerConfigurationSchema({ runnerId: r.runnerId });
    expect(schema).toEqual(defaultSchema(RunnerProvider.GCP, testServerConfig.publicUrl));
  });

  it("returns the schema the runner reported last, to runner users too", async () => {
    const r = await createTestRunner(server.baseUrl, org.admin.token);
    await r.clients.interaction.updateRunnerConfigurationSchema({ runnerId: r.runnerId, configSchema: reportedSchema });
    expect((await admin.configuration.getRunnerConfigurationSchema({ runnerId: r.runnerId })).schema).toEqual(
      reportedSchema,
    );
    expect((await member.configuration.getRunnerConfigurationSchema({ runnerId: r.runnerId })).schema).toEqual(
      reportedSchema,
    );
    // The runner reads its own.
    expect((await r.clients.configuration.getRunnerConfigurationSchema({ runnerId: r.runnerId })).schema).toEqual(
      reportedSchema,
    );
    const next = create(RunnerConfigurationSchemaSchema, { version: "runner-8" });
    await r.clients.interaction.updateRunnerConfigurationSchema({ runnerId: r.runnerId, configSchema: next });
    expect((await admin.configuration.getRunnerConfigurationSchema({ runnerId: r.runnerId })).schema).toEqual(next);
  });

  it("lets only the runner itself report its schema", async () => {
    const r = await createTestRunner(server.baseUrl, org.admin.token);
    const another = await createTestRunner(server.baseUrl, org.admin.token);
    const report = (clients: Clients) =>
      clients.interaction.updateRunnerConfigurationSchema({ runnerId: r.runnerId, configSchema: reportedSchema });
    expect((await callError(report(another.clients))).code).toBe(Code.NotFound);
    expect((await callError(report(admin))).code).toBe(Code.PermissionDenied);
    expect((await callError(report(member))).code).toBe(Code.PermissionDenied);
    expect((await callError(report(otherAdmin))).code).toBe(Code.PermissionDenied);
    expect((await admin.configuration.getRunnerConfigurationSchema({ runnerId: r.runnerId })).schema?.version).toBe(
      "runnerplane-default-1",
    );
  });

  it("hides the schema of invisible runners as not_found", async () => {
    const r = await createTestRunner(server.baseUrl, org.admin.token);
    const another = await createTestRunner(server.baseUrl, org.admin.token);
    for (const clients of [otherAdmin, another.clients]) {
      const error = await callError(clients.configuration.getRunnerConfigurationSchema({ runnerId: r.runnerId }));
      expect(error.code).toBe(Code.NotFound);
    }
    const error = await callError(admin.configuration.getRunnerConfigurationSchema({ runnerId: unknownId }));
    expect(error.code).toBe(Code.NotFound);
  });
});

describe("deleting a runner", () => {
  it("removes its environment classes and its reported schema", async () => {
    const r = await createTestRunner(server.baseUrl, org.admin.token);
    await r.clients.interaction.updateRunnerConfigurationSchema({ runnerId: r.runnerId, configSchema: reportedSchema });
    const id = await createClass(r.runnerId, {
      configuration: [
        { key: "cores", value: "2" },
        { key: "size", value: "small" },
      ],
    });
    await admin.runners.deleteRunner({ runnerId: r.runnerId, force: true });
    expect((await callError(getClass(id))).code).toBe(Code.NotFound);
    expect(await listIds({ runnerIds: [r.runnerId] })).toEqual([]);
    expect(await server.sql`select 1 from environment_classes where runner_id = ${r.runnerId}`).toHaveLength(0);
    expect(await server.sql`select 1 from runner_configuration_schemas where runner_id = ${r.runnerId}`).toHaveLength(
      0,
    );
  });
});
