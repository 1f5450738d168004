import { useMutation, useQuery } from "@connectrpc/connect-query";
import { OrganizationRole, OrganizationService } from "@runnerplane/api/gitpod/v1/organization_pb";
import { keepPreviousData, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { invalidateOrganization } from "../../api/invalidate";
import { useSession } from "../../api/session-context";
import { usePageTokens } from "../../components/Pagination";
import { MembersPageView } from "./MembersPageView";

/** The organization's members and their roles; admins change roles here (the last admin stays). */
export default function MembersPage() {
  const session = useSession();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const pages = usePageTokens();
  const members = useQuery(
    OrganizationService.method.listMembers,
    {
      organizationId: session.organizationId,
      filter: { search },
      pagination: { token: pages.token, pageSize: 25 },
    },
    // The last answer stays on screen while the next search's is on its way.
    { placeholderData: keepPreviousData },
  );
  // The caller's own entry says whether role controls are offered (SetRole is for admins).
  const mine = useQuery(OrganizationService.method.listMembers, {
    organizationId: session.organizationId,
    filter: { userIds: [session.subjectId] },
    pagination: { pageSize: 1 },
  });
  const setRole = useMutation(OrganizationService.method.setRole, {
    onSuccess: () => invalidateOrganization(queryClient),
  });
  return (
    <MembersPageView
      me={session.subjectId}
      canSetRoles={mine.data?.members[0]?.role === OrganizationRole.ADMIN}
      members={members.data?.members}
      listError={members.error}
      search={search}
      onSearch={(s) => {
        setSearch(s);
        pages.reset();
      }}
      onSetRole={(userId, role) => setRole.mutate({ organizationId: session.organizationId, userId, role })}
      setRoleError={setRole.error}
      page={pages.page}
      nextToken={members.data?.pagination?.nextToken || undefined}
      onNext={pages.next}
      onPrevious={pages.previous}
    />
  );
}
