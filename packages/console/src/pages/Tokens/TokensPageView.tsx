import type { PersonalAccessToken } from "@runnerplane/api/gitpod/v1/user_pb";
import { useState } from "react";
import { formErrors } from "../../api/errors";
import { ConfirmButton } from "../../components/ConfirmButton";
import { OnceValue } from "../../components/CopyButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ListState } from "../../components/ListState";
import { TextField } from "../../components/TextField";
import { Time } from "../../components/Time";

export interface NewToken {
  description: string;
  /** 1–90 (CreatePersonalAccessToken allows at most 90 days). */
  days: number;
  readOnly: boolean;
}

export function TokensPageView({
  tokens,
  listError,
  created,
  createError,
  creating,
  onCreate,
  onDelete,
  deleteError,
  deleting,
}: {
  tokens: PersonalAccessToken[] | undefined;
  listError: unknown;
  /** The value of the token just created, shown once. */
  created: string | undefined;
  createError: unknown;
  creating: boolean;
  onCreate: (t: NewToken) => void;
  onDelete: (id: string) => void;
  deleteError: unknown;
  deleting: boolean;
}) {
  const [description, setDescription] = useState("");
  const [days, setDays] = useState("30");
  const [readOnly, setReadOnly] = useState(false);
  const { fields, notice } = formErrors(createError);
  return (
    <section>
      <h1>Personal access tokens</h1>
      <p>Tokens act as you in scripts and API clients. Each value is shown once, when it is created.</p>
      {created && <OnceValue id="new-pat" label="New token (shown once)" value={created} />}
      <section className="card" aria-labelledby="new-pat-heading">
        <h2 id="new-pat-heading">New token</h2>
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            onCreate({ description: description.trim(), days: Math.min(90, Math.max(1, Number(days) || 1)), readOnly });
          }}
        >
          <TextField
            label="Token description"
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            error={fields.description}
          />
          <TextField
            label="Valid for (days)"
            type="number"
            min={1}
            max={90}
            value={days}
            onChange={(e) => setDays(e.target.value)}
            error={fields.validFor}
            hint="At most 90 days."
          />
          <div className="field field-check">
            <label htmlFor="pat-read-only">Read-only</label>
            <input
              id="pat-read-only"
              type="checkbox"
              checked={readOnly}
              aria-describedby="pat-read-only-hint"
              onChange={(e) => setReadOnly(e.target.checked)}
            />
            <p className="hint" id="pat-read-only-hint">
              A read-only token may only make calls that change nothing.
            </p>
          </div>
          {notice && <ErrorNotice error={createError} action="create tokens" />}
          <button type="submit" disabled={creating}>
            Create token
          </button>
        </form>
      </section>
      <h2>Your tokens</h2>
      {deleteError ? <ErrorNotice error={deleteError} action="delete this token" /> : null}
      <ListState
        items={tokens}
        error={listError}
        label="personal access tokens"
        empty={<p>You have no personal access tokens.</p>}
      >
        {(items) => (
          <ul className="rows">
            {items.map((t) => (
              <li key={t.id}>
                <span>
                  <strong>{t.description || "Untitled token"}</strong>
                  {t.readOnly ? " (read-only)" : ""}{" "}
                  <span className="muted">
                    created <Time value={t.createdAt} />, last used <Time value={t.lastUsed} />, expires{" "}
                    <Time value={t.expiresAt} never="never" />
                  </span>
                </span>
                <ConfirmButton
                  label="Delete"
                  name={`Delete token ${t.description || t.id}`}
                  question={`Delete ${t.description || "this token"}? Scripts that use it stop working at once.`}
                  confirmLabel="Delete token"
                  pending={deleting}
                  onConfirm={() => onDelete(t.id)}
                />
              </li>
            ))}
          </ul>
        )}
      </ListState>
    </section>
  );
}
