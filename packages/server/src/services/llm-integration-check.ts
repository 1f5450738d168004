/**
 * The rules of an LLM integration beyond the field rules of the .proto files (behaviour.md
 * §16, docs/llm-integrations.md): pure functions, shared by Create and Update, returning
 * violations in the shape of the validation interceptor's.
 */
import { parse as parseCel } from "@bufbuild/cel";
import { LLMIntegrationPhase, SupportedModel, SupportedModelSchema } from "@runnerplane/api/gitpod/v1/model_pb";
import {
  type LLMIntegrationRequestHeader,
  LLMIntegrationRequestHeaderType,
  LLMProvider,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import type { Violation } from "../validation/index.js";

/** More headers than any endpoint needs; keeps a stored row small. */
export const maxRequestHeaders = 50;
/** The largest max_tokens Postgres' bigint holds (uint64 on the wire). */
export const maxMaxTokens = 2n ** 63n - 1n;
const maxEndpointLength = 2048;
const maxHeaderValueBytes = 8192;

/** RFC 9110 field-name: a token. */
const headerName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Which API serves a model: OpenAI's models are named so; every other model is Anthropic's. */
export function providerOfModel(model: SupportedModel): LLMProvider {
  const name = SupportedModelSchema.value[model]?.name ?? "";
  return name.startsWith("SUPPORTED_MODEL_OPENAI_")
    ? LLMProvider.LLM_PROVIDER_OPENAI
    : LLMProvider.LLM_PROVIDER_ANTHROPIC;
}

/**
 * The integration's provider, deduced from its models (the request carries none): all of them
 * must be served by one API, because one endpoint speaks one.
 */
export function checkModels(
  field: string,
  models: readonly SupportedModel[],
): { provider: LLMProvider; models: SupportedModel[] } | Violation {
  const unique = [...new Set(models)];
  if (unique.includes(SupportedModel.UNSPECIFIED)) {
    return { field, rule: "llm.models", message: "SUPPORTED_MODEL_UNSPECIFIED is not a model" };
  }
  const providers = new Set(unique.map(providerOfModel));
  if (providers.size !== 1) {
    return {
      field,
      rule: "llm.models",
      message: "all models of one integration must be served by the same provider (Anthropic or OpenAI)",
    };
  }
  return { provider: [...providers][0] as LLMProvider, models: unique };
}

export function checkEndpoint(field: string, endpoint: string): Violation | undefined {
  const fail = (message: string) => ({ field, rule: "llm.endpoint", message });
  if (endpoint === "") return fail("value is required");
  if (endpoint.length > maxEndpointLength) return fail(`at most ${maxEndpointLength} characters`);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return fail("must be an absolute http or https URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return fail("must be an absolute http or https URL");
  // Credentials in the URL would be a secret stored and returned in clear text: use api_key.
  if (url.username !== "" || url.password !== "") return fail("must not contain credentials; use api_key");
  return undefined;
}

export function checkMaxTokens(field: string, maxTokens: bigint): Violation | undefined {
  return maxTokens > maxMaxTokens ? { field, rule: "llm.max_tokens", message: `at most ${maxMaxTokens}` } : undefined;
}

export function checkPhase(field: string, phase: LLMIntegrationPhase): Violation | undefined {
  const known = [
    LLMIntegrationPhase.LLM_INTEGRATION_PHASE_AVAILABLE,
    LLMIntegrationPhase.LLM_INTEGRATION_PHASE_UNAVAILABLE,
    LLMIntegrationPhase.LLM_INTEGRATION_PHASE_DISABLED,
  ];
  return known.includes(phase)
    ? undefined
    : { field, rule: "llm.phase", message: "must be AVAILABLE, UNAVAILABLE or DISABLED" };
}

/**
 * Header names, duplicates, literal values a header can carry, and the syntax of every CEL
 * expression (parsed with @bufbuild/cel; evaluating it is the runner's job).
 */
export function checkRequestHeaders(headers: readonly LLMIntegrationRequestHeader[]): Violation[] {
  const violations: Violation[] = [];
  if (headers.length > maxRequestHeaders) {
    violations.push({ field: "request_headers", rule: "llm.headers", message: `at most ${maxRequestHeaders} headers` });
  }
  const seen = new Set<string>();
  headers.forEach((header, i) => {
    const at = `request_headers[${i}]`;
    const named = header.key === "" ? at : `${at} (${header.key})`;
    if (!headerName.test(header.key)) {
      violations.push({ field: `${at}.key`, rule: "llm.header_name", message: "must be a valid HTTP header name" });
    } else if (seen.has(header.key.toLowerCase())) {
      violations.push({ field: `${at}.key`, rule: "llm.header_name", message: `header ${header.key} is given twice` });
    }
    seen.add(header.key.toLowerCase());
    if (header.value.length > maxHeaderValueBytes) {
      violations.push({
        field: `${named}.value`,
        rule: "llm.header_value",
        message: `at most ${maxHeaderValueBytes} bytes`,
      });
      return;
    }
    switch (header.headerType) {
      case LLMIntegrationRequestHeaderType.LLM_INTEGRATION_REQUEST_HEADER_TYPE_LITERAL:
        if (header.value.some((b) => b === 0x0a || b === 0x0d || b === 0x00)) {
          violations.push({
            field: `${named}.value`,
            rule: "llm.header_value",
            message: "a header value cannot contain line breaks or NUL",
          });
        }
        break;
      case LLMIntegrationRequestHeaderType.LLM_INTEGRATION_REQUEST_HEADER_TYPE_CEL_EXPRESSION: {
        const error = celSyntaxError(header.value);
        if (error) {
          violations.push({
            field: `${named}.value`,
            rule: "llm.cel",
            message: `not a valid CEL expression: ${error}`,
          });
        }
        break;
      }
      default:
        violations.push({
          field: `${named}.header_type`,
          rule: "llm.header_type",
          message:
            "must be LLM_INTEGRATION_REQUEST_HEADER_TYPE_LITERAL or LLM_INTEGRATION_REQUEST_HEADER_TYPE_CEL_EXPRESSION",
        });
    }
  });
  return violations;
}

/** The parser's message for an expression that does not parse, or undefined. */
export function celSyntaxError(source: Uint8Array): string | undefined {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(source);
  } catch {
    return "the expression is not UTF-8";
  }
  try {
    parseCel(text);
    return undefined;
  } catch (error) {
    // "<input>:1:3: found + but expecting end of input": position and reason, no internals.
    return String((error as Error).message ?? error).replace(/^<input>:/, "at ");
  }
}
