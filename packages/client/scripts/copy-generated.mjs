// The client ships the same generated code the server uses (packages/api/src/gen) and the
// .proto sources, copied at build time so the published tarball needs no workspace package.
import { cp, rm } from "node:fs/promises";

const here = new URL("../", import.meta.url);
await rm(new URL("src/gen", here), { recursive: true, force: true });
await cp(new URL("../api/src/gen", here), new URL("src/gen", here), { recursive: true });
await rm(new URL("proto", here), { recursive: true, force: true });
await cp(new URL("../../proto", here), new URL("proto", here), { recursive: true });
