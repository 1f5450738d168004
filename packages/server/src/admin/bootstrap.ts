/**
 * Creating an organization with its first admin and a personal access token for them, in
 * one transaction: either everything exists afterwards or nothing does. Used by the CLI's
 * `bootstrap` and by the embedded default's first start.
 */
import type { Db, Sql } from "../db/index.js";
import { createMember, type DbMember } from "../db/members.js";
import { createOrganization, type DbOrganization } from "../db/organizations.js";
import { type DbToken, issueToken } from "../db/tokens.js";

export interface BootstrapInput {
  organizationName: string;
  adminName: string;
  adminEmail?: string | undefined;
  /** Expiry of the admin's token; null for none. */
  tokenExpiresAt?: Date | null;
}

export interface Bootstrapped {
  organization: DbOrganization;
  admin: DbMember;
  token: DbToken;
  /** The admin's personal access token; shown once. */
  secret: string;
}

export async function bootstrap(sql: Sql, input: BootstrapInput): Promise<Bootstrapped> {
  return (await sql.begin((tx) => bootstrapIn(tx, input))) as Bootstrapped;
}

/** The same, on a transaction the caller opened (the CLI adds its audit entry to it). */
export async function bootstrapIn(tx: Db, input: BootstrapInput): Promise<Bootstrapped> {
  const organization = await createOrganization(tx, input.organizationName);
  const admin = await createMember(tx, {
    organizationId: organization.id,
    kind: "user",
    name: input.adminName,
    email: input.adminEmail,
    role: "admin",
  });
  const { row, token } = await issueToken(tx, {
    kind: "personal_access",
    organizationId: organization.id,
    subjectId: admin.id,
    principal: "user",
    expiresAt: input.tokenExpiresAt ?? null,
    description: "bootstrap",
  });
  return { organization, admin, token: row, secret: token };
}
