/**
 * Who may use the services about an organization's people and structure (UserService,
 * OrganizationService, GroupService, ServiceAccountService; behaviour.md §12): the org's
 * members, users and service accounts. A runner is no member of its org. Changes need an
 * org admin; services check that once the caller has seen the resource exists, so a plain
 * member learns `permission_denied` only about what it can see.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import type { Caller } from "./caller.js";

/** The caller, when it is a member of its org; `service` names what it called. */
export function orgMember(caller: Caller, service: string): Caller {
  if (caller.subject.principal === Principal.RUNNER) {
    throw new ConnectError(`a runner may not use ${service}`, Code.PermissionDenied);
  }
  return caller;
}

/** The caller, when it is an admin of its org; `action` says what needed it. */
export function orgAdmin(caller: Caller, service: string, action = "do this"): Caller {
  orgMember(caller, service);
  if (caller.orgRole !== "admin") {
    throw new ConnectError(`only an organization admin may ${action}`, Code.PermissionDenied);
  }
  return caller;
}

/**
 * The org named by a request, as the caller may use it (behaviour.md §2): another org's id
 * is `not_found`, indistinguishable from an unknown one; a runner is no member of its org,
 * and a plain member may not do what needs an admin: `permission_denied`.
 */
export function authorizeOrganization(
  caller: Caller,
  organizationId: string,
  service: string,
  need: "member" | "admin",
): string {
  const id = organizationId.toLowerCase();
  if (id !== caller.organizationId) {
    throw new ConnectError(`organization ${organizationId} not found`, Code.NotFound);
  }
  if (need === "admin") orgAdmin(caller, service);
  else orgMember(caller, service);
  return id;
}
