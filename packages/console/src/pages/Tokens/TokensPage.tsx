import { useMutation, useQuery } from "@connectrpc/connect-query";
import { UserService } from "@runnerplane/api/gitpod/v1/user_pb";
import { useQueryClient } from "@tanstack/react-query";
import { invalidateUsers } from "../../api/invalidate";
import { useSession } from "../../api/session-context";
import { TokensPageView } from "./TokensPageView";

const day = 86_400n;

/** Your personal access tokens: create (value shown once), see when they were used, delete. */
export default function TokensPage() {
  const session = useSession();
  const queryClient = useQueryClient();
  const tokens = useQuery(UserService.method.listPersonalAccessTokens, {
    filter: { userIds: [session.subjectId] },
    pagination: { pageSize: 100 },
  });
  const onSuccess = () => invalidateUsers(queryClient);
  const create = useMutation(UserService.method.createPersonalAccessToken, { onSuccess });
  const remove = useMutation(UserService.method.deletePersonalAccessToken, { onSuccess });
  return (
    <TokensPageView
      tokens={tokens.data?.personalAccessTokens}
      listError={tokens.error}
      created={create.data?.token}
      createError={create.error}
      creating={create.isPending}
      onCreate={(t) =>
        create.mutate({
          userId: session.subjectId,
          description: t.description,
          validFor: { seconds: BigInt(t.days) * day },
          readOnly: t.readOnly,
        })
      }
      onDelete={(id) => remove.mutate({ personalAccessTokenId: id })}
      deleteError={remove.error}
      deleting={remove.isPending}
    />
  );
}
