/**
 * Renders the whole console over an in-memory Connect transport (createRouterTransport): the
 * real App, QueryClient and components, the services answered by the test's own handlers.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, createRouterTransport } from "@connectrpc/connect";
import {
  GetAuthenticatedIdentityResponseSchema,
  IdentityService,
  Principal,
} from "@runnerplane/api/gitpod/v1/identity_pb";
import { render } from "@testing-library/react";
import { App } from "../App";
import { createConsoleQueryClient } from "../api/query-client";

export const me = { id: "0b7f3c1e-0000-4000-8000-000000000001", org: "0b7f3c1e-0000-4000-8000-0000000000aa" };

export function renderApp(path: string, routes: (router: ConnectRouter) => void, options: { signedIn?: boolean } = {}) {
  const transport = createRouterTransport((router) => {
    router.service(IdentityService, {
      getAuthenticatedIdentity: () => {
        if (options.signedIn === false) throw new ConnectError("no session", Code.Unauthenticated);
        return create(GetAuthenticatedIdentityResponseSchema, {
          subject: { id: me.id, principal: Principal.USER },
          organizationId: me.org,
        });
      },
    });
    routes(router);
  });
  const queryClient = createConsoleQueryClient();
  return render(<App transport={transport} queryClient={queryClient} path={path} />);
}
