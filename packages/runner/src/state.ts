/**
 * What a runner keeps between runs, in its state directory (mode 0600): its access token
 * (from the one-time exchange token) and its X25519 key pair (the public half is what the
 * server seals secrets with; losing the private half makes those secrets unreadable).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import sodium from "libsodium-wrappers";

export interface RunnerState {
  accessToken: string;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

const file = (dir: string) => path.join(dir, "runner-state.json");

export async function loadState(dir: string): Promise<RunnerState | undefined> {
  try {
    const raw = JSON.parse(await readFile(file(dir), "utf8")) as Record<string, string>;
    return {
      accessToken: raw.accessToken ?? "",
      publicKey: Buffer.from(raw.publicKey ?? "", "base64"),
      privateKey: Buffer.from(raw.privateKey ?? "", "base64"),
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

export async function saveState(dir: string, state: RunnerState): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const body = {
    accessToken: state.accessToken,
    publicKey: Buffer.from(state.publicKey).toString("base64"),
    privateKey: Buffer.from(state.privateKey).toString("base64"),
  };
  await writeFile(file(dir), `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
}

export async function newKeyPair(): Promise<{ publicKey: Uint8Array; privateKey: Uint8Array }> {
  await sodium.ready;
  const { publicKey, privateKey } = sodium.crypto_box_keypair();
  return { publicKey, privateKey };
}
