/**
 * Quickstart: register a runner, give it an environment class and an SCM integration, then
 * list every runner with the iterator.
 *
 *   RUNNERPLANE_URL=http://localhost:8080 RUNNERPLANE_TOKEN=$(cat .data/admin-token) node quickstart.js
 *
 * RUNNERPLANE_PROTOCOL picks connect (default), connect-binary, grpc or grpc-web.
 */
import { Code, createRunnerplaneClient, errorCode, type Protocol } from "@runnerplane/client";
import { RunnerProvider } from "@runnerplane/client/gitpod/v1/runner_configuration_pb";

const [protocol, binary] = ((): [Protocol, boolean | undefined] => {
  const p = process.env.RUNNERPLANE_PROTOCOL ?? "connect";
  return p === "connect-binary" ? ["connect", true] : [p as Protocol, undefined];
})();

const client = createRunnerplaneClient({
  baseUrl: process.env.RUNNERPLANE_URL ?? "http://localhost:8080",
  token: process.env.RUNNERPLANE_TOKEN ?? "",
  protocol,
  ...(binary === undefined ? {} : { binary }),
  userAgent: "quickstart/1.0",
});

const { subject, organizationId } = await client.identity.getAuthenticatedIdentity({});
console.log(`signed in as ${subject?.id} in organization ${organizationId}`);

// 1. Register a runner. The exchange token is what you hand to the runner process.
const { runner, exchangeToken } = await client.runners.createRunner({
  name: `quickstart ${protocol}${binary ? " binary" : ""}`,
  provider: RunnerProvider.AWS_EC2,
  spec: { configuration: { region: "eu-central-1", autoUpdate: true } },
});
const runnerId = runner?.runnerId ?? "";
console.log(`created runner ${runnerId} (exchange token ${exchangeToken.slice(0, 12)}…)`);

// 2. An environment class, checked against the runner's configuration schema.
const { id: classId } = await client.configuration.createEnvironmentClass({
  runnerId,
  displayName: "Medium",
  description: "4 cores, 8 GiB",
  configuration: [
    { key: "cpu", value: "4" },
    { key: "memory", value: "8192" },
  ],
});
console.log(`created environment class ${classId}`);

// 3. An SCM integration that lets users sign in to GitHub with personal access tokens.
const { id: integrationId } = await client.configuration.createSCMIntegration({
  runnerId,
  scmId: "github",
  host: "github.com",
  pat: true,
});
console.log(`created SCM integration ${integrationId}`);

// Errors carry Connect codes: branch on them, not on messages.
try {
  await client.runners.getRunner({ runnerId: "00000000-0000-4000-8000-000000000000" });
} catch (error) {
  if (errorCode(error) !== Code.NotFound) throw error;
  console.log("an unknown runner is not_found, as expected");
}

// 4. Every runner, page by page as the loop needs them.
for await (const r of client.iterate.runners({ pagination: { pageSize: 2 } })) {
  console.log(`runner ${r.runnerId} ${r.name}`);
}
