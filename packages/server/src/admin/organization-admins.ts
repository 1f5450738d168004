/**
 * The rule that an organization keeps an active (not suspended) admin **user**
 * (behaviour.md §12, docs/identity.md#the-organization-and-its-roles), in the one place every
 * path that can take the admin role away goes through: OrganizationService.SetRole,
 * UserService.SetSuspended and the CLI's `users set-role` and `users suspend`.
 *
 * Each function runs inside the caller's transaction (`tx`), so a service can add what else
 * belongs to the change (an audit entry) in the same transaction. Each first locks the org's
 * admin rows (lockOrganizationAdmins), so two concurrent changes cannot both take away the
 * last admin. A broken rule is a `failed_precondition` ConnectError; the CLI prints its message.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { Db } from "../db/index.js";
import type { OrgRole } from "../db/members.js";
import { lockOrganizationAdmins, setOrganizationUserRole } from "../db/organization-members.js";
import { endMemberSessions } from "../db/sessions.js";
import { setUserSuspended } from "../db/users.js";

/** Sets a user's org role; false when the org has no such user. */
export async function setRoleKeepingAnAdmin(
  tx: Db,
  organizationId: string,
  userId: string,
  role: OrgRole,
): Promise<boolean> {
  if (role === "member") {
    const admins = await lockOrganizationAdmins(tx, organizationId);
    const othersActive = admins.some((a) => a.id !== userId && a.active);
    if (admins.some((a) => a.id === userId) && !othersActive) {
      throw new ConnectError(
        "the organization's last active admin cannot be demoted; make another user admin first",
        Code.FailedPrecondition,
      );
    }
  }
  return setOrganizationUserRole(tx, organizationId, userId, role);
}

/**
 * Suspends a user (keeping the first suspension's time) or lifts the suspension; false when
 * the org has no such user. Suspending an admin needs another active admin. A suspension
 * ends the user's sessions for good (docs/sign-in.md); lifting it brings none back.
 */
export async function setSuspendedKeepingAnAdmin(
  tx: Db,
  organizationId: string,
  userId: string,
  suspended: boolean,
  now: Date,
): Promise<boolean> {
  if (suspended) {
    const admins = await lockOrganizationAdmins(tx, organizationId);
    if (admins.some((a) => a.id === userId) && !admins.some((a) => a.active && a.id !== userId)) {
      throw new ConnectError("the organization must keep an active admin", Code.FailedPrecondition);
    }
    await endMemberSessions(tx, organizationId, userId, now);
  }
  return setUserSuspended(tx, organizationId, userId, suspended, now);
}
