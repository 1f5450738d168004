/**
 * "Your accounts": for each host the chosen runner serves (its SCM integrations), whether you
 * are connected, a link to connect through OAuth (the URL CheckAuthenticationForHost returns),
 * a field to enter a personal access token instead; and your host tokens, to remove.
 */
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import {
  HostAuthenticationTokenSource,
  RunnerConfigurationService,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useSearch } from "wouter";
import { invalidateConfiguration } from "../../api/invalidate";
import { useSession } from "../../api/session-context";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ListState, Skeleton } from "../../components/ListState";
import { TextField } from "../../components/TextField";
import { Time } from "../../components/Time";
import { enumLabel } from "../../modules/labels";
import { RunnerPicker } from "../../modules/runners/RunnerPicker";
import { withReturnTo } from "../../modules/scm/auth-link";

export default function AccountsPage() {
  // `?runner=` picks the runner: the OAuth flow comes back to this page with it.
  const search = useSearch();
  const [runnerId, setRunnerId] = useState(() => new URLSearchParams(search).get("runner") ?? "");
  const session = useSession();
  const queryClient = useQueryClient();
  const integrations = useQuery(
    RunnerConfigurationService.method.listSCMIntegrations,
    { filter: { runnerIds: [runnerId] }, pagination: { pageSize: 100 } },
    { enabled: runnerId !== "" },
  );
  const tokens = useQuery(
    RunnerConfigurationService.method.listHostAuthenticationTokens,
    { filter: { runnerId, subjectId: session.subjectId }, pagination: { pageSize: 100 } },
    { enabled: runnerId !== "" },
  );
  const remove = useMutation(RunnerConfigurationService.method.deleteHostAuthenticationToken, {
    onSuccess: () => invalidateConfiguration(queryClient),
  });
  const hosts = [...new Set(integrations.data?.integrations.map((i) => i.host))];
  return (
    <section>
      <h1>Your accounts</h1>
      <p>Connect your SCM accounts so runners can read your repositories.</p>
      <RunnerPicker id="accounts-runner" value={runnerId} onChange={setRunnerId} />
      {runnerId && (
        <>
          <h2>Hosts this runner serves</h2>
          <ListState
            items={integrations.data ? hosts : undefined}
            error={integrations.error}
            label="hosts"
            empty={<p>This runner has no SCM integration yet; a runner admin adds them on the runner's page.</p>}
          >
            {(items) => (
              <ul className="cards">
                {items.map((host) => (
                  <HostAccount key={host} runnerId={runnerId} host={host} userId={session.subjectId} />
                ))}
              </ul>
            )}
          </ListState>
          <h2>Your host tokens</h2>
          {remove.error && <ErrorNotice error={remove.error} action="remove this token" />}
          <ListState
            items={tokens.data?.tokens}
            error={tokens.error}
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
                      onClick={() => remove.mutate({ id: t.id })}
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

function HostAccount({ runnerId, host, userId }: { runnerId: string; host: string; userId: string }) {
  const queryClient = useQueryClient();
  const check = useQuery(RunnerService.method.checkAuthenticationForHost, { runnerId, host });
  const [pat, setPat] = useState("");
  const save = useMutation(RunnerConfigurationService.method.createHostAuthenticationToken, {
    onSuccess: async () => {
      setPat("");
      await invalidateConfiguration(queryClient);
    },
  });
  const a = check.data;
  const link = a?.supportsOauth2?.authUrl || a?.authenticationUrl;
  // Back to this page after the SCM's Authorize: it then shows the account as connected.
  const back = `/accounts?runner=${encodeURIComponent(runnerId)}`;
  const oauthUrl = link ? withReturnTo(link, back) : undefined;
  return (
    <li className="card">
      <h3>{host}</h3>
      {check.error ? (
        <ErrorNotice error={check.error} action="check this host" />
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
                if (pat.trim())
                  save.mutate({
                    runnerId,
                    host,
                    token: pat.trim(),
                    source: HostAuthenticationTokenSource.PAT,
                    subject: { id: userId, principal: Principal.USER },
                  });
              }}
            >
              <TextField
                label={`Personal access token for ${host}`}
                type="password"
                autoComplete="off"
                value={pat}
                placeholder={a.supportsPat.example}
                onChange={(e) => setPat(e.target.value)}
                {...(a.supportsPat.requiredScopes.length
                  ? { hint: `Scopes: ${a.supportsPat.requiredScopes.join(", ")}` }
                  : {})}
              />
              <button type="submit" disabled={save.isPending}>
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
          {save.error && <ErrorNotice error={save.error} action="save this token" />}
        </>
      )}
    </li>
  );
}
