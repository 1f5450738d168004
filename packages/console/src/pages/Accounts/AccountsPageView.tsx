import {
  type HostAuthenticationToken,
  HostAuthenticationTokenSource,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import type { CheckAuthenticationForHostResponse } from "@runnerplane/api/gitpod/v1/runner_pb";
import type { ReactNode } from "react";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ListState, Skeleton } from "../../components/ListState";
import { TextField } from "../../components/TextField";
import { Time } from "../../components/Time";
import { enumLabel } from "../../modules/labels";
import { RunnerPicker } from "../../modules/runners/RunnerPicker";
import { withReturnTo } from "../../modules/scm/auth-link";

export function AccountsPageView({
  runnerId,
  onRunnerId,
  hosts,
  hostsError,
  renderHost,
  tokens,
  tokensError,
  onRemove,
  removeError,
}: {
  runnerId: string;
  onRunnerId: (runnerId: string) => void;
  /** The hosts of the runner's SCM integrations, each once. */
  hosts: string[] | undefined;
  hostsError: unknown;
  /** One host's card (it asks CheckAuthenticationForHost itself). */
  renderHost: (host: string) => ReactNode;
  /** The caller's own host tokens on the runner. */
  tokens: HostAuthenticationToken[] | undefined;
  tokensError: unknown;
  onRemove: (tokenId: string) => void;
  removeError: unknown;
}) {
  return (
    <section>
      <h1>Your accounts</h1>
      <p>Connect your SCM accounts so runners can read your repositories.</p>
      <RunnerPicker id="accounts-runner" value={runnerId} onChange={onRunnerId} />
      {runnerId && (
        <>
          <h2>Hosts this runner serves</h2>
          <ListState
            items={hosts}
            error={hostsError}
            label="hosts"
            empty={<p>This runner has no SCM integration yet; a runner admin adds them on the runner's page.</p>}
          >
            {(items) => <ul className="cards">{items.map((host) => renderHost(host))}</ul>}
          </ListState>
          <h2>Your host tokens</h2>
          {removeError ? <ErrorNotice error={removeError} action="remove this token" /> : null}
          <ListState
            items={tokens}
            error={tokensError}
            label="host tokens"
            empty={<p>You have no tokens on this runner.</p>}
          >
            {(items) => (
              <ul className="rows">
                {items.map((t) => (
                  <li key={t.id}>
                    <span>
                      <strong>{t.host}</strong> — {enumLabel(HostAuthenticationTokenSource, t.source)}
                      {t.expiresAt ? (
                        <>
                          , expires <Time value={t.expiresAt} />
                        </>
                      ) : null}
                    </span>
                    <button
                      type="button"
                      className="secondary"
                      aria-label={`Remove token for ${t.host}`}
                      onClick={() => onRemove(t.id)}
                    >
                      Remove
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </ListState>
        </>
      )}
    </section>
  );
}

export function HostAccountView({
  runnerId,
  host,
  answer,
  checkError,
  pat,
  onPat,
  onSavePat,
  saving,
  saveError,
}: {
  runnerId: string;
  host: string;
  /** CheckAuthenticationForHost's answer for the caller and this host. */
  answer: CheckAuthenticationForHostResponse | undefined;
  checkError: unknown;
  pat: string;
  onPat: (pat: string) => void;
  onSavePat: (token: string) => void;
  saving: boolean;
  saveError: unknown;
}) {
  const a = answer;
  const link = a?.supportsOauth2?.authUrl || a?.authenticationUrl;
  // Back to this page after the SCM's Authorize: it then shows the account as connected.
  const back = `/accounts?runner=${encodeURIComponent(runnerId)}`;
  const oauthUrl = link ? withReturnTo(link, back) : undefined;
  return (
    <li className="card">
      <h3>{host}</h3>
      {checkError ? (
        <ErrorNotice error={checkError} action="check this host" />
      ) : !a ? (
        <Skeleton label={`Checking ${host}…`} rows={1} />
      ) : a.authenticated ? (
        <p className="success">Connected{a.scmName ? ` (${a.scmName})` : ""}.</p>
      ) : (
        <>
          <p>Not connected.</p>
          {oauthUrl && (
            <p>
              <a className="button" href={oauthUrl}>
                Connect {host} with OAuth
              </a>
            </p>
          )}
          {a.supportsPat && (
            <form
              className="inline-form"
              onSubmit={(e) => {
                e.preventDefault();
                if (pat.trim()) onSavePat(pat.trim());
              }}
            >
              <TextField
                label={`Personal access token for ${host}`}
                type="password"
                autoComplete="off"
                value={pat}
                placeholder={a.supportsPat.example}
                onChange={(e) => onPat(e.target.value)}
                {...(a.supportsPat.requiredScopes.length
                  ? { hint: `Scopes: ${a.supportsPat.requiredScopes.join(", ")}` }
                  : {})}
              />
              <button type="submit" disabled={saving}>
                Save token
              </button>
            </form>
          )}
          {a.supportsPat && (a.supportsPat.createUrl || a.supportsPat.docsUrl) && (
            <p className="hint">
              {a.supportsPat.createUrl && (
                <a href={a.supportsPat.createUrl} target="_blank" rel="noreferrer noopener">
                  Create a token on {host}
                </a>
              )}
              {a.supportsPat.createUrl && a.supportsPat.docsUrl ? " · " : ""}
              {a.supportsPat.docsUrl && (
                <a href={a.supportsPat.docsUrl} target="_blank" rel="noreferrer noopener">
                  How tokens work on {host}
                </a>
              )}
            </p>
          )}
          {saveError ? <ErrorNotice error={saveError} action="save this token" /> : null}
        </>
      )}
    </li>
  );
}
