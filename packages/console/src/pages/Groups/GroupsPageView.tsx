import type { Group } from "@runnerplane/api/gitpod/v1/group_pb";
import { useState } from "react";
import { Link } from "wouter";
import { formErrors } from "../../api/errors";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ListState } from "../../components/ListState";
import { TextField } from "../../components/TextField";

export function GroupsPageView({
  groups,
  listError,
  createError,
  creating,
  onCreate,
}: {
  groups: Group[] | undefined;
  listError: unknown;
  createError: unknown;
  creating: boolean;
  /** Settles when the server answered; the form empties on success. */
  onCreate: (name: string, description: string) => Promise<unknown>;
}) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const { fields, notice } = formErrors(createError);
  return (
    <section>
      <h1>Groups</h1>
      <ListState
        items={groups}
        error={listError}
        label="groups"
        empty={<p>No groups yet. Create one to give its members a role on runners.</p>}
      >
        {(items) => (
          <ul className="rows">
            {items.map((g) => (
              <li key={g.id}>
                <span>
                  <Link href={`/groups/${g.id}`}>{g.name}</Link>{" "}
                  <span className="muted">
                    {g.memberCount} member{g.memberCount === 1 ? "" : "s"}
                    {g.description ? ` — ${g.description}` : ""}
                  </span>
                </span>
              </li>
            ))}
          </ul>
        )}
      </ListState>
      <section className="card" aria-labelledby="new-group-heading">
        <h2 id="new-group-heading">New group</h2>
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            onCreate(name.trim(), description).then(
              () => {
                setName("");
                setDescription("");
              },
              () => {},
            );
          }}
        >
          <TextField label="Group name" value={name} onChange={(e) => setName(e.target.value)} error={fields.name} />
          <TextField
            label="Group description"
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            error={fields.description}
          />
          {notice && <ErrorNotice error={createError} action="create groups" />}
          <button type="submit" disabled={creating}>
            Create group
          </button>
        </form>
      </section>
    </section>
  );
}
