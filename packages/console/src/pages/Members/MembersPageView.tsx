import { type OrganizationMember, OrganizationRole } from "@runnerplane/api/gitpod/v1/organization_pb";
import { UserStatus } from "@runnerplane/api/gitpod/v1/user_pb";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ListState } from "../../components/ListState";
import { Pagination } from "../../components/Pagination";
import { TextField } from "../../components/TextField";
import { enumLabel } from "../../modules/labels";

export function MembersPageView({
  me,
  canSetRoles,
  members,
  listError,
  search,
  onSearch,
  onSetRole,
  setRoleError,
  page,
  nextToken,
  onNext,
  onPrevious,
}: {
  /** The signed-in user's id, marked "(you)". */
  me: string;
  /** Whether the signed-in user is an admin; others see roles, not controls to change them. */
  canSetRoles: boolean;
  members: OrganizationMember[] | undefined;
  listError: unknown;
  search: string;
  onSearch: (search: string) => void;
  onSetRole: (userId: string, role: OrganizationRole) => void;
  setRoleError: unknown;
  page: number;
  nextToken: string | undefined;
  onNext: (token: string) => void;
  onPrevious: () => void;
}) {
  return (
    <section>
      <h1>Members</h1>
      <search className="filters">
        <TextField label="Search members" type="search" value={search} onChange={(e) => onSearch(e.target.value)} />
      </search>
      {setRoleError ? <ErrorNotice error={setRoleError} action="change roles" /> : null}
      <ListState
        items={members}
        error={listError}
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
                      {m.userId === me ? " (you)" : ""}
                    </td>
                    <td data-label="Email">{m.email || "—"}</td>
                    <td data-label="Status">{enumLabel(UserStatus, m.status)}</td>
                    <td data-label="Role">
                      {canSetRoles ? (
                        <>
                          <label className="visually-hidden" htmlFor={`role-${m.userId}`}>
                            Role of {m.fullName || m.email || m.userId}
                          </label>
                          <select
                            id={`role-${m.userId}`}
                            value={m.role}
                            onChange={(e) => onSetRole(m.userId, Number(e.target.value))}
                          >
                            <option value={OrganizationRole.ADMIN}>Admin</option>
                            <option value={OrganizationRole.MEMBER}>Member</option>
                          </select>
                        </>
                      ) : (
                        enumLabel(OrganizationRole, m.role)
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ListState>
      <Pagination page={page} nextToken={nextToken} onNext={onNext} onPrevious={onPrevious} />
    </section>
  );
}
