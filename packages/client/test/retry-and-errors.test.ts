/**
 * The retry policy and error decoding, against services in memory (createRouterTransport)
 * that fail on purpose — what a real server does only when something is broken.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import {
  fieldViolations,
  parseContextPreconditionDetails,
  retryInterceptor,
  ViolationsSchema,
} from "@runnerplane/client";
import {
  ParseContextURLPreconditionFailureDetailsSchema,
  RunnerService,
} from "@runnerplane/client/gitpod/v1/runner_pb";
import { describe, expect, it } from "vitest";

function flakyService(failures: number, code = Code.Unavailable) {
  const calls = { getRunner: 0, createRunner: 0 };
  const transport = createRouterTransport(
    ({ service }) =>
      service(RunnerService, {
        getRunner() {
          if (++calls.getRunner <= failures) throw new ConnectError("try later", code);
          return {};
        },
        createRunner() {
          if (++calls.createRunner <= failures) throw new ConnectError("try later", code);
          return {};
        },
      }),
    { transport: { interceptors: [retryInterceptor({ maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5 })] } },
  );
  return { client: createClient(RunnerService, transport), calls };
}

describe("retryInterceptor", () => {
  it("retries a read-only method on unavailable until it succeeds", async () => {
    const { client, calls } = flakyService(2);
    await client.getRunner({ runnerId: "x" });
    expect(calls.getRunner).toBe(3);
  });

  it("gives up after the attempts allowed, with the last error", async () => {
    const { client, calls } = flakyService(5);
    const error = await client.getRunner({ runnerId: "x" }).catch((e) => ConnectError.from(e));
    expect(error.code).toBe(Code.Unavailable);
    expect(calls.getRunner).toBe(3);
  });

  it("never retries a mutation", async () => {
    const { client, calls } = flakyService(1);
    const error = await client.createRunner({ name: "once" }).catch((e) => ConnectError.from(e));
    expect(error.code).toBe(Code.Unavailable);
    expect(calls.createRunner).toBe(1);
  });

  it("does not retry errors retrying cannot fix", async () => {
    const { client, calls } = flakyService(1, Code.NotFound);
    await client.getRunner({ runnerId: "x" }).catch(() => {});
    expect(calls.getRunner).toBe(1);
  });

  it("backs off exponentially with jitter, within the cap", async () => {
    const waits: number[] = [];
    const interceptor = retryInterceptor(
      { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 250 },
      { random: () => 0.5, sleep: async (ms) => void waits.push(ms) },
    );
    const transport = createRouterTransport(
      ({ service }) =>
        service(RunnerService, {
          getRunner() {
            throw new ConnectError("down", Code.Unavailable);
          },
        }),
      { transport: { interceptors: [interceptor] } },
    );
    await createClient(RunnerService, transport)
      .getRunner({ runnerId: "x" })
      .catch(() => {});
    // Full jitter (here half) of 100, 200, then the cap of 250.
    expect(waits).toEqual([50, 100, 125]);
  });
});

describe("parseContextPreconditionDetails", () => {
  it("decodes the authentication details of a ParseContextURL failed_precondition", async () => {
    const transport = createRouterTransport(({ service }) =>
      service(RunnerService, {
        parseContextURL() {
          throw new ConnectError("authenticate with GitHub first", Code.FailedPrecondition, undefined, [
            {
              desc: ParseContextURLPreconditionFailureDetailsSchema,
              value: create(ParseContextURLPreconditionFailureDetailsSchema, {
                authenticationRequiredUrl: "https://runnerplane.example/auth/oauth2/github/start",
                scmId: "github",
              }),
            },
          ]);
        },
      }),
    );
    const error = await createClient(RunnerService, transport)
      .parseContextURL({ contextUrl: "https://github.com/acme/private" })
      .catch((e) => e);
    expect(parseContextPreconditionDetails(error)).toMatchObject({
      authenticationRequiredUrl: "https://runnerplane.example/auth/oauth2/github/start",
      scmId: "github",
    });
    expect(parseContextPreconditionDetails(new ConnectError("nope", Code.NotFound))).toBeUndefined();
  });
});

describe("fieldViolations", () => {
  const violations = [
    { field: "name", rule: "string.min_len", message: "value length must be at least 3 characters" },
    { field: "filter.creator_ids[0]", rule: "string.uuid", message: "value must be a valid UUID" },
  ];

  it("lists the broken rules of an invalid_argument's Violations detail as plain objects, in order", async () => {
    const transport = createRouterTransport(({ service }) =>
      service(RunnerService, {
        createRunner() {
          throw new ConnectError("name: …; filter.creator_ids[0]: …", Code.InvalidArgument, undefined, [
            { desc: ViolationsSchema, value: create(ViolationsSchema, { violations }) },
          ]);
        },
      }),
    );
    // Over the wire (the router transport encodes the error as a server would).
    const error = await createClient(RunnerService, transport)
      .createRunner({ name: "ab" })
      .catch((e) => e);
    expect(fieldViolations(error)).toStrictEqual(violations);
  });

  it("is empty for errors without the detail, and for values that are not Connect errors", () => {
    expect(fieldViolations(new ConnectError("no such runner", Code.NotFound))).toEqual([]);
    expect(fieldViolations(new ConnectError("bad", Code.InvalidArgument))).toEqual([]);
    expect(fieldViolations(new Error("boom"))).toEqual([]);
    expect(fieldViolations(undefined)).toEqual([]);
  });
});
