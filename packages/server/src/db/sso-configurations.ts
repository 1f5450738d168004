/**
 * SQL for SSO configurations (docs/sign-in.md): one OpenID Connect client per row, its
 * secret encrypted with the key ring (the service encrypts; this module stores bytes).
 */
import type { Db } from "./sql.js";

export type DbSsoState = "inactive" | "active";

export interface DbSsoConfiguration {
  id: string;
  organization_id: string;
  issuer_url: string;
  client_id: string;
  client_secret_key_id: string;
  client_secret_ciphertext: Buffer;
  email_domains: string[];
  display_name: string;
  additional_scopes: string[];
  state: DbSsoState;
  created_at: Date;
  updated_at: Date;
}

const columns = [
  "id",
  "organization_id",
  "issuer_url",
  "client_id",
  "client_secret_key_id",
  "client_secret_ciphertext",
  "email_domains",
  "display_name",
  "additional_scopes",
  "state",
  "created_at",
  "updated_at",
] as const;

export type NewSsoConfiguration = Omit<DbSsoConfiguration, "created_at" | "updated_at">;

export async function insertSsoConfiguration(sql: Db, row: NewSsoConfiguration): Promise<DbSsoConfiguration> {
  const [created] = await sql<DbSsoConfiguration[]>`
    insert into sso_configurations (id, organization_id, issuer_url, client_id, client_secret_key_id,
                                    client_secret_ciphertext, email_domains, display_name, additional_scopes, state)
    values (${row.id}, ${row.organization_id}, ${row.issuer_url}, ${row.client_id}, ${row.client_secret_key_id},
            ${row.client_secret_ciphertext}, ${row.email_domains}::text[], ${row.display_name},
            ${row.additional_scopes}::text[], ${row.state})
    returning ${sql(columns)}`;
  return created as DbSsoConfiguration;
}

/** A configuration of the org; undefined for another org's or an unknown id. */
export async function findSsoConfiguration(
  sql: Db,
  organizationId: string,
  id: string,
): Promise<DbSsoConfiguration | undefined> {
  const [row] = await sql<DbSsoConfiguration[]>`
    select ${sql(columns)} from sso_configurations where id = ${id} and organization_id = ${organizationId}`;
  return row;
}

/** An active configuration by id alone: the OIDC callback knows only the login it continues. */
export async function findActiveSsoConfiguration(sql: Db, id: string): Promise<DbSsoConfiguration | undefined> {
  const [row] = await sql<DbSsoConfiguration[]>`
    select ${sql(columns)} from sso_configurations where id = ${id} and state = 'active'`;
  return row;
}

/** The active configurations of an org, oldest first. */
export function activeSsoConfigurationsOf(sql: Db, organizationId: string): Promise<DbSsoConfiguration[]> {
  return sql<DbSsoConfiguration[]>`
    select ${sql(columns)} from sso_configurations
     where organization_id = ${organizationId} and state = 'active' order by created_at, id`;
}

/** The active configurations covering an email domain, in any org (sso_configurations_domains_idx). */
export function activeSsoConfigurationsForDomain(sql: Db, domain: string): Promise<DbSsoConfiguration[]> {
  return sql<DbSsoConfiguration[]>`
    select ${sql(columns)} from sso_configurations
     where email_domains @> array[${domain}]::text[] and state = 'active' order by created_at, id`;
}

/** One page of the org's configurations in (created_at, id) order (sso_configurations_organization_idx). */
export function listSsoConfigurations(
  sql: Db,
  q: { organizationId: string; after: { createdAt: Date; id: string } | undefined; limit: number },
): Promise<DbSsoConfiguration[]> {
  return sql<DbSsoConfiguration[]>`
    select ${sql(columns)} from sso_configurations
     where organization_id = ${q.organizationId}
       ${q.after ? sql`and (created_at, id) > (${q.after.createdAt}, ${q.after.id}::uuid)` : sql``}
     order by created_at, id
     limit ${q.limit}`;
}

/**
 * Serializes changes to one org's configurations (the domain rule spans rows): locks the
 * org's row for the rest of the transaction.
 */
export async function lockOrganizationSso(sql: Db, organizationId: string): Promise<void> {
  await sql`select id from organizations where id = ${organizationId} for update`;
}

/** The domains among `domains` that another configuration of the org already covers. */
export async function domainsTaken(
  sql: Db,
  organizationId: string,
  domains: string[],
  exceptId: string | undefined,
): Promise<string[]> {
  const rows = await sql<{ domain: string }[]>`
    select distinct d as domain from sso_configurations, unnest(email_domains) d
     where organization_id = ${organizationId} and email_domains && ${domains}::text[]
       and d = any(${domains}::text[])
       ${exceptId ? sql`and id <> ${exceptId}` : sql``}`;
  return rows.map((r) => r.domain);
}

export type SsoConfigurationChanges = {
  [K in keyof Pick<
    DbSsoConfiguration,
    | "issuer_url"
    | "client_id"
    | "client_secret_key_id"
    | "client_secret_ciphertext"
    | "email_domains"
    | "display_name"
    | "additional_scopes"
    | "state"
  >]?: DbSsoConfiguration[K] | undefined;
};

export async function updateSsoConfiguration(
  sql: Db,
  organizationId: string,
  id: string,
  changes: SsoConfigurationChanges,
  now: Date,
): Promise<boolean> {
  const set: Record<string, unknown> = { ...changes, updated_at: now };
  for (const key of Object.keys(set)) if (set[key] === undefined) delete set[key];
  const rows = await sql`
    update sso_configurations set ${sql(set)} where id = ${id} and organization_id = ${organizationId}`;
  return rows.count === 1;
}

export async function deleteSsoConfiguration(sql: Db, organizationId: string, id: string): Promise<boolean> {
  const rows = await sql`delete from sso_configurations where id = ${id} and organization_id = ${organizationId}`;
  return rows.count === 1;
}
