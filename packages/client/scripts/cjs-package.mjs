// dist/cjs holds the CommonJS build: a package.json there makes Node and TypeScript read its
// .js and .d.ts files as CommonJS. It is also the package scope those files resolve
// `#transports` in, so it carries the package's `imports` map, pointed at the CommonJS files.
import { readFile, writeFile } from "node:fs/promises";

const here = new URL("../", import.meta.url);
const { imports } = JSON.parse(await readFile(new URL("package.json", here), "utf8"));
const rebased = (target) => target.replace(/^\.\/dist\//, "./");
const cjsImports = Object.fromEntries(
  Object.entries(imports).map(([name, conditions]) => [
    name,
    Object.fromEntries(Object.entries(conditions).map(([condition, target]) => [condition, rebased(target)])),
  ]),
);
await writeFile(
  new URL("dist/cjs/package.json", here),
  `${JSON.stringify({ type: "commonjs", imports: cjsImports }, null, 2)}\n`,
);
