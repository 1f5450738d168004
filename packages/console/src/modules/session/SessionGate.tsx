/**
 * Shows the console to a signed-in person and the sign-in page to anyone else. Whether a
 * session exists is the server's answer to GetAuthenticatedIdentity; any later
 * `unauthenticated` (session ended elsewhere, suspended) asks again, which shows sign-in.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { createConnectQueryKey, useQuery } from "@connectrpc/connect-query";
import { IdentityService } from "@runnerplane/api/gitpod/v1/identity_pb";
import { useQueryClient } from "@tanstack/react-query";
import { type ReactNode, useEffect, useMemo } from "react";
import { signOut } from "../../api/session";
import { type Session, SessionContext } from "../../api/session-context";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Skeleton } from "../../components/ListState";
import { SignInPage } from "../../pages/SignIn/SignInPage";

const identityKey = createConnectQueryKey({
  schema: IdentityService.method.getAuthenticatedIdentity,
  cardinality: undefined,
});

/** Whether a connect-query key is for a method of IdentityService. */
function isIdentityQuery(queryKey: readonly unknown[]): boolean {
  return (queryKey[1] as { serviceName?: string } | undefined)?.serviceName === IdentityService.typeName;
}

export function SessionGate({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const identity = useQuery(IdentityService.method.getAuthenticatedIdentity, {}, { retry: false, staleTime: 60_000 });

  useEffect(
    () =>
      queryClient.getQueryCache().subscribe((event) => {
        if (event.type !== "updated" || event.action.type !== "error") return;
        if (ConnectError.from(event.action.error).code !== Code.Unauthenticated) return;
        if (isIdentityQuery(event.query.queryKey)) return;
        void queryClient.invalidateQueries({ queryKey: identityKey });
      }),
    [queryClient],
  );

  const data = identity.data;
  const session = useMemo<Session | undefined>(
    () =>
      data?.subject
        ? {
            subjectId: data.subject.id,
            organizationId: data.organizationId,
            signOut: async () => {
              await signOut();
              // Ask who we are again (now: nobody, so sign-in shows), then forget every answer
              // given to the session that ended.
              await queryClient.resetQueries({ queryKey: identityKey });
              queryClient.removeQueries({
                predicate: (q) => !isIdentityQuery(q.queryKey),
              });
            },
          }
        : undefined,
    [data, queryClient],
  );

  if (identity.isPending) return <Skeleton label="Checking your session…" />;
  if (identity.error) {
    if (identity.error.code === Code.Unauthenticated) {
      return <SignInPage onSignedIn={() => queryClient.invalidateQueries({ queryKey: identityKey })} />;
    }
    return (
      <main className="centered">
        <ErrorNotice error={identity.error} />
        <button type="button" onClick={() => identity.refetch()}>
          Try again
        </button>
      </main>
    );
  }
  if (!session) return <SignInPage onSignedIn={() => queryClient.invalidateQueries({ queryKey: identityKey })} />;
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}
