/**
 * gitpod.v1.OrganizationService: the caller's organization and its users' roles
 * (behaviour.md §12, docs/identity.md#organizationservice), and its SSO configurations
 * (sso-configurations.ts, docs/sign-in.md). Invites, JoinOrganization and LeaveOrganization
 * are not here yet: they answer `unimplemented`.
 */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { CountResponseRelation } from "@runnerplane/api/gitpod/v1/count_pb";
import {
  ListMembersRequest_SortField,
  type OrganizationRole,
  OrganizationService,
} from "@runnerplane/api/gitpod/v1/organization_pb";
import { SortOrder } from "@runnerplane/api/gitpod/v1/pagination_pb";
import { UserStatus } from "@runnerplane/api/gitpod/v1/user_pb";
import { setRoleKeepingAnAdmin } from "../admin/organization-admins.js";
import { createAuditor } from "../audit/index.js";
import { authorizeOrganization, callerOf } from "../auth/index.js";
import type { Clock } from "../clock.js";
import type { Sql } from "../db/index.js";
import type { OrgRole } from "../db/members.js";
import {
  countOrganizationUsers,
  type DbUserStatus,
  listOrganizationUsers,
  type OrganizationUserFilter,
} from "../db/organization-members.js";
import { findOrganization, updateOrganization } from "../db/organizations.js";
import { type PageTokens, paginate } from "../pagination/index.js";
import { roleToDb, statusToDb, toOrganization, toOrganizationMember } from "./organization-mapper.js";
import { createSsoConfigurationMethods, type SsoConfigurationDeps } from "./sso-configurations.js";

export interface OrganizationServiceDeps extends SsoConfigurationDeps {
  sql: Sql;
  clock: Clock;
  pageTokens: () => Promise<PageTokens>;
}

/** The limits of `organizations.name` (migration 0001); the contract itself sets none. */
const nameLength = { min: 1, max: 127 };

function organizationNotFound(organizationId: string): ConnectError {
  return new ConnectError(`organization ${organizationId} not found`, Code.NotFound);
}

/** Enum values the filter lists must name; the unspecified value matches nothing. */
function mapAll<E extends number, D>(values: E[], map: Partial<Record<E, D>>, field: string): D[] {
  return values.map((v) => {
    const mapped = map[v];
    if (mapped === undefined) {
      throw new ConnectError(`${field}: ${v} is not a value to filter by`, Code.InvalidArgument);
    }
    return mapped;
  });
}

const statusMap: Partial<Record<UserStatus, DbUserStatus | "left">> = {
  ...statusToDb,
  [UserStatus.LEFT]: "left",
};

