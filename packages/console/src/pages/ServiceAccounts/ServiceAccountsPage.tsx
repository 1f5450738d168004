import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { ServiceAccountService } from "@runnerplane/api/gitpod/v1/service_account_pb";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formErrors } from "../../api/errors";
import { invalidateServiceAccounts } from "../../api/invalidate";
import { ConfirmButton } from "../../components/ConfirmButton";
import { OnceValue } from "../../components/CopyButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ListState } from "../../components/ListState";
import { TextField } from "../../components/TextField";
import { Time } from "../../components/Time";

/** `YYYY-MM-DD`, a year from now: the default end of a new service account's validity. */
function aYearFromNow(): string {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() + 1);
  return d.toISOString().slice(0, 10);
}

/** Service accounts (org admins): create (valid until a chosen day), issue a token (shown once), delete. */
export default function ServiceAccountsPage() {
  const queryClient = useQueryClient();
  const accounts = useQuery(ServiceAccountService.method.listServiceAccounts, { pagination: { pageSize: 100 } });
  const onSuccess = () => invalidateServiceAccounts(queryClient);
  const create = useMutation(ServiceAccountService.method.createServiceAccount, { onSuccess });
  const remove = useMutation(ServiceAccountService.method.deleteServiceAccount, { onSuccess });
  const issue = useMutation(ServiceAccountService.method.createServiceAccountAccessToken, { onSuccess });
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [validUntil, setValidUntil] = useState(aYearFromNow);
  const { fields, notice } = formErrors(create.error);
  return (
    <section>
      <h1>Service accounts</h1>
      {issue.data && (
        <OnceValue id="sa-token" label="New service account token (shown once)" value={issue.data.token} />
      )}
      {(issue.error || remove.error) && (
        <ErrorNotice error={issue.error ?? remove.error} action="manage service accounts" />
      )}
      <ListState
        items={accounts.data?.serviceAccounts}
        error={accounts.error}
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
                    onClick={() => issue.mutate({ serviceAccountId: a.id })}
                  >
                    Issue token
                  </button>
                  <ConfirmButton
                    label="Delete"
                    name={`Delete ${a.name}`}
                    question={`Delete ${a.name}? Its tokens stop working at once.`}
                    confirmLabel={`Delete ${a.name}`}
                    pending={remove.isPending}
                    onConfirm={() => remove.mutate({ serviceAccountId: a.id })}
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
            create.mutate({
              name: name.trim(),
              description,
              ...(Number.isNaN(until.getTime()) ? {} : { validUntil: timestampFromDate(until) }),
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
          {notice && <ErrorNotice error={create.error} action="create service accounts" />}
          <button type="submit" disabled={create.isPending}>
            Create service account
          </button>
        </form>
      </section>
    </section>
  );
}
