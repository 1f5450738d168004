import { useMutation, useQuery } from "@connectrpc/connect-query";
import { UserService } from "@runnerplane/api/gitpod/v1/user_pb";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { invalidateUsers } from "../../api/invalidate";
import { useSession } from "../../api/session-context";
import { ConfirmButton } from "../../components/ConfirmButton";
import { OnceValue } from "../../components/CopyButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ListState } from "../../components/ListState";
import { TextField } from "../../components/TextField";
import { Time } from "../../components/Time";

const day = 86_400n;

/** Your personal access tokens: create (value shown once), see when they were used, delete. */
export default function TokensPage() {
  const session = useSession();
  const queryClient = useQueryClient();
  const tokens = useQuery(UserService.method.listPersonalAccessTokens, {
    filter: { userIds: [session.subjectId] },
    pagination: { pageSize: 100 },
  });
  const onSuccess = () => invalidateUsers(queryClient);
  const create = useMutation(UserService.method.createPersonalAccessToken, { onSuccess });
  const remove = useMutation(UserService.method.deletePersonalAccessToken, { onSuccess });
  const [description, setDescription] = useState("");
  const [days, setDays] = useState("30");
  return (
    <section>
      <h1>Personal access tokens</h1>
      <p>Tokens act as you in scripts and API clients. Each value is shown once, when it is created.</p>
      {create.data && <OnceValue id="new-pat" label="New token (shown once)" value={create.data.token} />}
      <section className="card" aria-labelledby="new-pat-heading">
        <h2 id="new-pat-heading">New token</h2>
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate({
              userId: session.subjectId,
              description: description.trim(),
              validFor: { seconds: BigInt(Math.max(1, Number(days) || 1)) * day },
            });
          }}
        >
          <TextField label="Token description" value={description} onChange={(e) => setDescription(e.target.value)} />
          <TextField
            label="Valid for (days)"
            type="number"
            min={1}
            max={90}
            value={days}
            onChange={(e) => setDays(e.target.value)}
          />
          {create.error && <ErrorNotice error={create.error} action="create tokens" />}
          <button type="submit" disabled={create.isPending}>
            Create token
          </button>
        </form>
      </section>
      <h2>Your tokens</h2>
      {remove.error && <ErrorNotice error={remove.error} action="delete this token" />}
      <ListState
        items={tokens.data?.personalAccessTokens}
        error={tokens.error}
        label="personal access tokens"
        empty={<p>You have no personal access tokens.</p>}
      >
        {(items) => (
          <ul className="rows">
            {items.map((t) => (
              <li key={t.id}>
                <span>
                  <strong>{t.description || "Untitled token"}</strong>{" "}
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
                  pending={remove.isPending}
                  onConfirm={() => remove.mutate({ personalAccessTokenId: t.id })}
                />
              </li>
            ))}
          </ul>
        )}
      </ListState>
    </section>
  );
}
