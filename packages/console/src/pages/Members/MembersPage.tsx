import { useMutation, useQuery } from "@connectrpc/connect-query";
import { OrganizationRole, OrganizationService } from "@runnerplane/api/gitpod/v1/organization_pb";
import { UserStatus } from "@runnerplane/api/gitpod/v1/user_pb";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { invalidateOrganization } from "../../api/invalidate";
import { useSession } from "../../api/session-context";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ListState } from "../../components/ListState";
import { Pagination, usePageTokens } from "../../components/Pagination";
import { TextField } from "../../components/TextField";
import { enumLabel } from "../../modules/labels";

/** The organization's members and their roles; admins change roles here (the last admin stays). */
export default function MembersPage() {
  const session = useSession();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const pages = usePageTokens();
  const members = useQuery(OrganizationService.method.listMembers, {
    organizationId: session.organizationId,
    filter: { search },
    pagination: { token: pages.token, pageSize: 25 },
  });
  const setRole = useMutation(OrganizationService.method.setRole, {
    onSuccess: () => invalidateOrganization(queryClient),
  });
  return (
    <section>
      <h1>Members</h1>
      <search className="filters">
        <TextField
          label="Search members"
          type="search"
          value={search}
          onChange={(e) => {
            setSearch(e.target.value);
            pages.reset();
          }}
        />
      </search>
      {setRole.error && <ErrorNotice error={setRole.error} action="change roles" />}
      <ListState
        items={members.data?.members}
        error={members.error}
        label="members"
        empty={<p>{search ? "Nobody matches this search." : "This organization has no members."}</p>}
      >
        {(items) => (
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Members</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Status</th>
                  <th scope="col">Role</th>
                </tr>
              </thead>
              <tbody>
                {items.map((m) => (
                  <tr key={m.userId}>
                    <td data-label="Name">
                      {m.fullName || m.userId}
                      {m.userId === session.subjectId ? " (you)" : ""}
                    </td>
                    <td data-label="Email">{m.email || "—"}</td>
                    <td data-label="Status">{enumLabel(UserStatus, m.status)}</td>
                    <td data-label="Role">
                      <label className="visually-hidden" htmlFor={`role-${m.userId}`}>
                        Role of {m.fullName || m.email || m.userId}
                      </label>
                      <select
                        id={`role-${m.userId}`}
                        value={m.role}
                        onChange={(e) =>
                          setRole.mutate({
                            organizationId: session.organizationId,
                            userId: m.userId,
                            role: Number(e.target.value),
                          })
                        }
                      >
                        <option value={OrganizationRole.ADMIN}>Admin</option>
                        <option value={OrganizationRole.MEMBER}>Member</option>
                      </select>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ListState>
      <Pagination
        page={pages.page}
        nextToken={members.data?.pagination?.nextToken || undefined}
        onNext={pages.next}
        onPrevious={pages.previous}
      />
    </section>
  );
}
