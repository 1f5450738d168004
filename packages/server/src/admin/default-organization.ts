/**
 * The embedded default's first start: with no organization yet, create a `default` org and
 * its `admin`, and leave the admin's token where the README says (owner-only file), so a
 * newcomer can call the API right after `pnpm start`.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { Sql } from "../db/index.js";
import { countOrganizations } from "../db/organizations.js";
import type { Logger } from "../logging/index.js";
import { bootstrap } from "./bootstrap.js";

export const adminTokenFileName = "admin-token";

export async function ensureDefaultOrganization(sql: Sql, dataDir: string, log: Logger): Promise<void> {
  if ((await countOrganizations(sql)) > 0) return;
  const created = await bootstrap(sql, { organizationName: "default", adminName: "admin" });
  const file = path.join(dataDir, adminTokenFileName);
  await writeFile(file, `${created.secret}\n`, { mode: 0o600 });
  log.info("created the default organization and its admin; the admin's token is in the file below", {
    organization_id: created.organization.id,
    admin_id: created.admin.id,
    token_file: file,
  });
}
