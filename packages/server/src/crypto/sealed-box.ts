/**
 * Sealing secrets for a runner: libsodium's sealed box (X25519 + XSalsa20-Poly1305 with an
 * ephemeral sender key). Only the holder of the runner's private key can open the result;
 * the server, which only knows the public key from Signup, cannot.
 */
import sodium from "libsodium-wrappers";

export async function sealForRunner(publicKey: Uint8Array, plaintext: string): Promise<Uint8Array> {
  await sodium.ready;
  return sodium.crypto_box_seal(new TextEncoder().encode(plaintext), publicKey);
}