export function createOrganizationService(
  deps: OrganizationServiceDeps,
): Partial<ServiceImpl<typeof OrganizationService>> {
  const { sql, clock, pageTokens } = deps;
  const audited = createAuditor({ sql, clock });
  return {
    ...createSsoConfigurationMethods(deps),

    async getOrganization(req, ctx) {
      const id = authorizeOrganization(callerOf(ctx), req.organizationId, OrganizationService.name, "member");
      const row = await findOrganization(sql, id);
      if (!row) throw organizationNotFound(req.organizationId);
      return { organization: toOrganization(row) };
    },

    /**
     * Name and invite domains, each only when given. Invite domains are kept lower-cased
     * (domains compare case-insensitively) and have no effect until JoinOrganization exists.
     */
    async updateOrganization(req, ctx) {
      if (req.name !== undefined) {
        const length = [...req.name].length;
        if (length < nameLength.min || length > nameLength.max) {
          throw new ConnectError(
            `name: must be ${nameLength.min} to ${nameLength.max} characters long`,
            Code.InvalidArgument,
          );
        }
      }
      const id = authorizeOrganization(callerOf(ctx), req.organizationId, OrganizationService.name, "admin");
      const inviteDomains = req.inviteDomains
        ? [...new Set(req.inviteDomains.domains.map((d) => d.toLowerCase()))]
        : undefined;
      // Nothing to change leaves updated_at alone.
      const row = await audited(
        ctx,
        async (tx) => {
          const updated =
            req.name === undefined && inviteDomains === undefined
              ? await findOrganization(tx, id)
              : await updateOrganization(tx, id, { name: req.name, inviteDomains }, clock.now());
          if (!updated) throw organizationNotFound(req.organizationId);
          return updated;
        },
        id,
      );
      return { organization: toOrganization(row) };
    },

    /**
     * The org's users (service accounts are listed by ServiceAccountService), in the order
     * they joined (SORT_FIELD_DATE_JOINED, the default) or by name, case-insensitively, equal
     * names in join order (SORT_FIELD_NAME); ascending unless `sort.order` is DESC. Keyset
     * pages either way: the name order's page token carries the last name too.
     */
    async listMembers(req, ctx) {
      const f = req.filter;
      const roles = mapAll(f?.roles ?? [], roleToDb, "filter.roles");
      const statuses = f?.statuses.length
        ? mapAll(f.statuses, statusMap, "filter.statuses").filter((s): s is DbUserStatus => s !== "left")
        : undefined;
      const organizationId = authorizeOrganization(
        callerOf(ctx),
        req.organizationId,
        OrganizationService.name,
        "member",
      );
      const filter: OrganizationUserFilter = {
        organizationId,
        search: (f?.search ?? "").toLowerCase(),
        roles: [...new Set(roles)],
        statuses: statuses && [...new Set(statuses)],
        userIds: [...new Set((f?.userIds ?? []).map((id) => id.toLowerCase()))],
        excludeGroupIds: [...new Set((f?.excludeGroupIds ?? []).map((id) => id.toLowerCase()))],
        excludeMembersInAnyGroup: f?.excludeMembersInAnyTeam ?? false,
      };
      const order = req.sort?.order === SortOrder.DESC ? "desc" : "asc";
      const sort = req.sort?.field === ListMembersRequest_SortField.NAME ? "name" : "joined";
      const page = await paginate({
        tokens: await pageTokens(),
        method: "gitpod.v1.OrganizationService/ListMembers",
        filter: { ...filter, order, sort },
        pagination: req.pagination,
        fetch: (after, limit) => listOrganizationUsers(sql, { ...filter, sort, order, after, limit }),
        cursorOf: (row) => ({
          createdAt: row.created_at,
          id: row.id,
          ...(sort === "name" ? { key: row.name } : {}),
        }),
      });
      return {
        members: page.rows.map(toOrganizationMember),
        pagination: { nextToken: page.nextToken },
        ...(req.count?.include
          ? { count: { value: await countOrganizationUsers(sql, filter), relation: CountResponseRelation.EQ } }
          : {}),
      };
    },

    /**
     * An admin sets a user's role; an active (not suspended) admin user must remain
     * (admin/organization-admins.ts: a demotion first locks the org's admins, so of two
     * concurrent demotions of the last two admins one waits and then finds the last one).
     */
    async setRole(req, ctx) {
      const role = roleOf(req.role);
      const organizationId = authorizeOrganization(
        callerOf(ctx),
        req.organizationId,
        OrganizationService.name,
        "admin",
      );
      const userId = req.userId.toLowerCase();
      await audited(
        ctx,
        async (tx) => {
          if (!(await setRoleKeepingAnAdmin(tx, organizationId, userId, role))) {
            throw new ConnectError(`user ${req.userId} not found`, Code.NotFound);
          }
        },
        userId,
      );
      return {};
    },
  };
}

function roleOf(role: OrganizationRole): OrgRole {
  const mapped = roleToDb[role];
  if (!mapped) {
    throw new ConnectError("role: must be ORGANIZATION_ROLE_ADMIN or ORGANIZATION_ROLE_MEMBER", Code.InvalidArgument);
  }
  return mapped;
}
