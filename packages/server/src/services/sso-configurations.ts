/**
 * OrganizationService's SSO configuration methods (behaviour.md §13, docs/sign-in.md):
 * an org's OpenID Connect identity providers. Org admins change them, members read them; the
 * client secret is encrypted with the key ring and never returned. The issuer's discovery
 * document is checked on create, on activation, and when an active configuration's issuer
 * or client changes; nothing is written when it fails.
 */
import { randomUUID } from "node:crypto";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { OrganizationService } from "@runnerplane/api/gitpod/v1/organization_pb";
import { createAuditor } from "../audit/index.js";
import { authorizeOrganization, type Caller, callerOf, orgAdmin, orgMember } from "../auth/index.js";
import type { Clock } from "../clock.js";
import type { KeyRing } from "../crypto/index.js";
import type { Db, Sql } from "../db/index.js";
import {
  type DbSsoConfiguration,
  type DbSsoState,
  deleteSsoConfiguration,
  domainsTaken,
  findSsoConfiguration,
  insertSsoConfiguration,
  listSsoConfigurations,
  lockOrganizationSso,
  updateSsoConfiguration,
} from "../db/sso-configurations.js";
import { type PageTokens, paginate } from "../pagination/index.js";
import { DiscoveryError, discover, issuerProblem } from "../sign-in/oidc-client.js";
import { ssoStateToDb, toSsoConfiguration } from "./sso-configuration-mapper.js";

export interface SsoConfigurationDeps {
  sql: Sql;
  clock: Clock;
  keyRing: KeyRing;
  pageTokens: () => Promise<PageTokens>;
  signIn: { allowInsecureIssuers: boolean };
}

type SsoMethods = Pick<
  ServiceImpl<typeof OrganizationService>,
  | "createSSOConfiguration"
  | "getSSOConfiguration"
  | "listSSOConfigurations"
  | "updateSSOConfiguration"
  | "deleteSSOConfiguration"
>;

/** The associated data binding a client secret's ciphertext to its row and column. */
export function clientSecretContext(id: string): string {
  return `sso_configurations:${id}:client_secret`;
}

function notFound(id: string): ConnectError {
  return new ConnectError(`SSO configuration ${id} not found`, Code.NotFound);
}

