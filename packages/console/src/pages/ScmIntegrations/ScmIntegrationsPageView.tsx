import type {
  RunnerConfigurationSchema_SCMConfigSchema,
  SCMIntegration,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { useState } from "react";
import { formErrors } from "../../api/errors";
import { ConfirmButton } from "../../components/ConfirmButton";
import { OnceValue } from "../../components/CopyButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ListState, Skeleton } from "../../components/ListState";
import { TextField } from "../../components/TextField";

type ScmSchema = RunnerConfigurationSchema_SCMConfigSchema;

export interface NewIntegration {
  scmId: string;
  host: string;
  clientId: string;
  clientSecret: string;
  /** Only with a client id; empty: the SCM host is the OAuth provider. */
  issuerUrl: string;
  pat: boolean;
  /** Only for azuredevops; empty: none. */
  virtualDirectory: string;
}

/**
 * What UpdateSCMIntegration changes; absent: unchanged. `clientId: ""` removes the OAuth app
 * (and its issuer), `issuerUrl: ""` and `virtualDirectory: ""` clear theirs.
 */
export interface IntegrationChanges {
  id: string;
  clientId?: string;
  clientSecret?: string;
  issuerUrl?: string;
  pat: boolean;
  virtualDirectory?: string;
}

/** The SCM whose servers have a virtual directory (Azure DevOps Server, e.g. `/tfs`). */
const virtualDirectoryScm = "azuredevops";

/** The console's own check of an issuer URL (the contract states no rule): an absolute http(s) URL. */
export function issuerUrlError(value: string): string | undefined {
  if (value === "") return undefined;
  try {
    const url = new URL(value);
    if (url.protocol === "https:" || url.protocol === "http:") return undefined;
  } catch {
    // not a URL at all
  }
  return "must be an absolute URL such as https://github.example.com";
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
  deleting,
  deleteError,
  updateError,
  updating,
  updatedId,
}: {
  scms: ScmSchema[] | undefined;
  schemaError: unknown;
  integrations: SCMIntegration[] | undefined;
  integrationsError: unknown;
  mutationError: unknown;
  creating: boolean;
  created: boolean;
  /** Settles when the server answered; the form empties on success. */
  onCreate: (i: NewIntegration) => Promise<unknown>;
  /** Settles when the server answered; the editor closes on success. */
  onUpdate: (c: IntegrationChanges) => Promise<unknown>;
  onDelete: (id: string) => void;
  deleting?: boolean;
  /** A refused removal, shown above the list. */
  deleteError?: unknown;
  updateError?: unknown;
  updating?: boolean;
  /** The integration the last successful update changed. */
  updatedId?: string | undefined;
}) {
  const [editing, setEditing] = useState("");
  return (
    <>
      <h1>SCM integrations</h1>
      {deleteError ? <ErrorNotice error={deleteError} action="remove SCM integrations" /> : null}
      <ListState
        items={integrations}
        error={integrationsError}
        label="SCM integrations"
        empty={<p>No SCM integration yet: add one below so people can connect their accounts.</p>}
      >
        {(items) => (
          <ul className="rows">
            {items.map((i) => (
              <li key={i.id} className="row-with-form">
                <span>
                  <strong>{i.host}</strong> ({i.scmId}) — {i.oauth ? `OAuth app ${i.oauth.clientId}` : "no OAuth app"}
                  {i.oauth?.issuerUrl ? ` at ${i.oauth.issuerUrl}` : ""}
                  {i.pat ? ", personal access tokens" : ""}
                  {i.virtualDirectory ? `, virtual directory ${i.virtualDirectory}` : ""}
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
                  <ConfirmButton
                    label="Remove"
                    name={`Remove integration ${i.host}`}
                    question={`Remove ${i.host}? The accounts people connected for it are removed too.`}
                    confirmLabel={`Remove ${i.host}`}
                    onConfirm={() => onDelete(i.id)}
                    pending={deleting ?? false}
                  />
                </span>
                {editing === i.id && (
                  <EditIntegration
                    integration={i}
                    scm={scms?.find((s) => s.scmId === i.scmId)}
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
        ) : scms.length === 0 ? (
          <div className="empty">
            <p>This runner's schema names no SCM, so there is nothing to integrate with.</p>
          </div>
        ) : (
          <NewIntegrationForm
            scms={scms}
            error={mutationError}
            creating={creating}
            created={created}
            onCreate={onCreate}
          />
        )}
      </section>
    </>
  );
}

function NewIntegrationForm({
  scms,
  error,
  creating,
  created,
  onCreate,
}: {
  scms: ScmSchema[];
  error: unknown;
  creating: boolean;
  created: boolean;
  onCreate: (i: NewIntegration) => Promise<unknown>;
}) {
  const [scmId, setScmId] = useState("");
  const [host, setHost] = useState("");
  const [clientId, setClientId] = useState("");
  const [clientSecret, setClientSecret] = useState("");
  const [issuerUrl, setIssuerUrl] = useState("");
  const [pat, setPat] = useState(true);
  const [virtualDirectory, setVirtualDirectory] = useState("");
  const [issuerChecked, setIssuerChecked] = useState(false);
  const scm = scms.find((s) => s.scmId === scmId) ?? scms[0];
  const { fields, notice } = formErrors(error);
  const withOAuth = scm?.oauth !== undefined;
  const withPat = scm?.pat !== undefined;
  const withVirtualDirectory = scm?.scmId === virtualDirectoryScm;
  const issuerError = issuerChecked ? issuerUrlError(issuerUrl.trim()) : undefined;
  return (
    <form
      className="form"
      aria-label="Add an SCM integration"
      onSubmit={(e) => {
        e.preventDefault();
        if (!scm) return;
        const id = withOAuth ? clientId.trim() : "";
        const issuer = id ? issuerUrl.trim() : "";
        setIssuerChecked(true);
        if (issuerUrlError(issuer)) return;
        onCreate({
          scmId: scm.scmId,
          host: host.trim() || scm.defaultHosts[0] || "",
          clientId: id,
          clientSecret: id ? clientSecret : "",
          issuerUrl: issuer,
          pat: withPat && pat,
          virtualDirectory: withVirtualDirectory ? virtualDirectory.trim() : "",
        }).then(
          () => {
            for (const clear of [setHost, setClientId, setClientSecret, setIssuerUrl, setVirtualDirectory]) clear("");
            setIssuerChecked(false);
          },
          () => {},
        );
      }}
    >
      <div className="field">
        <label htmlFor="scm-id">SCM</label>
        <select id="scm-id" value={scm?.scmId ?? ""} onChange={(e) => setScmId(e.target.value)}>
          {scms.map((s) => (
            <option key={s.scmId} value={s.scmId}>
              {s.name || s.scmId}
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
        hint={
          scm?.defaultHosts[0]
            ? `Leave empty for ${scm.defaultHosts[0]}; for a self-hosted server, its host name (and port).`
            : "The server's host name, with a port if it is not the default."
        }
      />
      {withVirtualDirectory && (
        <TextField
          label="Virtual directory"
          value={virtualDirectory}
          placeholder="/tfs"
          onChange={(e) => setVirtualDirectory(e.target.value)}
          error={fields.virtualDirectory}
          hint="Only for an Azure DevOps Server installed under a path; leave empty for Azure DevOps Services."
        />
      )}
      {withOAuth ? (
        <>
          {scm.oauth?.callbackUrl && (
            <OnceValue
              id="callback-url"
              label="Callback URL to register in the OAuth app"
              value={scm.oauth.callbackUrl}
            />
          )}
          <TextField
            label="OAuth client ID"
            value={clientId}
            onChange={(e) => setClientId(e.target.value)}
            error={fields.oauthClientId}
            hint="Leave empty for an integration without OAuth."
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
          {clientId.trim() !== "" && (
            <TextField
              label="OAuth issuer URL"
              inputMode="url"
              value={issuerUrl}
              placeholder={`https://${host.trim() || scm.defaultHosts[0] || "github.example.com"}`}
              onChange={(e) => setIssuerUrl(e.target.value)}
              error={issuerError ?? fields.issuerUrl}
              hint="Only when the OAuth provider is not the SCM host itself; leave empty otherwise."
            />
          )}
        </>
      ) : (
        <p className="muted">This runner does not offer OAuth for {scm?.name || scm?.scmId}.</p>
      )}
      {withPat ? (
        <div className="field field-check">
          <label htmlFor="scm-pat">Allow personal access tokens</label>
          <input
            id="scm-pat"
            type="checkbox"
            checked={pat}
            aria-describedby={scm.pat?.description || scm.pat?.docsLink ? "scm-pat-hint" : undefined}
            onChange={(e) => setPat(e.target.checked)}
          />
          <PatHint id="scm-pat-hint" scm={scm} />
        </div>
      ) : (
        <p className="muted">This runner does not take personal access tokens for {scm?.name || scm?.scmId}.</p>
      )}
      {notice ? <ErrorNotice error={error} action="change SCM integrations" /> : null}
      {created && (
        <p className="success" role="status">
          Integration added.
        </p>
      )}
      <button type="submit" disabled={creating}>
        Add integration
      </button>
    </form>
  );
}

/** The schema's guidance on personal access tokens for an SCM: what they are and where to make one. */
function PatHint({ id, scm }: { id: string; scm: ScmSchema | undefined }) {
  const { description = "", docsLink = "" } = scm?.pat ?? {};
  if (!description && !docsLink) return null;
  return (
    <p className="hint" id={id}>
      {description}
      {description && docsLink ? " " : ""}
      {docsLink && (
        <a href={docsLink} target="_blank" rel="noreferrer noopener">
          How to create one for {scm?.name || scm?.scmId}
        </a>
      )}
    </p>
  );
}

/**
 * Edit one integration: the OAuth app's client id and secret (an empty secret keeps the sealed
 * one; an empty client id removes the OAuth app and the OAuth tokens obtained through it), its
 * issuer URL, whether personal access tokens are allowed (turning it off deletes the PATs for the
 * host), and an Azure DevOps Server's virtual directory. The host and SCM cannot change
 * (UpdateSCMIntegration carries neither).
 */
function EditIntegration({
  integration,
  scm,
  error,
  saving,
  onSave,
  onCancel,
}: {
  integration: SCMIntegration;
  /** The runner schema's entry for this integration's SCM, when the schema has loaded. */
  scm: ScmSchema | undefined;
  error: unknown;
  saving: boolean;
  onSave: (c: IntegrationChanges) => void;
  onCancel: () => void;
}) {
  const [clientId, setClientId] = useState(integration.oauth?.clientId ?? "");
  const [clientSecret, setClientSecret] = useState("");
  const [issuerUrl, setIssuerUrl] = useState(integration.oauth?.issuerUrl ?? "");
  const [pat, setPat] = useState(integration.pat);
  const [virtualDirectory, setVirtualDirectory] = useState(integration.virtualDirectory ?? "");
  const [issuerChecked, setIssuerChecked] = useState(false);
  const { fields, notice } = formErrors(error);
  const host = integration.host;
  const removesOAuth = integration.oauth !== undefined && clientId.trim() === "";
  const removesPats = integration.pat && !pat;
  const issuerError = issuerChecked ? issuerUrlError(issuerUrl.trim()) : undefined;
  const callbackUrl = scm?.oauth?.callbackUrl;
  return (
    <form
      id={`edit-${integration.id}`}
      className="form card"
      aria-label={`Edit integration ${host}`}
      onSubmit={(e) => {
        e.preventDefault();
        const id = clientId.trim();
        const issuer = issuerUrl.trim();
        const directory = virtualDirectory.trim();
        setIssuerChecked(true);
        if (id && issuerUrlError(issuer)) return;
        onSave({
          id: integration.id,
          pat,
          ...(id !== (integration.oauth?.clientId ?? "") ? { clientId: id } : {}),
          ...(clientSecret && id ? { clientSecret } : {}),
          ...(id && issuer !== (integration.oauth?.issuerUrl ?? "") ? { issuerUrl: issuer } : {}),
          ...(directory !== (integration.virtualDirectory ?? "") ? { virtualDirectory: directory } : {}),
        });
      }}
    >
      <TextField
        label={`OAuth client ID for ${host}`}
        value={clientId}
        onChange={(e) => setClientId(e.target.value)}
        error={fields.oauthClientId}
        {...(removesOAuth
          ? { hint: "Empty removes the OAuth app, and the accounts connected through it are disconnected." }
          : {})}
      />
      <TextField
        label={`OAuth client secret for ${host}`}
        type="password"
        autoComplete="off"
        value={clientSecret}
        onChange={(e) => setClientSecret(e.target.value)}
        error={fields.oauthPlaintextClientSecret}
        hint={
          integration.oauth
            ? "Empty keeps the current secret. A new one is sealed to the runner's key and never shown again."
            : "Required with a new client ID; sealed to the runner's key and never shown again."
        }
      />
      {clientId.trim() !== "" && (
        <TextField
          label={`OAuth issuer URL for ${host}`}
          inputMode="url"
          value={issuerUrl}
          placeholder={`https://${host}`}
          onChange={(e) => setIssuerUrl(e.target.value)}
          error={issuerError ?? fields.issuerUrl}
          hint="Only when the OAuth provider is not the SCM host itself; empty: the host."
        />
      )}
      {callbackUrl && clientId.trim() !== "" && (
        <OnceValue
          id={`callback-url-${integration.id}`}
          label={`Callback URL to register in the OAuth app for ${host}`}
          value={callbackUrl}
        />
      )}
      <div className="field field-check">
        <label htmlFor={`pat-${integration.id}`}>Allow personal access tokens for {host}</label>
        <input
          id={`pat-${integration.id}`}
          type="checkbox"
          checked={pat}
          aria-describedby={removesPats ? `pat-${integration.id}-warning` : undefined}
          onChange={(e) => setPat(e.target.checked)}
        />
      </div>
      {removesPats && (
        <p className="hint" id={`pat-${integration.id}-warning`}>
          Turning this off deletes the personal access tokens people stored for this host.
        </p>
      )}
      {integration.scmId === virtualDirectoryScm && (
        <TextField
          label={`Virtual directory for ${host}`}
          value={virtualDirectory}
          placeholder="/tfs"
          onChange={(e) => setVirtualDirectory(e.target.value)}
          error={fields.virtualDirectory}
          hint="An Azure DevOps Server installed under a path; empty: none."
        />
      )}
      {notice ? <ErrorNotice error={error} action={`change the integration for ${host}`} /> : null}
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
