import { useMutation, useQuery } from "@connectrpc/connect-query";
import { GroupService } from "@runnerplane/api/gitpod/v1/group_pb";
import { useQueryClient } from "@tanstack/react-query";
import { invalidateGroups } from "../../api/invalidate";
import { useSession } from "../../api/session-context";
import { GroupsPageView } from "./GroupsPageView";

/** The organization's groups: list (with member counts) and create. */
export default function GroupsPage() {
  const session = useSession();
  const queryClient = useQueryClient();
  const groups = useQuery(GroupService.method.listGroups, { pagination: { pageSize: 100 } });
  const create = useMutation(GroupService.method.createGroup, { onSuccess: () => invalidateGroups(queryClient) });
  return (
    <GroupsPageView
      groups={groups.data?.groups}
      listError={groups.error}
      createError={create.error}
      creating={create.isPending}
      onCreate={(name, description) =>
        create.mutateAsync({ organizationId: session.organizationId, name, description })
      }
    />
  );
}
