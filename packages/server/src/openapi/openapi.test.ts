/**
 * /openapi.json against the real server: the committed document is what the descriptors
 * generate now, it validates as OpenAPI 3.1, it lists every unary method served (each path
 * reaches a method), and requests and responses match its schemas — a CreateRunner built
 * from the schema alone succeeds, and the answer validates against the response schema.
 */
import { readFile } from "node:fs/promises";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servedServices } from "../routes.js";
import { type SeededOrganization, seedOrganization, startTestServer, type TestServer } from "../testing/index.js";
import { openApiFile } from "./openapi-route.js";
import { protoComments } from "./proto-comments.js";
import { openApiText, servedOpenApiDocument } from "./served-document.js";

type Json = Record<string, unknown>;
interface Document {
  openapi: string;
  paths: Record<string, { post: { operationId: string; security?: unknown[]; requestBody: Json; responses: Json } }>;
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
}

let server: TestServer;
let org: SeededOrganization;
let doc: Document;

beforeAll(async () => {
  server = await startTestServer();
  org = await seedOrganization(server.sql);
  const res = await fetch(`${server.baseUrl}/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/json");
  doc = (await res.json()) as Document;
});

afterAll(async () => {
  await server?.close();
});

const unaryPaths = servedServices.flatMap((s) =>
  s.methods.filter((m) => m.methodKind === "unary").map((m) => `/${s.typeName}/${m.name}`),
);

/** The schema a path's request or response body has, `$ref`s resolved by Ajv against the document. */
function operation(path: string) {
  const op = doc.paths[path]?.post;
  if (!op) throw new Error(`${path} is not in the document`);
  return op;
}

function validatorFor(path: string, which: "request" | "response") {
  const op = operation(path);
  const content = (which === "request" ? op.requestBody.content : (op.responses["200"] as Json).content) as Json;
  const schema = (content["application/json"] as { schema: Json }).schema;
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile({ ...schema, components: doc.components });
}

describe("the OpenAPI document", () => {
  it("is current: regenerating it from the descriptors changes nothing (run `pnpm generate` if this fails)", async () => {
    expect(await readFile(openApiFile, "utf8")).toBe(openApiText(servedOpenApiDocument(protoComments())));
  });

  it("is served without a token to GET and HEAD, and refuses other HTTP methods with 405", async () => {
    const head = await fetch(`${server.baseUrl}/openapi.json`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get("content-length"))).toBe(Buffer.byteLength(openApiText(doc as unknown as Json)));
    const post = await fetch(`${server.baseUrl}/openapi.json`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    expect(((await post.json()) as { code: string }).code).toBe("unimplemented");
  });

  it("carries the .proto files' comments as descriptions", () => {
    const create = doc.paths["/gitpod.v1.RunnerService/CreateRunner"]?.post as unknown as { description?: string };
    expect(create.description).toMatch(/\S/);
    const request = doc.components.schemas["gitpod.v1.CreateRunnerRequest"] as { properties: Record<string, Json> };
    expect(request.properties.name?.description).toBe("Human-readable name of the runner, 3 to 127 characters.");
    expect(doc.components.schemas["gitpod.v1.RunnerProvider"]?.description).toContain(
      "- `RUNNER_PROVIDER_AWS_EC2`: Amazon EC2 in the organization's AWS account.",
    );
  });

  it("validates as OpenAPI 3.1", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Json);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("lists every unary method served, with and without /api, and nothing else", () => {
    expect(Object.keys(doc.paths).sort()).toEqual([...unaryPaths, ...unaryPaths.map((p) => `/api${p}`)].sort());
  });

  it("names paths that reach a method: each one is served (no token: unauthenticated, unless public)", async () => {
    for (const path of Object.keys(doc.paths)) {
      const res = await fetch(`${server.baseUrl}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      const body = (await res.json()) as { code?: string };
      expect(body.code, path).not.toBe("unimplemented");
      if (doc.paths[path]?.post.security === undefined) expect(body.code, path).toBe("unauthenticated");
    }
  });

  it("asks for a bearer token, except where the server does not", () => {
    expect(doc.components.securitySchemes.bearerAuth).toEqual(
      expect.objectContaining({ type: "http", scheme: "bearer" }),
    );
    const open = Object.entries(doc.paths)
      .filter(([, item]) => item.post.security?.length === 0)
      .map(([path]) => path)
      .filter((p) => !p.startsWith("/api/"))
      .sort();
    expect(open).toEqual([
      "/gitpod.v1.IdentityService/ExchangeToken",
      "/grpc.health.v1.Health/Check",
      "/grpc.health.v1.Health/List",
    ]);
  });

  it("describes the proto3 JSON mapping: int64 as string, enums by name, Timestamp and Duration as strings, oneofs", () => {
    const { schemas } = doc.components;
    expect(schemas["google.protobuf.Timestamp"]).toMatchObject({ type: "string", format: "date-time" });
    expect(schemas["google.protobuf.Duration"]).toMatchObject({ type: "string" });
    expect(schemas["gitpod.v1.RunnerProvider"]).toMatchObject({ type: "string" });
    expect(schemas["gitpod.v1.RunnerProvider"]?.enum).toContain("RUNNER_PROVIDER_AWS_EC2");
    const runner = schemas["gitpod.v1.Runner"] as { properties: Record<string, Json> };
    expect(runner.properties.createdAt).toMatchObject({ $ref: "#/components/schemas/google.protobuf.Timestamp" });
    expect(runner.properties.runnerId).toMatchObject({ type: "string" });
    const int64Fields = Object.values(schemas).flatMap((s) =>
      Object.values((s.properties ?? {}) as Record<string, Json>).filter((p) => p.format === "int64"),
    );
    expect(int64Fields.length).toBeGreaterThan(0);
    expect(int64Fields.every((p) => p.type === "string" || p.type === "integer")).toBe(true);
  });

  it("lets a CreateRunner request built from its schema succeed, and the answer matches the response schema", async () => {
    const path = "/api/gitpod.v1.RunnerService/CreateRunner";
    const requestRef = (operation(path).requestBody.content as Json)["application/json"] as { schema: Json };
    const requestSchema = doc.components.schemas[String(requestRef.schema.$ref).split("/").pop() ?? ""] as {
      properties: Record<string, Json>;
    };
    const providerSchema = doc.components.schemas[
      String(requestSchema.properties.provider?.$ref).split("/").pop() ?? ""
    ] as { enum: string[] };
    const body = {
      name: "from the OpenAPI document",
      provider: providerSchema.enum.find((name) => name.endsWith("_AWS_EC2")),
    };
    expect(validatorFor(path, "request")(body)).toBe(true);

    const res = await fetch(`${server.baseUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${org.admin.token}` },
      body: JSON.stringify(body),
    });
    const answer = (await res.json()) as { runner: { runnerId: string } };
    expect(res.status, JSON.stringify(answer)).toBe(200);
    const matches = validatorFor(path, "response");
    expect(matches(answer), JSON.stringify(matches.errors)).toBe(true);

    // The runner it made, read back, matches GetRunner's response schema too.
    const getPath = "/gitpod.v1.RunnerService/GetRunner";
    const read = await fetch(`${server.baseUrl}${getPath}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${org.admin.token}` },
      body: JSON.stringify({ runnerId: answer.runner.runnerId }),
    });
    const runner = await read.json();
    expect(read.status).toBe(200);
    const getMatches = validatorFor(getPath, "response");
    expect(getMatches(runner), JSON.stringify(getMatches.errors)).toBe(true);
    // …and the schemas can fail: a createdAt that is a number is not a Timestamp.
    expect(getMatches({ runner: { ...(runner as { runner: Json }).runner, createdAt: 12 } })).toBe(false);
  });

  it("answers the Connect error shape on failure, as the document says", async () => {
    const res = await fetch(`${server.baseUrl}/gitpod.v1.RunnerService/GetRunner`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${org.admin.token}` },
      body: JSON.stringify({ runnerId: "00000000-0000-4000-8000-000000000000" }),
    });
    expect(res.status).toBe(404);
    const ajv = new Ajv2020({ strict: false });
    const error = ajv.compile({ $ref: "#/components/schemas/connect.error", components: doc.components });
    expect(error(await res.json())).toBe(true);
  });
});
