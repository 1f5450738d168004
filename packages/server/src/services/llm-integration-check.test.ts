import { create } from "@bufbuild/protobuf";
import { SupportedModel, SupportedModelSchema } from "@runnerplane/api/gitpod/v1/model_pb";
import {
  LLMIntegrationRequestHeaderSchema,
  LLMIntegrationRequestHeaderType,
  LLMProvider,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { describe, expect, it } from "vitest";
import {
  celSyntaxError,
  checkEndpoint,
  checkModels,
  checkRequestHeaders,
  maxRequestHeaders,
  providerOfModel,
} from "./llm-integration-check.js";

const cel = LLMIntegrationRequestHeaderType.LLM_INTEGRATION_REQUEST_HEADER_TYPE_CEL_EXPRESSION;
const header = (key: string, value: string, headerType = cel) =>
  create(LLMIntegrationRequestHeaderSchema, { key, value: new TextEncoder().encode(value), headerType });

describe("providerOfModel", () => {
  it("gives every OpenAI model to OpenAI and every other model to Anthropic", () => {
    for (const value of SupportedModelSchema.values) {
      if (value.number === 0) continue;
      const expected = value.name.includes("OPENAI")
        ? LLMProvider.LLM_PROVIDER_OPENAI
        : LLMProvider.LLM_PROVIDER_ANTHROPIC;
      expect(providerOfModel(value.number)).toBe(expected);
    }
  });
});

describe("checkModels", () => {
  it("drops duplicates and keeps the order given", () => {
    expect(checkModels("models", [SupportedModel.OPUS_4, SupportedModel.SONNET_4, SupportedModel.OPUS_4])).toEqual({
      provider: LLMProvider.LLM_PROVIDER_ANTHROPIC,
      models: [SupportedModel.OPUS_4, SupportedModel.SONNET_4],
    });
  });

  it("refuses models of two providers", () => {
    expect(checkModels("models", [SupportedModel.OPUS_4, SupportedModel.OPENAI_O1])).toMatchObject({ field: "models" });
  });
});

describe("checkEndpoint", () => {
  it.each(["https://api.anthropic.com", "http://localhost:4000/v1", "https://10.0.0.2:8443/openai"])(
    "accepts %s",
    (url) => expect(checkEndpoint("endpoint", url)).toBeUndefined(),
  );
  it.each(["", "api.anthropic.com", "file:///etc/passwd", "https://k:secret@api.example.com", "x".repeat(3000)])(
    "refuses %j",
    (url) => expect(checkEndpoint("endpoint", url)).toMatchObject({ field: "endpoint" }),
  );
});

describe("celSyntaxError", () => {
  it.each([
    '"Bearer " + token',
    "request.model.startsWith('claude') ? 'a' : 'b'",
    "size(principal.groups) > 0",
    "{'a': 1}['a'] == 1",
  ])("accepts %s", (expression) => {
    expect(celSyntaxError(new TextEncoder().encode(expression))).toBeUndefined();
  });

  it.each(['"open', "a +", "1 +* 2", "", "f(("])("says where %j breaks", (expression) => {
    expect(celSyntaxError(new TextEncoder().encode(expression))).toMatch(/^at 1:\d+: /);
  });

  it("refuses bytes that are not UTF-8", () => {
    expect(celSyntaxError(new Uint8Array([0xff, 0xfe]))).toBe("the expression is not UTF-8");
  });
});

describe("checkRequestHeaders", () => {
  it("names each broken CEL header by index and name", () => {
    const violations = checkRequestHeaders([header("X-Ok", "'fine'"), header("X-Bad", "a +"), header("X-Worse", "((")]);
    expect(violations.map((v) => v.field)).toEqual([
      "request_headers[1] (X-Bad).value",
      "request_headers[2] (X-Worse).value",
    ]);
    expect(violations.every((v) => v.message.startsWith("not a valid CEL expression: at 1:"))).toBe(true);
  });

  it("does not parse literal values as CEL", () => {
    const literal = LLMIntegrationRequestHeaderType.LLM_INTEGRATION_REQUEST_HEADER_TYPE_LITERAL;
    expect(checkRequestHeaders([header("X-Literal", "a +", literal)])).toEqual([]);
  });

  it(`refuses more than ${maxRequestHeaders} headers`, () => {
    const many = Array.from({ length: maxRequestHeaders + 1 }, (_, i) => header(`X-${i}`, "'v'"));
    expect(checkRequestHeaders(many).map((v) => v.field)).toEqual(["request_headers"]);
  });
});
