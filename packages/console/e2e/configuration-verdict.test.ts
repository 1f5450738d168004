/**
 * The console and the server judge an environment class's configuration alike: the same form
 * values go through the console's check (what the form does before sending) and through the real
 * server's ValidateRunnerConfiguration (Postgres, a signed-up runner that reported its schema),
 * and both must name the same fields with the same messages. No runner is connected, so the
 * server's answer is its own check alone.
 */
import { create } from "@bufbuild/protobuf";
import { RunnerConfigurationSchemaSchema } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import {
  type Clients,
  clientsFor,
  createTestRunner,
  seedOrganization,
  startTestServer,
  type TestRunner,
  type TestServer,
} from "@runnerplane/server/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkAll, type FieldValues, toFieldValues } from "../src/modules/schema-form/schema-checks";

let server: TestServer;
let admin: Clients;
let runner: TestRunner;

beforeAll(async () => {
  server = await startTestServer();
  const org = await seedOrganization(server.sql, "Verdicts Inc");
  admin = clientsFor(server.baseUrl, org.admin.token);
  runner = await createTestRunner(server.baseUrl, org.admin.token, { name: "verdict runner" });
  await runner.clients.interaction.updateRunnerConfigurationSchema({
    runnerId: runner.runnerId,
    configSchema: create(RunnerConfigurationSchemaSchema, {
      environmentClasses: [
        { id: "cpu", name: "CPU cores", required: true, type: { case: "int", value: { min: 1, max: 64 } } },
        { id: "disk", name: "Disk", type: { case: "int", value: { min: 10, max: 0 } } },
        { id: "count", name: "Count", type: { case: "int", value: {} } },
        { id: "region", name: "Region", type: { case: "string", value: { pattern: "[a-z]+-[0-9]+" } } },
        { id: "broken", name: "Broken", type: { case: "string", value: { pattern: "(unclosed" } } },
        { id: "spot", name: "Spot", type: { case: "bool", value: {} } },
        {
          id: "size",
          name: "Size",
          required: true,
          type: {
            case: "enum",
            value: { possibleValues: [{ title: "small" }, { title: "large" }], values: ["legacy"] },
          },
        },
        { id: "note", name: "Note", type: { case: "display", value: { default: "read me" } } },
      ],
    }),
  });
});
afterAll(() => server?.close());

/** [what the form holds, its values, whether it is valid] — the last keeps the table honest. */
const cases: [string, FieldValues, boolean][] = [
  ["a valid form", { cpu: "4", size: "small", spot: "false" }, true],
  ["a missing required integer and enum", { cpu: "", size: "" }, false],
  ["an integer out of range and one that is not an integer", { cpu: "65", size: "large", count: "1.5" }, false],
  ["an integer beyond 32 bits", { cpu: "4", size: "small", count: "2147483648" }, false],
  ["a lower bound with no upper one", { cpu: "4", size: "small", disk: "9" }, false],
  ["a pattern matched only in part", { cpu: "4", size: "small", region: "eu-1x" }, false],
  ["a pattern matched whole, after trimming", { cpu: "4", size: "small", region: " eu-1 " }, true],
  ["a pattern the runner got wrong", { cpu: "4", size: "small", broken: "x" }, false],
  ["a deprecated enum value", { cpu: "4", size: "legacy" }, true],
  ["an enum value the schema does not list", { cpu: "4", size: "Small" }, false],
  ["a display field's text, which is never sent", { cpu: "4", size: "small", note: "read me" }, true],
];

describe("the console's configuration check", () => {
  it.each(cases)("gives the server's verdict for %s", async (_name, values, valid) => {
    const { schema } = await admin.configuration.getRunnerConfigurationSchema({ runnerId: runner.runnerId });
    const fields = schema?.environmentClasses ?? [];
    expect(fields.length).toBe(8);
    const answer = await admin.configuration.validateRunnerConfiguration({
      runnerId: runner.runnerId,
      config: {
        case: "environmentClass",
        value: { displayName: "Standard", description: "Four cores", configuration: toFieldValues(fields, values) },
      },
    });
    if (answer.result.case !== "environmentClass") throw new Error(`unexpected result ${answer.result.case}`);
    const serverErrors: FieldValues = {};
    for (const e of answer.result.value.configurationErrors) serverErrors[e.key] ??= e.error;
    expect(checkAll(fields, values)).toEqual(serverErrors);
    expect(answer.result.value.valid).toBe(valid);
  });
});
