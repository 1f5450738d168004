import { type SSOConfiguration, SSOConfigurationState } from "@runnerplane/api/gitpod/v1/organization_pb";
import { useState } from "react";
import { formErrors } from "../../api/errors";
import { ConfirmButton } from "../../components/ConfirmButton";
import { OnceValue } from "../../components/CopyButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ListState } from "../../components/ListState";
import { TextField } from "../../components/TextField";
import { enumLabel } from "../../modules/labels";

export interface NewSsoConfiguration {
  displayName: string;
  issuerUrl: string;
  clientId: string;
  clientSecret: string;
  emailDomains: string[];
}

/** What UpdateSSOConfiguration changes; absent: unchanged (the secret is never shown, only replaced). */
export interface SsoChanges {
  id: string;
  displayName?: string;
  issuerUrl?: string;
  clientId?: string;
  clientSecret?: string;
  emailDomains?: string[];
  state?: SSOConfigurationState;
}

/** "example.com, example.org" or one per line → the list the request carries. */
export function parseDomains(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((d) => d.trim())
    .filter(Boolean);
}

const domainsOf = (c: SSOConfiguration) =>
  c.emailDomains.length ? c.emailDomains : c.emailDomain ? [c.emailDomain] : [];
const active = SSOConfigurationState.SSO_CONFIGURATION_STATE_ACTIVE;
const inactive = SSOConfigurationState.SSO_CONFIGURATION_STATE_INACTIVE;

export function SsoPageView({
  redirectUri,
  configurations,
  listError,
  createError,
  creating,
  onCreate,
  onUpdate,
  updateError,
  updating,
  onDelete,
  deleteError,
  deleting,
}: {
  redirectUri: string;
  configurations: SSOConfiguration[] | undefined;
  listError: unknown;
  createError: unknown;
  creating: boolean;
  /** Settles when the server answered; the form empties on success. */
  onCreate: (c: NewSsoConfiguration) => Promise<unknown>;
  /** Settles when the server answered; the editor closes on success. */
  onUpdate: (c: SsoChanges) => Promise<unknown>;
  updateError: unknown;
  updating: boolean;
  onDelete: (id: string) => void;
  deleteError: unknown;
  deleting: boolean;
}) {
  const [editing, setEditing] = useState("");
  // A state switch is an update too; its refusal (a failed discovery check) is shown above the list.
  const [switchingState, setSwitchingState] = useState(false);
  return (
    <section>
      <h1>Single sign-on</h1>
      <OnceValue id="redirect-uri" label="Redirect URI to register with your identity provider" value={redirectUri} />
      {deleteError ? <ErrorNotice error={deleteError} action="delete SSO configurations" /> : null}
      {switchingState && updateError ? <ErrorNotice error={updateError} action="change SSO configurations" /> : null}
      <ListState
        items={configurations}
        error={listError}
        label="SSO configurations"
        empty={<p>No SSO configuration: people sign in with personal access tokens.</p>}
      >
        {(items) => (
          <ul className="rows">
            {items.map((c) => (
              <li key={c.id} className="row-with-form">
                <span>
                  <strong>{c.displayName || c.issuerUrl}</strong>{" "}
                  <span className="muted">
                    {enumLabel(SSOConfigurationState, c.state)} — {domainsOf(c).join(", ") || "no domain"}
                  </span>
                </span>
                <span className="actions">
                  <button
                    type="button"
                    className="secondary"
                    disabled={updating}
                    onClick={() => {
                      setSwitchingState(true);
                      onUpdate({ id: c.id, state: c.state === active ? inactive : active }).catch(() => {});
                    }}
                  >
                    {c.state === active ? "Deactivate" : "Activate"}
                  </button>
                  <button
                    type="button"
                    className="secondary"
                    aria-label={`Edit SSO configuration ${c.issuerUrl}`}
                    aria-expanded={editing === c.id}
                    aria-controls={`edit-sso-${c.id}`}
                    onClick={() => {
                      setSwitchingState(false);
                      setEditing(editing === c.id ? "" : c.id);
                    }}
                  >
                    Edit
                  </button>
                  <ConfirmButton
                    label="Delete"
                    name={`Delete SSO configuration ${c.issuerUrl}`}
                    question={`Delete the SSO configuration for ${c.issuerUrl}? People of its domains can no longer sign in through it.`}
                    confirmLabel="Delete configuration"
                    pending={deleting}
                    onConfirm={() => onDelete(c.id)}
                  />
                </span>
                {editing === c.id && (
                  <EditSso
                    configuration={c}
                    error={switchingState ? undefined : updateError}
                    saving={updating}
                    onCancel={() => setEditing("")}
                    onSave={(changes) => {
                      setSwitchingState(false);
                      onUpdate(changes).then(
                        () => setEditing(""),
                        () => {},
                      );
                    }}
                  />
                )}
              </li>
            ))}
          </ul>
        )}
      </ListState>
      <section className="card" aria-labelledby="new-sso-heading">
        <h2 id="new-sso-heading">New SSO configuration</h2>
        <NewSsoForm error={createError} creating={creating} onCreate={onCreate} />
      </section>
    </section>
  );
}

