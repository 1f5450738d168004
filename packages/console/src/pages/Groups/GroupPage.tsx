import { useMutation, useQuery } from "@connectrpc/connect-query";
import { GroupService } from "@runnerplane/api/gitpod/v1/group_pb";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import { OrganizationService } from "@runnerplane/api/gitpod/v1/organization_pb";
import { ServiceAccountService } from "@runnerplane/api/gitpod/v1/service_account_pb";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useLocation, useParams } from "wouter";
import { invalidateGroups } from "../../api/invalidate";
import { useSession } from "../../api/session-context";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ListState, Skeleton } from "../../components/ListState";

/** One group: its members (users and service accounts), adding and removing them, deleting the group. */
export default function GroupPage() {
  const { id: groupId = "" } = useParams<{ id: string }>();
  const session = useSession();
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const group = useQuery(GroupService.method.getGroup, { group: { case: "id", value: groupId } });
  const memberships = useQuery(GroupService.method.listMemberships, { groupId, pagination: { pageSize: 100 } });
  const members = useQuery(OrganizationService.method.listMembers, {
    organizationId: session.organizationId,
    pagination: { pageSize: 100 },
  });
  const accounts = useQuery(ServiceAccountService.method.listServiceAccounts, { pagination: { pageSize: 100 } });
  const onSuccess = () => invalidateGroups(queryClient);
  const add = useMutation(GroupService.method.createMembership, {
    onSuccess: async () => {
      setSubject("");
      await onSuccess();
    },
  });
  const remove = useMutation(GroupService.method.deleteMembership, { onSuccess });
  const del = useMutation(GroupService.method.deleteGroup, {
    onSuccess: async () => {
      await onSuccess();
      navigate("/groups");
    },
  });
  const [subject, setSubject] = useState("");
  // Who is in already is not offered again.
  const inGroup = new Set(memberships.data?.members.map((m) => m.subject?.id));
  if (group.error) {
    return (
      <section>
        <h1>Group</h1>
        <ErrorNotice error={group.error} action="see this group" />
        <p>
          <Link href="/groups">Back to groups</Link>
        </p>
      </section>
    );
  }
  const g = group.data?.group;
  if (!g) return <Skeleton label="Loading group…" />;
  return (
    <section>
      <p className="breadcrumb">
        <Link href="/groups">Groups</Link> /
      </p>
      <h1>{g.name}</h1>
      {g.description && <p>{g.description}</p>}
      <h2>Members</h2>
      <ListState
        items={memberships.data?.members}
        error={memberships.error}
        label="group members"
        empty={<p>Nobody is in this group yet.</p>}
      >
        {(items) => (
          <ul className="rows">
            {items.map((m) => (
              <li key={m.id}>
                <span>
                  {m.name || m.subject?.id}{" "}
                  <span className="muted">
                    {m.subject?.principal === Principal.SERVICE_ACCOUNT ? "(service account)" : ""}
                  </span>
                </span>
                <button
                  type="button"
                  className="secondary"
                  aria-label={`Remove ${m.name || m.subject?.id} from the group`}
                  onClick={() => remove.mutate({ membershipId: m.id })}
                >
                  Remove
                </button>
              </li>
            ))}
          </ul>
        )}
      </ListState>
      {(add.error || remove.error) && <ErrorNotice error={add.error ?? remove.error} action="change this group" />}
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          const [principal, id] = subject.split(":");
          if (id) add.mutate({ groupId, subject: { id, principal: Number(principal) } });
        }}
      >
        <div className="field">
          <label htmlFor="add-member">Add to the group</label>
          <select id="add-member" value={subject} onChange={(e) => setSubject(e.target.value)} required>
            <option value="">Choose a member or service account</option>
            <optgroup label="Members">
              {members.data?.members
                .filter((m) => !inGroup.has(m.userId))
                .map((m) => (
                  <option key={m.userId} value={`${Principal.USER}:${m.userId}`}>
                    {m.fullName || m.email || m.userId}
                  </option>
                ))}
            </optgroup>
            <optgroup label="Service accounts">
              {accounts.data?.serviceAccounts
                .filter((a) => !inGroup.has(a.id))
                .map((a) => (
                  <option key={a.id} value={`${Principal.SERVICE_ACCOUNT}:${a.id}`}>
                    {a.name}
                  </option>
                ))}
            </optgroup>
          </select>
        </div>
        <button type="submit" disabled={add.isPending}>
          Add member
        </button>
      </form>
      <section className="card card-danger" aria-labelledby="delete-group-heading">
        <h2 id="delete-group-heading">Delete group</h2>
        {del.error && <ErrorNotice error={del.error} action="delete this group" />}
        <ConfirmButton
          label="Delete group"
          question={`Delete ${g.name}? Its memberships and role assignments go with it.`}
          confirmLabel={`Yes, delete ${g.name}`}
          pending={del.isPending}
          onConfirm={() => del.mutate({ groupId })}
        />
      </section>
    </section>
  );
}
