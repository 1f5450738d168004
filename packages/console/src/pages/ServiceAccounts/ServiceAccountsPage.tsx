import { useMutation, useQuery } from "@connectrpc/connect-query";
import { ServiceAccountService } from "@runnerplane/api/gitpod/v1/service_account_pb";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { describeError } from "../../api/errors";
import { invalidateServiceAccounts } from "../../api/invalidate";
import { OnceValue } from "../../components/CopyButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ListState } from "../../components/ListState";
import { TextField } from "../../components/TextField";
import { Time } from "../../components/Time";

/** Service accounts (org admins): create, issue a token (shown once), delete. */
export default function ServiceAccountsPage() {
  const queryClient = useQueryClient();
  const accounts = useQuery(ServiceAccountService.method.listServiceAccounts, { pagination: { pageSize: 100 } });
  const onSuccess = () => invalidateServiceAccounts(queryClient);
  const create = useMutation(ServiceAccountService.method.createServiceAccount, { onSuccess });
  const remove = useMutation(ServiceAccountService.method.deleteServiceAccount, { onSuccess });
  const issue = useMutation(ServiceAccountService.method.createServiceAccountAccessToken, { onSuccess });
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const fields = create.error ? describeError(create.error).fields : {};
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
                  <button
                    type="button"
                    className="secondary"
                    aria-label={`Delete ${a.name}`}
                    onClick={() => remove.mutate({ serviceAccountId: a.id })}
                  >
                    Delete
                  </button>
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
            create.mutate({ name: name.trim(), description });
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
          />
          {create.error && Object.keys(fields).length === 0 && (
            <ErrorNotice error={create.error} action="create service accounts" />
          )}
          <button type="submit" disabled={create.isPending}>
            Create service account
          </button>
        </form>
      </section>
    </section>
  );
}
