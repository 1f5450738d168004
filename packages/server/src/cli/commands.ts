/**
 * The admin commands of the `runnerplane` CLI. Each takes parsed options and returns both
 * a JSON value (for `--json`) and text for people. Bad input throws CliError with a message
 * that says what to fix; every command that writes does so in one transaction, together
 * with its audit entry (the CLI is the actor, `cli/<command>` the action).
 */
import { ResourceType } from "@runnerplane/api/gitpod/v1/event_pb";
import { bootstrapIn } from "../admin/bootstrap.js";
import { setRoleKeepingAnAdmin, setSuspendedKeepingAnAdmin } from "../admin/organization-admins.js";
import { cliAudited, type RequestFacts } from "../audit/index.js";
import type { OrgRole } from "../auth/index.js";
import type { Clock } from "../clock.js";
import { addGroupMember, createGroup, deleteMembership, findGroup, findMembership, listGroups } from "../db/groups.js";
import type { Sql } from "../db/index.js";
import { createMember, type DbMember, findMember, listMembers, type MemberKind } from "../db/members.js";
import { listOrganizations } from "../db/organizations.js";
import { endMemberSessions } from "../db/sessions.js";
import { findToken, issueToken, listTokens, revokeToken } from "../db/tokens.js";

export class CliError extends Error {
  override name = "CliError";
}

export type OptionValues = Record<string, string | boolean | undefined>;

export interface CommandContext {
  sql: Sql;
  clock: Clock;
  /** This invocation, as its audit entries record it (docs/audit-log.md#the-cli-as-an-actor). */
  request: RequestFacts;
}

export interface CommandResult {
  json: unknown;
  text: string;
}

export interface Command {
  /** e.g. "users create" */
  name: string;
  summary: string;
  /** Option name → description; string options take a value, flags end in "?" in usage. */
  options: Record<string, { type: "string" | "boolean"; required?: boolean; description: string }>;
  run(ctx: CommandContext, values: OptionValues): Promise<CommandResult>;
}

