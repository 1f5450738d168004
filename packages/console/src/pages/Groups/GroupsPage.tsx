import { useMutation, useQuery } from "@connectrpc/connect-query";
import { GroupService } from "@runnerplane/api/gitpod/v1/group_pb";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "wouter";
import { formErrors } from "../../api/errors";
import { invalidateGroups } from "../../api/invalidate";
import { useSession } from "../../api/session-context";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ListState } from "../../components/ListState";
import { TextField } from "../../components/TextField";

export default function GroupsPage() {
  const session = useSession();
  const queryClient = useQueryClient();
  const groups = useQuery(GroupService.method.listGroups, { pagination: { pageSize: 100 } });
  const create = useMutation(GroupService.method.createGroup, {
    onSuccess: async () => {
      setName("");
      setDescription("");
      await invalidateGroups(queryClient);
    },
  });
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const { fields, notice } = formErrors(create.error);
  return (
    <section>
      <h1>Groups</h1>
      <ListState
        items={groups.data?.groups}
        error={groups.error}
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
            create.mutate({ organizationId: session.organizationId, name: name.trim(), description });
          }}
        >
          <TextField label="Group name" value={name} onChange={(e) => setName(e.target.value)} error={fields.name} />
          <TextField label="Group description" value={description} onChange={(e) => setDescription(e.target.value)} />
          {notice && <ErrorNotice error={create.error} action="create groups" />}
          <button type="submit" disabled={create.isPending}>
            Create group
          </button>
        </form>
      </section>
    </section>
  );
}
