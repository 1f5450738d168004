import type { ServiceAccount } from "@runnerplane/api/gitpod/v1/service_account_pb";
import { useState } from "react";
import { formErrors } from "../../api/errors";
import { ConfirmButton } from "../../components/ConfirmButton";
import { OnceValue } from "../../components/CopyButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ListState } from "../../components/ListState";
import { TextField } from "../../components/TextField";
import { Time } from "../../components/Time";

export interface NewServiceAccount {
  name: string;
  description: string;
  /** The end of the chosen day, UTC; undefined when the date field holds no date. */
  validUntil: Date | undefined;
}

/** `YYYY-MM-DD`, a year from now: the default end of a new service account's validity. */
function aYearFromNow(): string {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() + 1);
  return d.toISOString().slice(0, 10);
}

export function ServiceAccountsPageView({
  accounts,
  listError,
  issuedToken,
  actionError,
  onIssue,
  onDelete,
  deleting,
  createError,
  creating,
  onCreate,
}: {
  accounts: ServiceAccount[] | undefined;
  listError: unknown;
  /** A token just issued, shown once. */
  issuedToken: string | undefined;
  /** A refused token issue or delete. */
  actionError: unknown;
  onIssue: (id: string) => void;
  onDelete: (id: string) => void;
  deleting: boolean;
  createError: unknown;
  creating: boolean;
  onCreate: (a: NewServiceAccount) => void;
}) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [validUntil, setValidUntil] = useState(aYearFromNow);
  const { fields, notice } = formErrors(createError);
  return (
    <section>
      <h1>Service accounts</h1>
      {issuedToken && <OnceValue id="sa-token" label="New service account token (shown once)" value={issuedToken} />}
      {actionError ? <ErrorNotice error={actionError} action="manage service accounts" /> : null}
      <ListState
        items={accounts}
        error={listError}
        label="service accounts"
        empty={<p>No service accounts yet. Create one for automation that should not act as a person.</p>}
      >
        {(items) => (
          <ul className="rows">
            {items.map((a) => (
              <li key={a.id}>
                <span>
                  <strong>{a.name}</strong>{" "}
                  <span className="muted">
                    {a.description} created <Time value={a.createdAt} />
                    {a.validUntil ? (
                      <>
                        , valid until <Time value={a.validUntil} />
                      </>
                    ) : null}
                  </span>
                </span>
                <span className="actions">
                  <button
                    type="button"
                    className="secondary"
                    aria-label={`Issue a token for ${a.name}`}
                    onClick={() => onIssue(a.id)}
                  >
                    Issue token
                  </button>
                  <ConfirmButton
                    label="Delete"
                    name={`Delete ${a.name}`}
                    question={`Delete ${a.name}? Its tokens stop working at once.`}
                    confirmLabel={`Delete ${a.name}`}
                    pending={deleting}
                    onConfirm={() => onDelete(a.id)}
                  />
                </span>
              </li>
            ))}
          </ul>
        )}
      </ListState>
      <section className="card" aria-labelledby="new-sa-heading">
        <h2 id="new-sa-heading">New service account</h2>
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            // The end of the chosen day, UTC; the server refuses a day already over.
            const until = new Date(`${validUntil}T23:59:59Z`);
            onCreate({
              name: name.trim(),
              description,
              validUntil: Number.isNaN(until.getTime()) ? undefined : until,
            });
          }}
        >
          <TextField
            label="Service account name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            error={fields.name}
          />
          <TextField
            label="Service account description"
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            error={fields.description}
          />
          <TextField
            label="Valid until"
            type="date"
            required
            value={validUntil}
            onChange={(e) => setValidUntil(e.target.value)}
            error={fields.validUntil}
            hint="The service account and its tokens stop working after this day (UTC)."
          />
          {notice && <ErrorNotice error={createError} action="create service accounts" />}
          <button type="submit" disabled={creating}>
            Create service account
          </button>
        </form>
      </section>
    </section>
  );
}