export const commands: Command[] = [
  {
    name: "bootstrap",
    summary: "Create an organization, its first admin and a personal access token (printed once)",
    options: {
      "org-name": { type: "string", required: true, description: "name of the new organization" },
      "admin-name": { type: "string", required: true, description: "name of its first admin" },
      "admin-email": { type: "string", description: "email of the admin" },
      "token-expires-in": { type: "string", description: "token lifetime, e.g. 90d or 12h (default: none)" },
    },
    async run(ctx, v) {
      const input = {
        organizationName: name(v, "org-name"),
        adminName: name(v, "admin-name"),
        adminEmail: optional(v, "admin-email"),
        tokenExpiresAt: expiry(v, ctx.clock),
      };
      const created = await cliAudited(
        ctx,
        "bootstrap",
        (tx) => bootstrapIn(tx, input),
        (b) => ({ type: ResourceType.ORGANIZATION, id: b.organization.id, organizationId: b.organization.id }),
      );
      return {
        json: {
          organization: { id: created.organization.id, name: created.organization.name },
          admin: memberJson(created.admin),
          token: { id: created.token.id, value: created.secret, expiresAt: created.token.expires_at },
        },
        text: [
          `Created organization "${created.organization.name}" (${created.organization.id})`,
          `and its admin "${created.admin.name}" (${created.admin.id}).`,
          "",
          "Admin token (shown only now; keep it secret):",
          created.secret,
        ].join("\n"),
      };
    },
  },
  {
    name: "orgs list",
    summary: "List organizations",
    options: {},
    async run({ sql }) {
      const orgs = await listOrganizations(sql);
      return {
        json: orgs.map((o) => ({ id: o.id, name: o.name, createdAt: o.created_at })),
        text: table(
          ["ID", "NAME"],
          orgs.map((o) => [o.id, o.name]),
        ),
      };
    },
  },
  memberCreate("users create", "user", "Create a user in an organization"),
  memberCreate("service-accounts create", "service_account", "Create a service account in an organization"),
  {
    name: "users list",
    summary: "List the users and service accounts of an organization",
    options: { org: { type: "string", required: true, description: "organization id" } },
    async run({ sql }, v) {
      const members = await listMembers(sql, uuid(v, "org"));
      return {
        json: members.map(memberJson),
        text: table(
          ["ID", "KIND", "ROLE", "NAME", "EMAIL"],
          members.map((m) => [m.id, m.kind, m.role, m.name, m.email ?? ""]),
        ),
      };
    },
  },
  {
    name: "users set-role",
    summary: "Change a user's org role; the organization keeps an active admin",
    options: {
      user: { type: "string", required: true, description: "user id" },
      role: { type: "string", required: true, description: "admin or member" },
    },
    async run(ctx, v) {
      const userId = uuid(v, "user");
      const role = optional(v, "role");
      if (role !== "admin" && role !== "member") throw new CliError("--role must be admin or member");
      const user = await cliAudited(
        ctx,
        "users set-role",
        async (tx) => {
          const found = await userOf(tx, userId);
          // The same rule and lock as OrganizationService.SetRole (which records every call too).
          await setRoleKeepingAnAdmin(tx, found.organization_id, found.id, role);
          return found;
        },
        (u) => ({ type: ResourceType.USER, id: u.id, organizationId: u.organization_id }),
      );
      return {
        json: { ...memberJson({ ...user, role }), previousRole: user.role },
        text: `${user.name} (${user.id}) is now ${role}${user.role === role ? " (unchanged)" : ""}.`,
      };
    },
  },
  suspension("users suspend", true),
  suspension("users unsuspend", false),
  {
    name: "groups create",
    summary: "Create a group in an organization",
    options: {
      org: { type: "string", required: true, description: "organization id" },
      name: { type: "string", required: true, description: "group name, unique in the organization" },
    },
    async run(ctx, v) {
      const [org, groupName] = [uuid(v, "org"), name(v, "name")];
      const group = await cliAudited(
        ctx,
        "groups create",
        (tx) => createGroup(tx, org, groupName),
        (g) => ({ type: ResourceType.GROUP, id: g.id, organizationId: g.organization_id }),
      );
      return { json: { id: group.id, name: group.name }, text: `Created group "${group.name}" (${group.id}).` };
    },
  },
  {
    name: "groups add-member",
    summary: "Add a user or service account to a group of the same organization",
    options: {
      group: { type: "string", required: true, description: "group id" },
      member: { type: "string", required: true, description: "user or service account id" },
    },
    async run(ctx, v) {
      const groupId = uuid(v, "group");
      const memberId = uuid(v, "member");
      const { membershipId } = await cliAudited(
        ctx,
        "groups add-member",
        async (tx) => {
          const [group, member] = await Promise.all([findGroup(tx, groupId), findMember(tx, memberId)]);
          if (!group) throw new CliError(`no group ${groupId}`);
          if (!member) throw new CliError(`no user or service account ${memberId}`);
          if (member.organization_id !== group.organization_id) {
            throw new CliError(`${member.name} (${memberId}) belongs to another organization than the group`);
          }
          return { membershipId: await addGroupMember(tx, groupId, memberId), organizationId: group.organization_id };
        },
        // Already a member: nothing changed, nothing to record.
        (r) =>
          r.membershipId
            ? { type: ResourceType.GROUP_MEMBERSHIP_CHANGED, id: r.membershipId, organizationId: r.organizationId }
            : undefined,
      );
      const added = membershipId !== undefined;
      return {
        json: { groupId, memberId, added },
        text: added ? `Added ${memberId} to group ${groupId}.` : `${memberId} was already in group ${groupId}.`,
      };
    },
  },
  {
    name: "groups remove-member",
    summary: "Remove a user or service account from a group",
    options: {
      group: { type: "string", required: true, description: "group id" },
      member: { type: "string", required: true, description: "user or service account id" },
    },
    async run(ctx, v) {
      const groupId = uuid(v, "group");
      const memberId = uuid(v, "member");
      await cliAudited(
        ctx,
        "groups remove-member",
        async (tx) => {
          const [group, member] = await Promise.all([findGroup(tx, groupId), findMember(tx, memberId)]);
          if (!group) throw new CliError(`no group ${groupId}`);
          // The same lookup and removal as GroupService.DeleteMembership.
          const membership =
            member &&
            (await findMembership(tx, {
              organizationId: group.organization_id,
              groupId,
              memberId,
              kind: member.kind,
            }));
          if (!membership) throw new CliError(`${memberId} is not a member of group ${groupId}`);
          await deleteMembership(tx, group.organization_id, membership.id);
          return { membershipId: membership.id, organizationId: group.organization_id };
        },
        (r) => ({ type: ResourceType.GROUP_MEMBERSHIP_CHANGED, id: r.membershipId, organizationId: r.organizationId }),
      );
      return { json: { groupId, memberId, removed: true }, text: `Removed ${memberId} from group ${groupId}.` };
    },
  },
  {
    name: "groups list",
    summary: "List the groups of an organization with their members",
    options: { org: { type: "string", required: true, description: "organization id" } },
    async run({ sql }, v) {
      const groups = await listGroups(sql, uuid(v, "org"));
      return {
        json: groups.map((g) => ({ id: g.id, name: g.name, memberIds: g.member_ids })),
        text: table(
          ["ID", "NAME", "MEMBERS"],
          groups.map((g) => [g.id, g.name, g.member_ids.join(",")]),
        ),
      };
    },
  },
  {
    name: "tokens create",
    summary: "Create a personal access token for a user or service account (printed once)",
    options: {
      member: { type: "string", required: true, description: "user or service account id" },
      "expires-in": { type: "string", description: "lifetime, e.g. 30d or 12h (default: none)" },
      description: { type: "string", description: "what the token is for" },
    },
    async run(ctx, v) {
      const memberId = uuid(v, "member");
      const member = await findMember(ctx.sql, memberId);
      if (!member) throw new CliError(`no user or service account ${memberId}`);
      const expiresAt = expiry(v, ctx.clock, "expires-in");
      const { row, token } = await cliAudited(
        ctx,
        "tokens create",
        (tx) =>
          issueToken(tx, {
            kind: "personal_access",
            organizationId: member.organization_id,
            subjectId: member.id,
            principal: member.kind,
            expiresAt,
            description: optional(v, "description") ?? "",
          }),
        (issued) => ({ type: tokenType(issued.row), id: issued.row.id, organizationId: member.organization_id }),
      );
      return {
        json: { id: row.id, value: token, memberId, expiresAt: row.expires_at },
        text: [`Token ${row.id} for ${member.name} (shown only now; keep it secret):`, token].join("\n"),
      };
    },
  },
  {
    name: "tokens revoke",
    summary: "Revoke a token; it stops working on the next request",
    options: { token: { type: "string", required: true, description: "token id (not the token itself)" } },
    async run(ctx, v) {
      const id = uuid(v, "token");
      await cliAudited(
        ctx,
        "tokens revoke",
        async (tx) => {
          const token = await findToken(tx, id);
          if (!token) throw new CliError(`no token ${id}`);
          if (!(await revokeToken(tx, token.organization_id, id, ctx.clock.now()))) {
            throw new CliError(`token ${id} was already revoked`);
          }
          return token;
        },
        (token) => ({
          type: tokenType(token),
          // A runner's token is filed under its runner.
          id: token.principal === "runner" ? token.subject_id : token.id,
          organizationId: token.organization_id,
        }),
      );
      return { json: { id, revoked: true }, text: `Revoked token ${id}.` };
    },
  },
  {
    name: "sessions end",
    summary: "Sign a user out everywhere: end every browser session of theirs (docs/sign-in.md)",
    options: { member: { type: "string", required: true, description: "user id" } },
    async run(ctx, v) {
      const id = uuid(v, "member");
      const member = await findMember(ctx.sql, id);
      if (member?.kind !== "user") throw new CliError(`no user ${id}`);
      const ended = await cliAudited(
        ctx,
        "sessions end",
        (tx) => endMemberSessions(tx, member.organization_id, id, ctx.clock.now()),
        // No session to end: nothing changed, nothing to record.
        (n) => (n > 0 ? { type: ResourceType.USER, id, organizationId: member.organization_id } : undefined),
      );
      return { json: { memberId: id, ended }, text: `Ended ${ended} session(s) of ${member.name}.` };
    },
  },
  {
    name: "tokens list",
    summary: "List the tokens of an organization (never their values)",
    options: { org: { type: "string", required: true, description: "organization id" } },
    async run({ sql }, v) {
      const tokens = await listTokens(sql, uuid(v, "org"));
      const json = tokens.map((t) => ({
        id: t.id,
        kind: t.kind,
        subjectId: t.subject_id,
        principal: t.principal,
        description: t.description,
        createdAt: t.created_at,
        expiresAt: t.expires_at,
        revokedAt: t.revoked_at,
        lastUsedAt: t.last_used_at,
      }));
      return {
        json,
        text: table(
          ["ID", "KIND", "SUBJECT", "EXPIRES", "REVOKED", "LAST USED"],
          tokens.map((t) => [
            t.id,
            t.kind,
            t.subject_id,
            t.expires_at?.toISOString() ?? "never",
            t.revoked_at?.toISOString() ?? "",
            t.last_used_at?.toISOString() ?? "",
          ]),
        ),
      };
    },
  },
];

