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

export interface KeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

export async function newKeyPair(): Promise<KeyPair> {
  await sodium.ready;
  const { publicKey, privateKey } = sodium.crypto_box_keypair();
  return { publicKey, privateKey };
}

/**
 * Opens what the server sealed with the runner's public key: the bytes, or with "text" the
 * UTF-8 string. Throws when it does not open with these keys (or, as text, is not UTF-8).
 */
export async function openSealed(keys: KeyPair, sealed: Uint8Array): Promise<Uint8Array>;
export async function openSealed(keys: KeyPair, sealed: Uint8Array, as: "text"): Promise<string>;
export async function openSealed(keys: KeyPair, sealed: Uint8Array, as?: "text"): Promise<Uint8Array | string> {
  await sodium.ready;
  const opened = sodium.crypto_box_seal_open(sealed, keys.publicKey, keys.privateKey);
  return as === "text" ? sodium.to_string(opened) : opened;
}
