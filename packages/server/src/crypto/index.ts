export { sealForRunner } from "./sealed-box.js";
export type { KeyRing, SecretKey } from "./secret-box.js";
export { createKeyRing, generateSecretKey, parseSecretKeys } from "./secret-box.js";
