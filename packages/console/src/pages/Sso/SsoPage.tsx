import { useMutation, useQuery } from "@connectrpc/connect-query";
import { OrganizationService } from "@runnerplane/api/gitpod/v1/organization_pb";
import { useQueryClient } from "@tanstack/react-query";
import { invalidateOrganization } from "../../api/invalidate";
import { useSession } from "../../api/session-context";
import { SsoPageView } from "./SsoPageView";

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
  return (
    <SsoPageView
      redirectUri={`${window.location.origin}/auth/oidc/callback`}
      configurations={configs.data?.ssoConfigurations}
      listError={configs.error}
      createError={create.error}
      creating={create.isPending}
      onCreate={(c) =>
        create.mutateAsync({
          organizationId: session.organizationId,
          issuerUrl: c.issuerUrl,
          clientId: c.clientId,
          clientSecret: c.clientSecret,
          emailDomains: c.emailDomains,
          ...(c.displayName ? { displayName: c.displayName } : {}),
        })
      }
      onUpdate={({ id, ...changes }) => update.mutateAsync({ ssoConfigurationId: id, ...changes })}
      updateError={update.error}
      updating={update.isPending}
      onDelete={(id) => remove.mutate({ ssoConfigurationId: id })}
      deleteError={remove.error}
      deleting={remove.isPending}
    />
  );
}