export function createSsoConfigurationMethods({
  sql,
  clock,
  keyRing,
  pageTokens,
  signIn,
}: SsoConfigurationDeps): SsoMethods {
  const audited = createAuditor({ sql, clock });
  /** The caller's configuration by id: another org's and an unknown id are the same not_found. */
  async function visible(caller: Caller, id: string): Promise<DbSsoConfiguration> {
    const row = await findSsoConfiguration(sql, caller.organizationId, id.toLowerCase());
    if (!row) throw notFound(id);
    return row;
  }

  async function checkDiscovery(issuerUrl: string, clientId: string, clientSecret: string): Promise<void> {
    try {
      await discover({ issuerUrl, clientId, clientSecret }, signIn.allowInsecureIssuers);
    } catch (error) {
      if (error instanceof DiscoveryError) throw new ConnectError(error.message, Code.FailedPrecondition);
      throw error;
    }
  }

  async function assertDomainsFree(tx: Db, organizationId: string, domains: string[], exceptId?: string) {
    const taken = await domainsTaken(tx, organizationId, domains, exceptId);
    if (taken.length > 0) {
      throw new ConnectError(
        `email_domains: ${taken.join(", ")} already belong to another SSO configuration of the organization`,
        Code.AlreadyExists,
      );
    }
  }

  return {
    async createSSOConfiguration(req, ctx) {
      refuseUnenforced(req.claimsExpression, {});
      const issuer = checkIssuer(req.issuerUrl, signIn.allowInsecureIssuers);
      const domains = domainsOf(req.emailDomain, req.emailDomains);
      if (domains.length === 0) {
        throw new ConnectError("email_domains: at least one email domain is required", Code.InvalidArgument);
      }
      const scopes = scopesOf(req.additionalScopes);
      const organizationId = authorizeOrganization(
        callerOf(ctx),
        req.organizationId,
        OrganizationService.name,
        "admin",
      );
      // The network call comes before the transaction: nothing waits on a slow IdP holding a lock.
      await checkDiscovery(issuer, req.clientId, req.clientSecret);
      const id = randomUUID();
      const secret = keyRing.encrypt(req.clientSecret, clientSecretContext(id));
      const row = await audited(
        ctx,
        async (tx) => {
          await lockOrganizationSso(tx, organizationId);
          await assertDomainsFree(tx, organizationId, domains);
          return insertSsoConfiguration(tx, {
            id,
            organization_id: organizationId,
            issuer_url: issuer,
            client_id: req.clientId,
            client_secret_key_id: secret.keyId,
            client_secret_ciphertext: secret.ciphertext,
            email_domains: domains,
            display_name: req.displayName,
            additional_scopes: scopes,
            // Configured first, activated once the admin is ready (docs/sign-in.md).
            state: "inactive",
          });
        },
        id,
      );
      return { ssoConfiguration: toSsoConfiguration(row) };
    },

    async getSSOConfiguration(req, ctx) {
      const caller = callerOf(ctx);
      orgMember(caller, OrganizationService.name);
      return { ssoConfiguration: toSsoConfiguration(await visible(caller, req.ssoConfigurationId)) };
    },

    async listSSOConfigurations(req, ctx) {
      const organizationId = authorizeOrganization(
        callerOf(ctx),
        req.organizationId,
        OrganizationService.name,
        "member",
      );
      const page = await paginate({
        tokens: await pageTokens(),
        method: "gitpod.v1.OrganizationService/ListSSOConfigurations",
        filter: { organizationId },
        pagination: req.pagination,
        fetch: (after, limit) => listSsoConfigurations(sql, { organizationId, after, limit }),
        cursorOf: (row) => ({ createdAt: row.created_at, id: row.id }),
      });
      return { ssoConfigurations: page.rows.map(toSsoConfiguration), pagination: { nextToken: page.nextToken } };
    },

    async updateSSOConfiguration(req, ctx) {
      refuseUnenforced(req.claimsExpression, req.claims);
      const caller = callerOf(ctx);
      orgMember(caller, OrganizationService.name);
      const current = await visible(caller, req.ssoConfigurationId);
      orgAdmin(caller, OrganizationService.name);
      const issuer = req.issuerUrl === undefined ? undefined : checkIssuer(req.issuerUrl, signIn.allowInsecureIssuers);
      const domains =
        req.emailDomain !== undefined || req.emailDomains.length > 0
          ? domainsOf(req.emailDomain, req.emailDomains)
          : undefined;
      let state: DbSsoState | undefined;
      if (req.state !== undefined) {
        state = ssoStateToDb[req.state];
        if (!state) {
          throw new ConnectError(
            "state: must be SSO_CONFIGURATION_STATE_INACTIVE or SSO_CONFIGURATION_STATE_ACTIVE",
            Code.InvalidArgument,
          );
        }
      }
      const scopes = req.additionalScopes ? scopesOf(req.additionalScopes.scopes) : undefined;
      const next = {
        issuer: issuer ?? current.issuer_url,
        clientId: req.clientId ?? current.client_id,
        state: state ?? current.state,
      };
      const connectionChanged =
        next.issuer !== current.issuer_url || next.clientId !== current.client_id || req.clientSecret !== undefined;
      if (next.state === "active" && (current.state !== "active" || connectionChanged)) {
        const secret =
          req.clientSecret ??
          keyRing.decrypt(
            current.client_secret_key_id,
            current.client_secret_ciphertext,
            clientSecretContext(current.id),
          );
        await checkDiscovery(next.issuer, next.clientId, secret);
      }
      const sealed =
        req.clientSecret === undefined ? undefined : keyRing.encrypt(req.clientSecret, clientSecretContext(current.id));
      await audited(
        ctx,
        async (tx) => {
          await lockOrganizationSso(tx, current.organization_id);
          if (domains) await assertDomainsFree(tx, current.organization_id, domains, current.id);
          const updated = await updateSsoConfiguration(
            tx,
            current.organization_id,
            current.id,
            {
              issuer_url: issuer,
              client_id: req.clientId,
              client_secret_key_id: sealed?.keyId,
              client_secret_ciphertext: sealed?.ciphertext,
              email_domains: domains,
              display_name: req.displayName,
              additional_scopes: scopes,
              state,
            },
            clock.now(),
          );
          if (!updated) throw notFound(req.ssoConfigurationId);
        },
        current.id,
      );
      return {};
    },

    /** Deleting a configuration ends the logins under way and the sessions it started (foreign keys). */
    async deleteSSOConfiguration(req, ctx) {
      const caller = callerOf(ctx);
      orgMember(caller, OrganizationService.name);
      const current = await visible(caller, req.ssoConfigurationId);
      orgAdmin(caller, OrganizationService.name);
      await audited(
        ctx,
        async (tx) => {
          if (!(await deleteSsoConfiguration(tx, current.organization_id, current.id))) {
            throw notFound(req.ssoConfigurationId);
          }
        },
        current.id,
      );
      return {};
    },
  };
}

function checkIssuer(issuerUrl: string, allowInsecure: boolean): string {
  const problem = issuerProblem(issuerUrl, allowInsecure);
  if (problem) throw new ConnectError(`issuer_url: ${problem}`, Code.InvalidArgument);
  return issuerUrl;
}

/** The deprecated single domain and the list together, lower-cased, without duplicates. */
function domainsOf(single: string | undefined, list: string[]): string[] {
  const all = [...(single ? [single] : []), ...list].map((d) => d.toLowerCase());
  const pattern = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$/;
  for (const d of all) {
    if (!pattern.test(d) || d.length > 253) {
      throw new ConnectError(`email_domain: "${d}" is not a domain name`, Code.InvalidArgument);
    }
  }
  return [...new Set(all)];
}

/** Scopes travel space-separated (RFC 6749 §3.3): one must not contain a space or a quote. */
function scopesOf(scopes: string[]): string[] {
  for (const s of scopes) {
    if (!/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s)) {
      throw new ConnectError(`additional_scopes: "${s}" is not a scope token`, Code.InvalidArgument);
    }
  }
  return [...new Set(scopes)];
}

/**
 * CEL claim restrictions and claim mappings are not evaluated here: storing one that is not
 * enforced would let in people an admin meant to keep out, so a non-empty one is refused.
 */
function refuseUnenforced(claimsExpression: string | undefined, claims: Record<string, string>) {
  if (claimsExpression) {
    throw new ConnectError("claims_expression is not supported by this server", Code.Unimplemented);
  }
  if (Object.keys(claims).length > 0) {
    throw new ConnectError("claims is not supported by this server", Code.Unimplemented);
  }
}
