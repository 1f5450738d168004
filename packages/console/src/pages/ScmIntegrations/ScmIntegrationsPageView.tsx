import type {
  RunnerConfigurationSchema_SCMConfigSchema,
  SCMIntegration,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { useState } from "react";
import { formErrors } from "../../api/errors";
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

/** What UpdateSCMIntegration changes; absent: unchanged. `clientId: ""` removes the OAuth app. */
export interface IntegrationChanges {
  id: string;
  clientId?: string;
  clientSecret?: string;
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
  onUpdate,
  onDelete,
  updateError,
  updating,
  updatedId,
}: {
  scms: RunnerConfigurationSchema_SCMConfigSchema[] | undefined;
  schemaError: unknown;
  integrations: SCMIntegration[] | undefined;
  integrationsError: unknown;
  mutationError: unknown;
  creating: boolean;
  created: boolean;
  onCreate: (i: NewIntegration) => void;
  /** Settles when the server answered; the editor closes on success. */
  onUpdate: (c: IntegrationChanges) => Promise<unknown>;
  onDelete: (id: string) => void;
  updateError?: unknown;
  updating?: boolean;
  /** The integration the last successful update changed. */
  updatedId?: string | undefined;
}) {
  const [editing, setEditing] = useState("");
  const [scmId, setScmId] = useState("");
  const [host, setHost] = useState("");
  const [clientId, setClientId] = useState("");
  const [clientSecret, setClientSecret] = useState("");
  const [pat, setPat] = useState(true);
  const scm = scms?.find((s) => s.scmId === (scmId || scms[0]?.scmId));
  const callbackUrl = scm?.oauth?.callbackUrl;
  const { fields, notice } = formErrors(mutationError);
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
              <li key={i.id} className="row-with-form">
                <span>
                  <strong>{i.host}</strong> ({i.scmId}) — {i.oauth ? `OAuth app ${i.oauth.clientId}` : "no OAuth app"}
                  {i.pat ? ", personal access tokens" : ""}
                  {updatedId === i.id && editing !== i.id && (
                    <span className="success" role="status">
                      {" "}
                      Saved.
                    </span>
                  )}
                </span>
                <span className="actions">
                  <button
                    type="button"
                    className="secondary"
                    aria-label={`Edit integration ${i.host}`}
                    aria-expanded={editing === i.id}
                    aria-controls={`edit-${i.id}`}
                    onClick={() => setEditing(editing === i.id ? "" : i.id)}
                  >
                    Edit
                  </button>
                  <button
                    type="button"
                    className="secondary"
                    aria-label={`Remove integration ${i.host}`}
                    onClick={() => onDelete(i.id)}
                  >
                    Remove
                  </button>
                </span>
                {editing === i.id && (
                  <EditIntegration
                    integration={i}
                    error={updateError}
                    saving={updating ?? false}
                    onCancel={() => setEditing("")}
                    onSave={(c) =>
                      onUpdate(c).then(
                        () => setEditing(""),
                        () => {},
                      )
                    }
                  />
                )}
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
            {notice ? <ErrorNotice error={mutationError} action="change SCM integrations" /> : null}
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

/**
 * Edit one integration: the OAuth app's client id and secret (an empty secret keeps the sealed
 * one; an empty client id removes the OAuth app and the OAuth tokens obtained through it) and
 * whether personal access tokens are allowed (turning it off deletes the PATs for the host).
 */
function EditIntegration({
  integration,
  error,
  saving,
  onSave,
  onCancel,
}: {
  integration: SCMIntegration;
  error: unknown;
  saving: boolean;
  onSave: (c: IntegrationChanges) => void;
  onCancel: () => void;
}) {
  const [clientId, setClientId] = useState(integration.oauth?.clientId ?? "");
  const [clientSecret, setClientSecret] = useState("");
  const [pat, setPat] = useState(integration.pat);
  const { fields, notice } = formErrors(error);
  const removesOAuth = integration.oauth !== undefined && clientId.trim() === "";
  const removesPats = integration.pat && !pat;
  return (
    <form
      id={`edit-${integration.id}`}
      className="form card"
      aria-label={`Edit integration ${integration.host}`}
      onSubmit={(e) => {
        e.preventDefault();
        const id = clientId.trim();
        onSave({
          id: integration.id,
          pat,
          ...(id !== (integration.oauth?.clientId ?? "") ? { clientId: id } : {}),
          ...(clientSecret ? { clientSecret } : {}),
        });
      }}
    >
      <TextField
        label={`OAuth client ID for ${integration.host}`}
        value={clientId}
        onChange={(e) => setClientId(e.target.value)}
        error={fields.oauthClientId}
        {...(removesOAuth
          ? { hint: "Empty removes the OAuth app, and the accounts connected through it are disconnected." }
          : {})}
      />
      <TextField
        label={`OAuth client secret for ${integration.host}`}
        type="password"
        autoComplete="off"
        value={clientSecret}
        onChange={(e) => setClientSecret(e.target.value)}
        error={fields.oauthPlaintextClientSecret}
        hint="Empty keeps the current secret. A new one is sealed to the runner's key and never shown again."
      />
      <div className="field field-check">
        <label htmlFor={`pat-${integration.id}`}>Allow personal access tokens for {integration.host}</label>
        <input id={`pat-${integration.id}`} type="checkbox" checked={pat} onChange={(e) => setPat(e.target.checked)} />
      </div>
      {removesPats && (
        <p className="hint">Turning this off deletes the personal access tokens people stored for this host.</p>
      )}
      {notice ? <ErrorNotice error={error} action={`change the integration for ${integration.host}`} /> : null}
      <span className="actions">
        <button type="submit" disabled={saving}>
          Save integration
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </span>
    </form>
  );
}
