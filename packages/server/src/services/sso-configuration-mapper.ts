/** Rows of sso_configurations → gitpod.v1.SSOConfiguration, in one place. The secret never leaves. */
import { create } from "@bufbuild/protobuf";
import {
  type SSOConfiguration,
  SSOConfiguration_ProviderType,
  SSOConfigurationSchema,
  SSOConfigurationState,
} from "@runnerplane/api/gitpod/v1/organization_pb";
import type { DbSsoConfiguration, DbSsoState } from "../db/sso-configurations.js";

export const ssoStateToDb: Partial<Record<SSOConfigurationState, DbSsoState>> = {
  [SSOConfigurationState.SSO_CONFIGURATION_STATE_INACTIVE]: "inactive",
  [SSOConfigurationState.SSO_CONFIGURATION_STATE_ACTIVE]: "active",
};

export function toSsoConfiguration(row: DbSsoConfiguration): SSOConfiguration {
  return create(SSOConfigurationSchema, {
    id: row.id,
    organizationId: row.organization_id,
    clientId: row.client_id,
    issuerUrl: row.issuer_url,
    state:
      row.state === "active"
        ? SSOConfigurationState.SSO_CONFIGURATION_STATE_ACTIVE
        : SSOConfigurationState.SSO_CONFIGURATION_STATE_INACTIVE,
    // The deprecated single domain: the first of the list, for clients that read only it.
    emailDomain: row.email_domains[0] ?? "",
    emailDomains: row.email_domains,
    // BUILTIN means Gitpod's hosted providers; every configuration here is the org's own.
    providerType: SSOConfiguration_ProviderType.CUSTOM,
    displayName: row.display_name,
    additionalScopes: row.additional_scopes,
  });
}
