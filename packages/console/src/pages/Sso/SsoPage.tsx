import { useMutation, useQuery } from "@connectrpc/connect-query";
import { OrganizationService, SSOConfigurationState } from "@runnerplane/api/gitpod/v1/organization_pb";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formErrors } from "../../api/errors";
import { invalidateOrganization } from "../../api/invalidate";
import { useSession } from "../../api/session-context";
import { ConfirmButton } from "../../components/ConfirmButton";
import { OnceValue } from "../../components/CopyButton";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ListState } from "../../components/ListState";
import { TextField } from "../../components/TextField";
import { enumLabel } from "../../modules/labels";

/** SSO configurations (org admins): an OpenID Connect issuer, its client, the email domains it covers. */
export default function SsoPage() {
  const session = useSession();
  const queryClient = useQueryClient();
  const configs = useQuery(OrganizationService.method.listSSOConfigurations, {
    organizationId: session.organizationId,
    pagination: { pageSize: 100 },
  });
  const onSuccess = () => invalidateOrganization(queryClient);
  const create = useMutation(OrganizationService.method.createSSOConfiguration, { onSuccess });
  const update = useMutation(OrganizationService.method.updateSSOConfiguration, { onSuccess });
  const remove = useMutation(OrganizationService.method.deleteSSOConfiguration, { onSuccess });
  const [issuerUrl, setIssuerUrl] = useState("");
  const [clientId, setClientId] = useState("");
  const [clientSecret, setClientSecret] = useState("");
  const [domains, setDomains] = useState("");
  const { fields, notice } = formErrors(create.error);
  return (
    <section>
      <h1>Single sign-on</h1>
      <OnceValue
        id="redirect-uri"
        label="Redirect URI to register with your identity provider"
        value={`${window.location.origin}/auth/oidc/callback`}
      />
      {(update.error || remove.error) && (
        <ErrorNotice error={update.error ?? remove.error} action="change SSO configurations" />
      )}
      <ListState
        items={configs.data?.ssoConfigurations}
        error={configs.error}
        label="SSO configurations"
        empty={<p>No SSO configuration: people sign in with personal access tokens.</p>}
      >
        {(items) => (
          <ul className="rows">
            {items.map((c) => (
              <li key={c.id}>
                <span>
                  <strong>{c.displayName || c.issuerUrl}</strong>{" "}
                  <span className="muted">
                    {enumLabel(SSOConfigurationState, c.state)} — {c.emailDomains.join(", ") || c.emailDomain}
                  </span>
                </span>
                <span className="actions">
                  <button
                    type="button"
                    className="secondary"
                    onClick={() =>
                      update.mutate({
                        ssoConfigurationId: c.id,
                        state:
                          c.state === SSOConfigurationState.SSO_CONFIGURATION_STATE_ACTIVE
                            ? SSOConfigurationState.SSO_CONFIGURATION_STATE_INACTIVE
                            : SSOConfigurationState.SSO_CONFIGURATION_STATE_ACTIVE,
                      })
                    }
                  >
                    {c.state === SSOConfigurationState.SSO_CONFIGURATION_STATE_ACTIVE ? "Deactivate" : "Activate"}
                  </button>
                  <ConfirmButton
                    label="Delete"
                    name={`Delete SSO configuration ${c.issuerUrl}`}
                    question={`Delete the SSO configuration for ${c.issuerUrl}? People of its domains can no longer sign in through it.`}
                    confirmLabel="Delete configuration"
                    pending={remove.isPending}
                    onConfirm={() => remove.mutate({ ssoConfigurationId: c.id })}
                  />
                </span>
              </li>
            ))}
          </ul>
        )}
      </ListState>
      <section className="card" aria-labelledby="new-sso-heading">
        <h2 id="new-sso-heading">New SSO configuration</h2>
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate({
              organizationId: session.organizationId,
              issuerUrl: issuerUrl.trim(),
              clientId: clientId.trim(),
              clientSecret,
              emailDomains: domains
                .split(/[\s,]+/)
                .map((d) => d.trim())
                .filter(Boolean),
            });
          }}
        >
          <TextField
            label="Issuer URL"
            type="url"
            value={issuerUrl}
            onChange={(e) => setIssuerUrl(e.target.value)}
            error={fields.issuerUrl}
          />
          <TextField
            label="Client ID"
            value={clientId}
            onChange={(e) => setClientId(e.target.value)}
            error={fields.clientId}
          />
          <TextField
            label="Client secret"
            type="password"
            autoComplete="off"
            value={clientSecret}
            onChange={(e) => setClientSecret(e.target.value)}
            error={fields.clientSecret}
          />
          <TextField
            label="Email domains"
            value={domains}
            placeholder="example.com, example.org"
            onChange={(e) => setDomains(e.target.value)}
            error={fields.emailDomains}
          />
          {notice && <ErrorNotice error={create.error} action="configure SSO" />}
          <button type="submit" disabled={create.isPending}>
            Save SSO configuration
          </button>
        </form>
      </section>
    </section>
  );
}
