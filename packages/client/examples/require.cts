/**
 * The client from CommonJS: `require` gets the package's CommonJS build, with its own types.
 *
 *   RUNNERPLANE_URL=http://localhost:8080 RUNNERPLANE_TOKEN=$(cat .data/admin-token) node require.cjs
 */
import runnerplane = require("@runnerplane/client");
import validate = require("@runnerplane/client/runnerplane/validate/v1/validate_pb");

async function main(): Promise<void> {
  const client = runnerplane.createRunnerplaneClient({
    baseUrl: process.env.RUNNERPLANE_URL ?? "http://localhost:8080",
    token: process.env.RUNNERPLANE_TOKEN ?? "",
  });
  const { subject } = await client.identity.getAuthenticatedIdentity({});
  console.log(`signed in from CommonJS as ${subject?.id}`);
  try {
    await client.runners.getRunner({ runnerId: "not-a-uuid" });
  } catch (error) {
    const [first] = runnerplane.fieldViolations(error);
    console.log(`violation ${first?.field} ${first?.rule}: ${first?.message}`);
    const detail: validate.Violations | undefined = runnerplane.ConnectError.from(error).findDetails(
      validate.ViolationsSchema,
    )[0];
    console.log(`${detail?.violations.length ?? 0} violation in the detail`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
