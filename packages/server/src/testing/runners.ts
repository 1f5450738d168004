/**
 * Runners for tests, made the way real ones are: CreateRunner as an admin, ExchangeToken,
 * then Signup with a fresh X25519 key pair the test keeps (to open sealed secrets).
 */
import { RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import sodium from "libsodium-wrappers";
import { type Clients, clientsFor } from "./access-matrix.js";

export interface TestRunner {
  runnerId: string;
  /** The runner's access token (PRINCIPAL_RUNNER). */
  token: string;
  /** Clients authenticated as the runner itself. */
  clients: Clients;
  /** Its key pair; `undefined` for a runner that did not sign up. */
  keys: { publicKey: Uint8Array; privateKey: Uint8Array } | undefined;
}

export async function createTestRunner(
  baseUrl: string,
  adminToken: string,
  options: { signUp?: boolean; name?: string; provider?: RunnerProvider } = {},
): Promise<TestRunner> {
  const admin = clientsFor(baseUrl, adminToken);
  const created = await admin.runners.createRunner({
    name: options.name ?? "test runner",
    provider: options.provider ?? RunnerProvider.AWS_EC2,
  });
  const runnerId = created.runner?.runnerId as string;
  const { accessToken } = await admin.identity.exchangeToken({ exchangeToken: created.exchangeToken });
  const clients = clientsFor(baseUrl, accessToken);
  if (options.signUp === false) return { runnerId, token: accessToken, clients, keys: undefined };
  await sodium.ready;
  const keys = sodium.crypto_box_keypair();
  await clients.interaction.signup({ publicKey: keys.publicKey });
  return { runnerId, token: accessToken, clients, keys: { publicKey: keys.publicKey, privateKey: keys.privateKey } };
}

/** Opens a secret sealed for the runner; throws if it was sealed for another key. */
export async function openSealed(runner: TestRunner, sealed: Uint8Array): Promise<string> {
  await sodium.ready;
  if (!runner.keys) throw new Error("the runner has no key pair");
  return new TextDecoder().decode(sodium.crypto_box_seal_open(sealed, runner.keys.publicKey, runner.keys.privateKey));
}
