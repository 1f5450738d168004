/**
 * The checks of an SCM integration that need no database (behaviour.md §5), as results per
 * field: CreateSCMIntegration turns them into one `invalid_argument`,
 * ValidateRunnerConfiguration returns them.
 */
import type { RunnerConfigurationSchema } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";

export interface ScmIntegrationInput {
  scmId: string;
  host: string;
  oauthClientId: string | undefined;
  /** Whether a client secret is given (plaintext or already sealed). */
  hasSecret: boolean;
  pat: boolean;
  virtualDirectory: string | undefined;
}

export interface ScmIntegrationErrors {
  scmIdError?: string | undefined;
  hostError?: string | undefined;
  oauthError?: string | undefined;
  patError?: string | undefined;
}

const hostPattern =
  /^(?=[^:]{1,253}(?::|$))[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::(\d{1,5}))?$/i;

/** A DNS host name (or IPv4 address) with an optional port, no scheme, path or spaces. */
export function isValidHost(host: string): boolean {
  const match = hostPattern.exec(host);
  if (!match) return false;
  const port = match[1];
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
}

export function checkScmIntegration(
  input: ScmIntegrationInput,
  schema: RunnerConfigurationSchema,
): ScmIntegrationErrors {
  const errors: ScmIntegrationErrors = {};
  const scm = schema.scm.find((s) => s.scmId === input.scmId);
  if (!scm) {
    errors.scmIdError = `unknown SCM "${input.scmId}"; the runner supports ${schema.scm.map((s) => s.scmId).join(", ") || "none"}`;
  }
  if (!isValidHost(input.host)) {
    errors.hostError = `"${input.host}" is not a host name (like github.example.com or git.example.com:8443)`;
  }
  const hasClientId = input.oauthClientId !== undefined && input.oauthClientId !== "";
  if (hasClientId !== input.hasSecret) {
    errors.oauthError = "oauth_client_id and oauth_plaintext_client_secret go together: give both or neither";
  } else if (hasClientId && scm && !scm.oauth) {
    errors.oauthError = `${scm.name} integrations on this runner do not support OAuth`;
  }
  if (input.pat && scm && !scm.pat)
    errors.patError = `${scm.name} integrations on this runner do not support personal access tokens`;
  // The result message has no field of its own for the virtual directory, which belongs to the host.
  if (input.virtualDirectory !== undefined && input.virtualDirectory !== "" && input.scmId !== "azuredevops") {
    errors.hostError ??= "virtual_directory is only for azuredevops integrations";
  }
  return errors;
}

export function hasErrors(errors: ScmIntegrationErrors): boolean {
  return Object.values(errors).some((e) => e !== undefined);
}