function memberCreate(commandName: string, kind: MemberKind, summary: string): Command {
  return {
    name: commandName,
    summary,
    options: {
      org: { type: "string", required: true, description: "organization id" },
      name: { type: "string", required: true, description: "display name" },
      email: { type: "string", description: "email address" },
      role: { type: "string", description: "org role: member (default) or admin" },
    },
    async run(ctx, v) {
      const role = (optional(v, "role") ?? "member") as OrgRole;
      if (role !== "admin" && role !== "member") throw new CliError("--role must be admin or member");
      const input = {
        organizationId: uuid(v, "org"),
        kind,
        name: name(v, "name"),
        email: optional(v, "email"),
        role,
      };
      const member = await cliAudited(
        ctx,
        commandName,
        (tx) => createMember(tx, input),
        (m) => ({
          type: kind === "user" ? ResourceType.USER : ResourceType.SERVICE_ACCOUNT,
          id: m.id,
          organizationId: m.organization_id,
        }),
      );
      return {
        json: memberJson(member),
        text: `Created ${kind.replace("_", " ")} "${member.name}" (${member.id}) with role ${member.role}.`,
      };
    },
  };
}

/** How an entry names a token: a person's or robot's token, or the runner it belongs to. */
function tokenType(token: { kind: string; principal: string }): ResourceType {
  if (token.principal === "runner") return ResourceType.RUNNER;
  return token.principal === "service_account"
    ? ResourceType.SERVICE_ACCOUNT_TOKEN
    : ResourceType.PERSONAL_ACCESS_TOKEN;
}

