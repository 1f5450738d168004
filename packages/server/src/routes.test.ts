/**
 * The services of the second wave (wire-contract-admin.md) are served before their methods
 * are built: over the real server, with clients generated from the committed descriptors,
 * each RPC answers `unimplemented` naming itself (docs/decisions.md, "Methods not built
 * yet"), on Connect and gRPC alike, after authentication and validation have had their say.
 */
import { Code, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { OrganizationService } from "@runnerplane/api/gitpod/v1/organization_pb";
import { UserService } from "@runnerplane/api/gitpod/v1/user_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { services } from "./routes.js";
import { bearer, callError, seedOrganization, startTestServer, type TestServer } from "./testing/index.js";

const validId = "6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b";

let server: TestServer;
let token: string;
beforeAll(async () => {
  server = await startTestServer();
  token = (await seedOrganization(server.sql)).admin.token;
});
afterAll(() => server.close());

const transports: Record<string, (baseUrl: string, token: string) => Transport> = {
  "Connect JSON over HTTP/1.1": (baseUrl, t) =>
    createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer(t)] }),
  "Connect binary over h2c": (baseUrl, t) =>
    createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true, interceptors: [bearer(t)] }),
  "gRPC over h2c": (baseUrl, t) => createGrpcTransport({ baseUrl, interceptors: [bearer(t)] }),
  "gRPC under /api over h2c": (baseUrl, t) =>
    createGrpcTransport({ baseUrl: `${baseUrl}/api`, interceptors: [bearer(t)] }),
  "gRPC-Web binary over HTTP/1.1": (baseUrl, t) =>
    createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer(t)] }),
};

describe("services", () => {
  it("lists the second wave's services next to the first", () => {
    expect(services.map((s) => s.typeName)).toEqual([
      "gitpod.v1.RunnerService",
      "gitpod.v1.RunnerConfigurationService",
      "gitpod.v1.IdentityService",
      "gitpod.v1.RunnerInteractionService",
      "gitpod.v1.UserService",
      "gitpod.v1.OrganizationService",
      "gitpod.v1.GroupService",
      "gitpod.v1.ServiceAccountService",
      "gitpod.v1.EventService",
    ]);
  });
});

describe.each(Object.entries(transports))("a method not built yet, over %s", (_name, makeTransport) => {
  const transport = () => makeTransport(server.baseUrl, token);

  it.each([
    [
      "OrganizationService.JoinOrganization",
      () =>
        createClient(OrganizationService, transport()).joinOrganization({
          joinId: { case: "inviteId", value: validId },
        }),
    ],
  ] as const)("%s answers unimplemented, naming the method", async (method, call) => {
    const error = await callError(call());
    expect(error.code).toBe(Code.Unimplemented);
    expect(error.rawMessage).toBe(`gitpod.v1.${method} is not implemented`);
  });

  it("validates the request first: a malformed user_id is invalid_argument", async () => {
    const error = await callError(createClient(UserService, transport()).getUser({ userId: "nope" }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("user_id: value must be a valid UUID");
  });

  it("authenticates first: an unknown token is unauthenticated", async () => {
    const anonymous = makeTransport(server.baseUrl, "not-a-token");
    const error = await callError(createClient(UserService, anonymous).getAuthenticatedUser({}));
    expect(error.code).toBe(Code.Unauthenticated);
  });
});
