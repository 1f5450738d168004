/**
 * The link CheckAuthenticationForHost and ParseContextURL hand out when the caller must
 * connect an SCM account (docs/scm-oauth.md): a stored, single-use, 10-minute login attempt,
 * behind `<public URL>/auth/oauth2/start?attempt=<id>`.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import { ParseContextURLPreconditionFailureDetailsSchema } from "@runnerplane/api/gitpod/v1/runner_pb";
import type { Caller } from "../../auth/index.js";
import type { Clock } from "../../clock.js";
import type { Sql } from "../../db/index.js";
import { findScmIntegrationByHost } from "../../db/scm-integrations.js";
import { insertScmLoginAttempt } from "../../db/scm-login-attempts.js";
import { type ExtensionRelay, oauthExtension } from "../../relay/index.js";

export const loginAttemptLifetimeMs = 10 * 60_000;
export const startPath = "/auth/oauth2/start";
export const callbackPath = "/auth/oauth2/callback";

export interface LoginLinkDeps {
  sql: Sql;
  clock: Clock;
  publicUrl: string;
  extensionRelay: ExtensionRelay;
}

/**
 * A fresh start link for the caller, or undefined when OAuth cannot work here: the caller is
 * not a user (the start page needs a person's browser session, so a service account's link
 * could never be followed; it gets the PAT guidance only, docs/scm-oauth.md), the runner has no SCM integration with an OAuth app for the
 * host, or the runner did not announce the oauth-v1 extension (then PAT guidance stays).
 */
export async function mintLoginLink(
  deps: LoginLinkDeps,
  caller: Caller,
  runnerId: string,
  host: string,
): Promise<string | undefined> {
  if (caller.subject.principal !== Principal.USER) return undefined;
  const integration = await findScmIntegrationByHost(deps.sql, runnerId.toLowerCase(), host.toLowerCase());
  if (!integration?.oauth_client_id) return undefined;
  if (!(await deps.extensionRelay.isConnected(integration.runner_id, oauthExtension))) return undefined;
  const now = deps.clock.now();
  // One statement (insert, and the sweep of the subject's expired attempts). No audit entry:
  // a link lasts 10 minutes and stores no credential; the connection it may lead to is recorded
  // when the runner stores the host token (docs/scm-oauth.md#the-audit-log).
  const attempt = await deps.sql.begin((tx) =>
    insertScmLoginAttempt(tx, {
      organizationId: integration.organization_id,
      runnerId: integration.runner_id,
      integrationId: integration.id,
      host: integration.host,
      subjectId: caller.subject.id,
      subjectPrincipal: "user",
      now,
      expiresAt: new Date(now.getTime() + loginAttemptLifetimeMs),
    }),
  );
  return `${deps.publicUrl}${startPath}?attempt=${attempt.id}`;
}

/** The host of a context URL (https URLs, and scp-like `git@host:owner/repo`), lowercased. */
export function hostOfContextUrl(contextUrl: string): string | undefined {
  try {
    return new URL(contextUrl).host.toLowerCase() || undefined;
  } catch {
    return /^[\w.-]+@([\w.-]+):/.exec(contextUrl)?.[1]?.toLowerCase();
  }
}

/**
 * A ParseContextURL `failed_precondition` from the runner, with the link in its
 * ParseContextURLPreconditionFailureDetails replaced by a fresh start link, when one can be
 * made. Any other error is left alone.
 */
export async function withLoginLink(error: unknown, mint: () => Promise<string | undefined>): Promise<void> {
  if (!(error instanceof ConnectError) || error.code !== Code.FailedPrecondition) return;
  const schema = ParseContextURLPreconditionFailureDetailsSchema;
  const index = error.details.findIndex((d) => ("type" in d ? d.type : d.desc.typeName) === schema.typeName);
  const [detail] = error.findDetails(schema);
  if (index < 0 || !detail) return;
  const link = await mint();
  if (!link) return;
  error.details[index] = { desc: schema, value: { ...detail, authenticationRequiredUrl: link } };
}
