import type {
  RunnerConfigurationSchema_SCMConfigSchema,
  SCMIntegration,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { useState } from "react";
import { describeError } from "../../api/errors";
import { OnceValue } from "../../components/CopyButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ListState, Skeleton } from "../../components/ListState";
import { TextField } from "../../components/TextField";

export interface NewIntegration {
  scmId: string;
  host: string;
  clientId: string;
  clientSecret: string;
  pat: boolean;
}

export function ScmIntegrationsPageView({
  scms,
  schemaError,
  integrations,
  integrationsError,
  mutationError,
  creating,
  created,
  onCreate,
  onDelete,
}: {
  scms: RunnerConfigurationSchema_SCMConfigSchema[] | undefined;
  schemaError: unknown;
  integrations: SCMIntegration[] | undefined;
  integrationsError: unknown;
  mutationError: unknown;
  creating: boolean;
  created: boolean;
  onCreate: (i: NewIntegration) => void;
  onDelete: (id: string) => void;
}) {
  const [scmId, setScmId] = useState("");
  const [host, setHost] = useState("");
  const [clientId, setClientId] = useState("");
  const [clientSecret, setClientSecret] = useState("");
  const [pat, setPat] = useState(true);
  const scm = scms?.find((s) => s.scmId === (scmId || scms[0]?.scmId));
  const callbackUrl = scm?.oauth?.callbackUrl;
  const fields = mutationError ? describeError(mutationError).fields : {};
  return (
    <>
      <h1>SCM integrations</h1>
      <ListState
        items={integrations}
        error={integrationsError}
        label="SCM integrations"
        empty={<p>No SCM integration yet: add one so people can connect their accounts.</p>}
      >
        {(items) => (
          <ul className="rows">
            {items.map((i) => (
              <li key={i.id}>
                <span>
                  <strong>{i.host}</strong> ({i.scmId}) — {i.oauth ? `OAuth app ${i.oauth.clientId}` : "no OAuth app"}
                  {i.pat ? ", personal access tokens" : ""}
                </span>
                <button
                  type="button"
                  className="secondary"
                  aria-label={`Remove integration ${i.host}`}
                  onClick={() => onDelete(i.id)}
                >
                  Remove
                </button>
              </li>
            ))}
          </ul>
        )}
      </ListState>
      <section className="card" aria-labelledby="new-scm-heading">
        <h2 id="new-scm-heading">Add an SCM integration</h2>
        {schemaError ? (
          <ErrorNotice error={schemaError} action="read this runner's schema" />
        ) : scms === undefined ? (
          <Skeleton label="Loading the SCMs this runner speaks…" />
        ) : (
          <form
            className="form"
            onSubmit={(e) => {
              e.preventDefault();
              if (!scm) return;
              onCreate({
                scmId: scm.scmId,
                host: host.trim() || scm.defaultHosts[0] || "",
                clientId: clientId.trim(),
                clientSecret,
                pat,
              });
            }}
          >
            <div className="field">
              <label htmlFor="scm-id">SCM</label>
              <select id="scm-id" value={scm?.scmId ?? ""} onChange={(e) => setScmId(e.target.value)}>
                {scms.map((s) => (
                  <option key={s.scmId} value={s.scmId}>
                    {s.name}
                  </option>
                ))}
              </select>
            </div>
            <TextField
              label="Host"
              value={host}
              placeholder={scm?.defaultHosts[0] ?? ""}
              onChange={(e) => setHost(e.target.value)}
              error={fields.host}
              hint="Leave empty for the SCM's public host."
            />
            {callbackUrl && (
              <OnceValue id="callback-url" label="Callback URL to register in the OAuth app" value={callbackUrl} />
            )}
            <TextField
              label="OAuth client ID"
              value={clientId}
              onChange={(e) => setClientId(e.target.value)}
              error={fields.oauthClientId}
            />
            <TextField
              label="OAuth client secret"
              type="password"
              autoComplete="off"
              value={clientSecret}
              onChange={(e) => setClientSecret(e.target.value)}
              error={fields.oauthPlaintextClientSecret}
              hint="The server seals it to the runner's key at once: only the runner can open it, and it is never shown again."
            />
            <div className="field field-check">
              <label htmlFor="scm-pat">Allow personal access tokens</label>
              <input id="scm-pat" type="checkbox" checked={pat} onChange={(e) => setPat(e.target.checked)} />
            </div>
            {mutationError && Object.keys(fields).length === 0 ? (
              <ErrorNotice error={mutationError} action="change SCM integrations" />
            ) : null}
            {created && (
              <p className="success" role="status">
                Integration added.
              </p>
            )}
            <button type="submit" disabled={creating}>
              Add integration
            </button>
          </form>
        )}
      </section>
    </>
  );
}