function NewSsoForm({
  error,
  creating,
  onCreate,
}: {
  error: unknown;
  creating: boolean;
  onCreate: (c: NewSsoConfiguration) => Promise<unknown>;
}) {
  const [displayName, setDisplayName] = useState("");
  const [issuerUrl, setIssuerUrl] = useState("");
  const [clientId, setClientId] = useState("");
  const [clientSecret, setClientSecret] = useState("");
  const [domains, setDomains] = useState("");
  const { fields, notice } = formErrors(error);
  return (
    <form
      className="form"
      aria-label="New SSO configuration"
      onSubmit={(e) => {
        e.preventDefault();
        onCreate({
          displayName: displayName.trim(),
          issuerUrl: issuerUrl.trim(),
          clientId: clientId.trim(),
          clientSecret,
          emailDomains: parseDomains(domains),
        }).then(
          () => {
            for (const clear of [setDisplayName, setIssuerUrl, setClientId, setClientSecret, setDomains]) clear("");
          },
          () => {},
        );
      }}
    >
      <TextField
        label="Display name"
        value={displayName}
        onChange={(e) => setDisplayName(e.target.value)}
        error={fields.displayName}
        hint="What the sign-in page and this list call it; empty: the issuer URL."
      />
      <TextField
        label="Issuer URL"
        type="url"
        value={issuerUrl}
        onChange={(e) => setIssuerUrl(e.target.value)}
        error={fields.issuerUrl}
      />
      <TextField
        label="Client ID"
        value={clientId}
        onChange={(e) => setClientId(e.target.value)}
        error={fields.clientId}
      />
      <TextField
        label="Client secret"
        type="password"
        autoComplete="off"
        value={clientSecret}
        onChange={(e) => setClientSecret(e.target.value)}
        error={fields.clientSecret}
        hint="Encrypted by the server and never shown again."
      />
      <TextField
        label="Email domains"
        value={domains}
        placeholder="example.com, example.org"
        onChange={(e) => setDomains(e.target.value)}
        error={fields.emailDomains ?? fields.emailDomain}
      />
      {notice && <ErrorNotice error={error} action="configure SSO" />}
      <button type="submit" disabled={creating}>
        Save SSO configuration
      </button>
    </form>
  );
}

/**
 * Edit one configuration: display name, issuer, client id and secret (empty keeps the stored one)
 * and the email domains. Only what changed is sent; an active configuration whose connection
 * changes is checked against the issuer again by the server.
 */
function EditSso({
  configuration: c,
  error,
  saving,
  onSave,
  onCancel,
}: {
  configuration: SSOConfiguration;
  error: unknown;
  saving: boolean;
  onSave: (changes: SsoChanges) => void;
  onCancel: () => void;
}) {
  const [displayName, setDisplayName] = useState(c.displayName);
  const [issuerUrl, setIssuerUrl] = useState(c.issuerUrl);
  const [clientId, setClientId] = useState(c.clientId);
  const [clientSecret, setClientSecret] = useState("");
  const [domains, setDomains] = useState(domainsOf(c).join(", "));
  const [domainsError, setDomainsError] = useState<string | undefined>();
  const { fields, notice } = formErrors(error);
  const label = c.issuerUrl;
  return (
    <form
      id={`edit-sso-${c.id}`}
      className="form card"
      aria-label={`Edit SSO configuration ${label}`}
      onSubmit={(e) => {
        e.preventDefault();
        const list = parseDomains(domains);
        // An empty list in UpdateSSOConfiguration means "unchanged": say so rather than send it.
        if (list.length === 0) {
          setDomainsError("name at least one email domain; delete the configuration to stop using it");
          return;
        }
        setDomainsError(undefined);
        const before = domainsOf(c);
        const sameDomains = list.length === before.length && list.every((d, i) => d === before[i]);
        onSave({
          id: c.id,
          ...(displayName.trim() !== c.displayName ? { displayName: displayName.trim() } : {}),
          ...(issuerUrl.trim() !== c.issuerUrl ? { issuerUrl: issuerUrl.trim() } : {}),
          ...(clientId.trim() !== c.clientId ? { clientId: clientId.trim() } : {}),
          ...(clientSecret ? { clientSecret } : {}),
          ...(sameDomains ? {} : { emailDomains: list }),
        });
      }}
    >
      <TextField
        label={`Display name for ${label}`}
        value={displayName}
        onChange={(e) => setDisplayName(e.target.value)}
        error={fields.displayName}
      />
      <TextField
        label={`Issuer URL for ${label}`}
        type="url"
        value={issuerUrl}
        onChange={(e) => setIssuerUrl(e.target.value)}
        error={fields.issuerUrl}
      />
      <TextField
        label={`Client ID for ${label}`}
        value={clientId}
        onChange={(e) => setClientId(e.target.value)}
        error={fields.clientId}
      />
      <TextField
        label={`Client secret for ${label}`}
        type="password"
        autoComplete="off"
        value={clientSecret}
        onChange={(e) => setClientSecret(e.target.value)}
        error={fields.clientSecret}
        hint="Empty keeps the current secret."
      />
      <TextField
        label={`Email domains for ${label}`}
        value={domains}
        onChange={(e) => setDomains(e.target.value)}
        error={domainsError ?? fields.emailDomains ?? fields.emailDomain}
      />
      {notice ? <ErrorNotice error={error} action={`change the SSO configuration for ${label}`} /> : null}
      <span className="actions">
        <button type="submit" disabled={saving}>
          Save SSO configuration
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </span>
    </form>
  );
}
