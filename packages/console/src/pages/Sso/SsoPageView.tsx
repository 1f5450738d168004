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
  const [values, setValues] = useState(emptySsoValues);
  const { fields, notice } = formErrors(error);
  return (
    <form
      className="form"
      aria-label="New SSO configuration"
      onSubmit={(e) => {
        e.preventDefault();
        onCreate({
          displayName: values.displayName.trim(),
          issuerUrl: values.issuerUrl.trim(),
          clientId: values.clientId.trim(),
          clientSecret: values.clientSecret,
          emailDomains: parseDomains(values.domains),
        }).then(
          () => setValues(emptySsoValues),
          () => {},
        );
      }}
    >
      <SsoFields
        values={values}
        onChange={setValues}
        errors={fields}
        hints={{
          displayName: "What the sign-in page and this list call it; empty: the issuer URL.",
          clientSecret: "Encrypted by the server and never shown again.",
        }}
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
  const [values, setValues] = useState<SsoValues>({
    displayName: c.displayName,
    issuerUrl: c.issuerUrl,
    clientId: c.clientId,
    clientSecret: "",
    domains: domainsOf(c).join(", "),
  });
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
        const list = parseDomains(values.domains);
        // An empty list in UpdateSSOConfiguration means "unchanged": say so rather than send it.
        if (list.length === 0) {
          setDomainsError("name at least one email domain; delete the configuration to stop using it");
          return;
        }
        setDomainsError(undefined);
        const before = domainsOf(c);
        const sameDomains = list.length === before.length && list.every((d, i) => d === before[i]);
        const displayName = values.displayName.trim();
        const issuerUrl = values.issuerUrl.trim();
        const clientId = values.clientId.trim();
        onSave({
          id: c.id,
          ...(displayName !== c.displayName ? { displayName } : {}),
          ...(issuerUrl !== c.issuerUrl ? { issuerUrl } : {}),
          ...(clientId !== c.clientId ? { clientId } : {}),
          ...(values.clientSecret ? { clientSecret: values.clientSecret } : {}),
          ...(sameDomains ? {} : { emailDomains: list }),
        });
      }}
    >
      <SsoFields
        values={values}
        onChange={setValues}
        errors={{ ...fields, ...(domainsError ? { emailDomains: domainsError } : {}) }}
        labelSuffix={` for ${label}`}
        hints={{ clientSecret: "Empty keeps the current secret." }}
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

/** What the SSO forms hold, as typed. */
interface SsoValues {
  displayName: string;
  issuerUrl: string;
  clientId: string;
  clientSecret: string;
  /** "example.com, example.org" or one per line (parseDomains). */
  domains: string;
}

const emptySsoValues: SsoValues = { displayName: "", issuerUrl: "", clientId: "", clientSecret: "", domains: "" };

/** The fields of an SSO configuration, shared by the new and the edit form. */
function SsoFields({
  values,
  onChange,
  errors,
  labelSuffix = "",
  hints,
}: {
  values: SsoValues;
  onChange: (values: SsoValues) => void;
  /** Field violations by request field name (formErrors). */
  errors: Record<string, string | undefined>;
  /** Tells the edit forms of several configurations apart (" for <issuer>"). */
  labelSuffix?: string;
  hints: { displayName?: string; clientSecret?: string };
}) {
  const set = (patch: Partial<SsoValues>) => onChange({ ...values, ...patch });
  return (
    <>
      <TextField
        label={`Display name${labelSuffix}`}
        value={values.displayName}
        onChange={(e) => set({ displayName: e.target.value })}
        error={errors.displayName}
        {...(hints.displayName ? { hint: hints.displayName } : {})}
      />
      <TextField
        label={`Issuer URL${labelSuffix}`}
        type="url"
        value={values.issuerUrl}
        onChange={(e) => set({ issuerUrl: e.target.value })}
        error={errors.issuerUrl}
      />
      <TextField
        label={`Client ID${labelSuffix}`}
        value={values.clientId}
        onChange={(e) => set({ clientId: e.target.value })}
        error={errors.clientId}
      />
      <TextField
        label={`Client secret${labelSuffix}`}
        type="password"
        autoComplete="off"
        value={values.clientSecret}
        onChange={(e) => set({ clientSecret: e.target.value })}
        error={errors.clientSecret}
        {...(hints.clientSecret ? { hint: hints.clientSecret } : {})}
      />
      <TextField
        label={`Email domains${labelSuffix}`}
        value={values.domains}
        placeholder="example.com, example.org"
        onChange={(e) => set({ domains: e.target.value })}
        error={errors.emailDomains ?? errors.emailDomain}
      />
    </>
  );
}
