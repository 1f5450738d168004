/**
 * A request the server refuses: every `invalid_argument` for broken field rules carries them
 * as a `runnerplane.validate.v1.Violations` error detail, one entry per field and rule.
 *
 *   RUNNERPLANE_URL=http://localhost:8080 RUNNERPLANE_TOKEN=$(cat .data/admin-token) node field-violations.js
 */
import {
  Code,
  ConnectError,
  createRunnerplaneClient,
  errorCode,
  type FieldViolation,
  fieldViolations,
  ViolationsSchema,
} from "@runnerplane/client";
import { RunnerProvider } from "@runnerplane/client/gitpod/v1/runner_configuration_pb";
import type { Violations } from "@runnerplane/client/runnerplane/validate/v1/validate_pb";

const client = createRunnerplaneClient({
  baseUrl: process.env.RUNNERPLANE_URL ?? "http://localhost:8080",
  token: process.env.RUNNERPLANE_TOKEN ?? "",
});

try {
  // A name shorter than 3 characters and a runner manager id that is not a UUID.
  await client.runners.createRunner({ name: "ab", provider: RunnerProvider.AWS_EC2, runnerManagerId: "nope" });
} catch (error) {
  if (errorCode(error) !== Code.InvalidArgument) throw error;
  // The helper: plain { field, rule, message } objects, e.g. to show next to form fields.
  const violations: FieldViolation[] = fieldViolations(error);
  for (const { field, rule, message } of violations) console.log(`violation ${field} ${rule}: ${message}`);
  // Or the detail message itself, decoded with protobuf-es.
  const details: Violations[] = ConnectError.from(error).findDetails(ViolationsSchema);
  console.log(`${details[0]?.violations.length ?? 0} violations in the detail`);
}
