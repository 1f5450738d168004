/**
 * The console: one transport and one QueryClient (created by main.tsx, or by a test with an
 * in-memory transport), the session gate, the layout and the routes.
 */
import type { Transport } from "@connectrpc/connect";
import { TransportProvider } from "@connectrpc/connect-query";
import { type QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { lazy, Suspense, useState } from "react";
import { Redirect, Route, Router, Switch } from "wouter";
import { memoryLocation } from "wouter/memory-location";
import { Skeleton } from "./components/ListState";
import { Layout } from "./modules/layout/Layout";
import { SessionGate } from "./modules/session/SessionGate";
import { RunnersPage } from "./pages/Runners/RunnersPage";

const RunnerPage = lazy(() => import("./pages/Runner/RunnerPage"));
const CreateRunnerPage = lazy(() => import("./pages/CreateRunner/CreateRunnerPage"));
const EnvironmentClassesPage = lazy(() => import("./pages/EnvironmentClasses/EnvironmentClassesPage"));
const ScmIntegrationsPage = lazy(() => import("./pages/ScmIntegrations/ScmIntegrationsPage"));
const AccountsPage = lazy(() => import("./pages/Accounts/AccountsPage"));
const ContextUrlPage = lazy(() => import("./pages/ContextUrl/ContextUrlPage"));
const MembersPage = lazy(() => import("./pages/Members/MembersPage"));
const GroupsPage = lazy(() => import("./pages/Groups/GroupsPage"));
const GroupPage = lazy(() => import("./pages/Groups/GroupPage"));
const ServiceAccountsPage = lazy(() => import("./pages/ServiceAccounts/ServiceAccountsPage"));
const TokensPage = lazy(() => import("./pages/Tokens/TokensPage"));
const SsoPage = lazy(() => import("./pages/Sso/SsoPage"));
const AuditLogPage = lazy(() => import("./pages/AuditLog/AuditLogPage"));

export function App({
  transport,
  queryClient,
  path,
}: {
  transport: Transport;
  queryClient: QueryClient;
  /** Start at this path, kept in memory (tests); the browser's location otherwise. */
  path?: string;
}) {
  // Created once: a new memory location on every render would reset the path.
  const [memory] = useState(() => (path ? memoryLocation({ path }) : undefined));
  return (
    <TransportProvider transport={transport}>
      <QueryClientProvider client={queryClient}>
        <Router {...(memory ? { hook: memory.hook } : {})}>
          <SessionGate>
            <Layout>
              <Suspense fallback={<Skeleton label="Loading page…" />}>
                <Switch>
                  <Route path="/">
                    <Redirect to="/runners" replace />
                  </Route>
                  <Route path="/runners" component={RunnersPage} />
                  <Route path="/runners/new" component={CreateRunnerPage} />
                  <Route path="/runners/:id/environment-classes" component={EnvironmentClassesPage} />
                  <Route path="/runners/:id/scm-integrations" component={ScmIntegrationsPage} />
                  <Route path="/runners/:id" component={RunnerPage} />
                  <Route path="/accounts" component={AccountsPage} />
                  <Route path="/context-url" component={ContextUrlPage} />
                  <Route path="/members" component={MembersPage} />
                  <Route path="/groups" component={GroupsPage} />
                  <Route path="/groups/:id" component={GroupPage} />
                  <Route path="/service-accounts" component={ServiceAccountsPage} />
                  <Route path="/tokens" component={TokensPage} />
                  <Route path="/sso" component={SsoPage} />
                  <Route path="/audit-log" component={AuditLogPage} />
                  <Route>
                    <section>
                      <h1>Page not found</h1>
                      <p>
                        There is no page at this address. <a href="/runners">Go to runners</a>.
                      </p>
                    </section>
                  </Route>
                </Switch>
              </Suspense>
            </Layout>
          </SessionGate>
        </Router>
      </QueryClientProvider>
    </TransportProvider>
  );
}
