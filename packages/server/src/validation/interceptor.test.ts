/**
 * The validation interceptor in front of stub methods (an in-memory transport): what it lets
 * through to the method and what it refuses, with the error a client decodes.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import {
  RunnerConfigurationService,
  ValidateRunnerConfigurationRequestSchema,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { ViolationsSchema } from "@runnerplane/api/runnerplane/validate/v1/validate_pb";
import { describe, expect, it } from "vitest";
import { assertValidFields, createValidationInterceptor } from "./interceptor.js";

const runnerId = "6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b";

/** Clients of stub methods behind the interceptor; `reached` lists the methods that ran. */
function stubs() {
  const reached: string[] = [];
  const transport = createRouterTransport(
    ({ service }) => {
      service(RunnerConfigurationService, {
        validateRunnerConfiguration() {
          reached.push("validateRunnerConfiguration");
          return {};
        },
      });
      service(RunnerService, {
        searchRepositories() {
          reached.push("searchRepositories");
          return {};
        },
      });
    },
    { router: { interceptors: [createValidationInterceptor()] } },
  );
  return {
    reached,
    configuration: createClient(RunnerConfigurationService, transport),
    runners: createClient(RunnerService, transport),
  };
}

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, ConnectError.from);

describe("createValidationInterceptor", () => {
  it("lets a ValidateRunnerConfigurationRequest that breaks field rules through to the method", async () => {
    const { reached, configuration } = stubs();
    await configuration.validateRunnerConfiguration({
      runnerId: "not-a-uuid",
      config: { case: "environmentClass", value: { displayName: "ab", description: "x".repeat(201) } },
    });
    expect(reached).toEqual(["validateRunnerConfiguration"]);
  });

  it("lets SearchRepositories without limit, or with 0, through", async () => {
    const { reached, runners } = stubs();
    await runners.searchRepositories({ runnerId });
    await runners.searchRepositories({ runnerId, limit: 0, pagination: { pageSize: 10 } });
    expect(reached).toEqual(["searchRepositories", "searchRepositories"]);
  });

  it("refuses a SearchRepositories limit out of range before the method, with the Violations detail", async () => {
    const { reached, runners } = stubs();
    const error = await failure(runners.searchRepositories({ runnerId, limit: 101 }));
    expect(error?.code).toBe(Code.InvalidArgument);
    expect(error?.rawMessage).toBe("limit: value must be less than or equal to 100");
    expect(error?.findDetails(ViolationsSchema)[0]?.violations).toEqual([
      expect.objectContaining({ field: "limit", rule: "int32.lte" }),
    ]);
    expect(reached).toEqual([]);
  });
});

describe("assertValidFields", () => {
  const request = (id: string) =>
    create(ValidateRunnerConfigurationRequestSchema, {
      runnerId: id,
      config: { case: "environmentClass", value: { displayName: "ab" } },
    });

  it("enforces the declared rule of the named field in a message whose validation is disabled", () => {
    let error: ConnectError | undefined;
    try {
      assertValidFields(ValidateRunnerConfigurationRequestSchema, request("not-a-uuid"), ["runner_id"]);
    } catch (e) {
      error = ConnectError.from(e);
    }
    expect(error?.code).toBe(Code.InvalidArgument);
    expect(error?.rawMessage).toBe("runner_id: value must be a valid UUID");
    expect(error?.findDetails(ViolationsSchema)[0]?.violations).toEqual([
      expect.objectContaining({ field: "runner_id", rule: "string.uuid" }),
    ]);
  });

  it("ignores the other fields' rules", () => {
    expect(() =>
      assertValidFields(ValidateRunnerConfigurationRequestSchema, request(runnerId), ["runner_id"]),
    ).not.toThrow();
  });
});
