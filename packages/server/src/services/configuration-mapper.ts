/** Rows of the configuration tables → gitpod.v1 messages. Token values never leave through here. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import {
  type EnvironmentClass,
  EnvironmentClassSchema,
  type HostAuthenticationToken,
  HostAuthenticationTokenSchema,
  type LLMIntegration,
  LLMIntegrationSchema,
  type SCMIntegration,
  SCMIntegrationSchema,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import type { DbEnvironmentClass } from "../db/environment-classes.js";
import type { DbHostToken } from "../db/host-tokens.js";
import type { DbLlmIntegration } from "../db/llm-integrations.js";
import type { DbScmIntegration } from "../db/scm-integrations.js";

export function toEnvironmentClass(row: DbEnvironmentClass): EnvironmentClass {
  return create(EnvironmentClassSchema, {
    id: row.id,
    runnerId: row.runner_id,
    displayName: row.display_name,
    description: row.description,
    configuration: row.configuration,
    enabled: row.enabled,
  });
}

export function toScmIntegration(row: DbScmIntegration): SCMIntegration {
  return create(SCMIntegrationSchema, {
    id: row.id,
    runnerId: row.runner_id,
    scmId: row.scm_id,
    host: row.host,
    pat: row.pat,
    ...(row.oauth_client_id !== null && row.oauth_encrypted_client_secret
      ? {
          oauth: {
            clientId: row.oauth_client_id,
            encryptedClientSecret: new Uint8Array(row.oauth_encrypted_client_secret),
            issuerUrl: row.issuer_url ?? "",
          },
        }
      : {}),
    ...(row.virtual_directory !== null ? { virtualDirectory: row.virtual_directory } : {}),
  });
}

/** Metadata only: the token and refresh token are never part of a public response. */
export function toHostToken(row: DbHostToken): HostAuthenticationToken {
  const principal = row.subject_principal === "service_account" ? Principal.SERVICE_ACCOUNT : Principal.USER;
  return create(HostAuthenticationTokenSchema, {
    id: row.id,
    runnerId: row.runner_id,
    // Deprecated field, filled for users only, as its name says.
    userId: principal === Principal.USER ? row.subject_id : "",
    host: row.host,
    source: row.source,
    ...(row.expires_at ? { expiresAt: timestampFromDate(row.expires_at) } : {}),
    integrationId: row.integration_id ?? "",
    scopes: row.scopes,
    subject: { id: row.subject_id, principal },
  });
}

/** The API key leaves only sealed for the runner, as `encrypted_api_key`. */
export function toLlmIntegration(row: DbLlmIntegration): LLMIntegration {
  return create(LLMIntegrationSchema, {
    id: row.id,
    runnerId: row.runner_id,
    models: row.models,
    endpoint: row.endpoint,
    encryptedApiKey: new Uint8Array(row.encrypted_api_key),
    maxTokens: BigInt(row.max_tokens),
    phase: row.phase,
    phaseReason: row.phase_reason,
    requestHeaders: row.request_headers.map((h) => ({
      key: h.key,
      value: new Uint8Array(Buffer.from(h.value, "base64")),
      headerType: h.headerType,
    })),
    provider: row.provider,
  });
}
