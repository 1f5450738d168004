import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { ServiceAccountService } from "@runnerplane/api/gitpod/v1/service_account_pb";
import { useQueryClient } from "@tanstack/react-query";
import { invalidateServiceAccounts } from "../../api/invalidate";
import { ServiceAccountsPageView } from "./ServiceAccountsPageView";

/** Service accounts (org admins): create (valid until a chosen day), issue a token (shown once), delete. */
export default function ServiceAccountsPage() {
  const queryClient = useQueryClient();
  const accounts = useQuery(ServiceAccountService.method.listServiceAccounts, { pagination: { pageSize: 100 } });
  const onSuccess = () => invalidateServiceAccounts(queryClient);
  const create = useMutation(ServiceAccountService.method.createServiceAccount, { onSuccess });
  const remove = useMutation(ServiceAccountService.method.deleteServiceAccount, { onSuccess });
  const issue = useMutation(ServiceAccountService.method.createServiceAccountAccessToken, { onSuccess });
  return (
    <ServiceAccountsPageView
      accounts={accounts.data?.serviceAccounts}
      listError={accounts.error}
      issuedToken={issue.data?.token}
      actionError={issue.error ?? remove.error}
      onIssue={(id) => issue.mutate({ serviceAccountId: id })}
      onDelete={(id) => remove.mutate({ serviceAccountId: id })}
      deleting={remove.isPending}
      createError={create.error}
      creating={create.isPending}
      onCreate={(a) =>
        create.mutate({
          name: a.name,
          description: a.description,
          ...(a.validUntil ? { validUntil: timestampFromDate(a.validUntil) } : {}),
        })
      }
    />
  );
}
