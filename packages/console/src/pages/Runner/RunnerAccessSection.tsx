/** Who may use or administer the runner: role assignments of groups (the same facts as its runner policies). */
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { ResourceType } from "@runnerplane/api/gitpod/v1/event_pb";
import { GroupService, ResourceRole } from "@runnerplane/api/gitpod/v1/group_pb";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "wouter";
import { invalidateGroups } from "../../api/invalidate";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ListState, Skeleton } from "../../components/ListState";

const roles = [
  [ResourceRole.RUNNER_USER, "Runner user"],
  [ResourceRole.RUNNER_ADMIN, "Runner admin"],
] as const;
const roleName = (r: ResourceRole) => roles.find(([v]) => v === r)?.[1] ?? `Role ${r}`;

export function RunnerAccessSection({ runnerId }: { runnerId: string }) {
  const queryClient = useQueryClient();
  const assignments = useQuery(GroupService.method.listRoleAssignments, {
    filter: { resourceId: runnerId },
    pagination: { pageSize: 100 },
  });
  const groups = useQuery(GroupService.method.listGroups, { pagination: { pageSize: 100 } });
  const onSuccess = () => invalidateGroups(queryClient);
  const create = useMutation(GroupService.method.createRoleAssignment, { onSuccess });
  const remove = useMutation(GroupService.method.deleteRoleAssignment, { onSuccess });
  const [groupId, setGroupId] = useState("");
  const [role, setRole] = useState<ResourceRole>(ResourceRole.RUNNER_USER);
  const groupName = (id: string) => groups.data?.groups.find((g) => g.id === id)?.name ?? id;
  return (
    <section aria-labelledby="access-heading" className="card">
      <h2 id="access-heading">Role assignments</h2>
      <ListState
        items={assignments.data?.assignments}
        error={assignments.error}
        label="role assignments"
        empty={<p>No group has a role on this runner. Organization admins administer every runner.</p>}
      >
        {(items) => (
          <ul className="rows">
            {items.map((a) => (
              <li key={a.id}>
                <span>
                  <strong>{groupName(a.groupId)}</strong> — {roleName(a.resourceRole)}
                </span>
                <button
                  type="button"
                  className="secondary"
                  aria-label={`Remove ${roleName(a.resourceRole)} from ${groupName(a.groupId)}`}
                  onClick={() => remove.mutate({ assignmentId: a.id })}
                >
                  Remove
                </button>
              </li>
            ))}
          </ul>
        )}
      </ListState>
      {(create.error || remove.error) && <ErrorNotice error={create.error ?? remove.error} action="change roles" />}
      {groups.error ? (
        <ErrorNotice error={groups.error} action="see the organization's groups" />
      ) : groups.data === undefined ? (
        <Skeleton label="Loading groups…" rows={1} />
      ) : groups.data.groups.length === 0 ? (
        <p className="muted">
          Roles are given to groups, and this organization has none yet: <Link href="/groups">create a group</Link>.
        </p>
      ) : (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (groupId)
              create.mutate({ groupId, resourceType: ResourceType.RUNNER, resourceId: runnerId, resourceRole: role });
          }}
        >
          <div className="field">
            <label htmlFor="assign-group">Group</label>
            <select id="assign-group" value={groupId} onChange={(e) => setGroupId(e.target.value)} required>
              <option value="">Choose a group</option>
              {groups.data?.groups.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.name}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="assign-role">Role</label>
            <select id="assign-role" value={role} onChange={(e) => setRole(Number(e.target.value))}>
              {roles.map(([v, label]) => (
                <option key={v} value={v}>
                  {label}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" disabled={create.isPending}>
            Give role
          </button>
        </form>
      )}
    </section>
  );
}