/** `users suspend` / `users unsuspend`: what UserService.SetSuspended does, without a caller. */
function suspension(commandName: string, suspended: boolean): Command {
  return {
    name: commandName,
    summary: suspended
      ? "Suspend a user: its tokens stop working on the next request; the organization keeps an active admin"
      : "Lift a user's suspension: its tokens work again",
    options: { user: { type: "string", required: true, description: "user id" } },
    async run(ctx, v) {
      const userId = uuid(v, "user");
      const user = await cliAudited(
        ctx,
        commandName,
        async (tx) => {
          const found = await userOf(tx, userId);
          await setSuspendedKeepingAnAdmin(tx, found.organization_id, found.id, suspended, ctx.clock.now());
          return found;
        },
        (u) => ({ type: ResourceType.USER, id: u.id, organizationId: u.organization_id }),
      );
      return {
        json: { ...memberJson(user), suspended },
        text: `${suspended ? "Suspended" : "Lifted the suspension of"} ${user.name} (${user.id}).`,
      };
    },
  };
}

/** The user with this id; a service account or an unknown id is an error to fix. */
async function userOf(sql: Parameters<typeof findMember>[0], id: string): Promise<DbMember> {
  const member = await findMember(sql, id);
  if (!member) throw new CliError(`no user ${id}`);
  if (member.kind !== "user") throw new CliError(`${member.name} (${id}) is a service account, not a user`);
  return member;
}

function memberJson(m: {
  id: string;
  organization_id: string;
  kind: string;
  name: string;
  email: string | null;
  role: string;
}) {
  return { id: m.id, organizationId: m.organization_id, kind: m.kind, name: m.name, email: m.email, role: m.role };
}

function optional(v: OptionValues, key: string): string | undefined {
  const value = v[key];
  return typeof value === "string" && value !== "" ? value : undefined;
}

function name(v: OptionValues, key: string): string {
  const value = (optional(v, key) ?? "").trim();
  if (value.length < 1 || [...value].length > 127) throw new CliError(`--${key} must be 1 to 127 characters`);
  return value;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function uuid(v: OptionValues, key: string): string {
  const value = optional(v, key) ?? "";
  if (!uuidPattern.test(value)) throw new CliError(`--${key} must be an id (a UUID), got "${value}"`);
  return value.toLowerCase();
}

const units: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

function expiry(v: OptionValues, clock: Clock, key = "token-expires-in"): Date | null {
  const value = optional(v, key);
  if (value === undefined) return null;
  const match = /^(\d{1,6})([mhd])$/.exec(value);
  if (!match) throw new CliError(`--${key} must look like 90d, 12h or 30m, got "${value}"`);
  return new Date(clock.now().getTime() + Number(match[1]) * (units[match[2] as string] as number));
}

function table(header: string[], rows: string[][]): string {
  if (rows.length === 0) return "(none)";
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
