import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenancyFixture, createTestDatabase, type TenancyFixture, type TestDatabase } from "../testing/index.js";
import { type DbRunner, findRunner } from "./runners.js";

let db: TestDatabase;
let fx: TenancyFixture;
beforeAll(async () => {
  db = await createTestDatabase();
  fx = await createTenancyFixture(db.sql);
});
afterAll(() => db.drop());

/** Every field of DbRunner, once: the compiler rejects a missing or unknown one. */
const dbRunnerFields: Record<keyof DbRunner, true> = {
  id: true,
  organization_id: true,
  name: true,
  kind: true,
  provider: true,
  creator_id: true,
  creator_principal: true,
  runner_manager_id: true,
  created_at: true,
  updated_at: true,
  desired_phase: true,
  variant: true,
  region: true,
  release_channel: true,
  auto_update: true,
  log_level: true,
  devcontainer_image_cache_enabled: true,
  update_window_start: true,
  update_window_end: true,
  encrypted_honeycomb_api_key: true,
  continuous_profiling: true,
  metrics_enabled: true,
  metrics_url: true,
  metrics_username: true,
  metrics_password_ciphertext: true,
  metrics_password_key_id: true,
  metrics_managed: true,
  metrics_verbose: true,
  phase: true,
  status_updated_at: true,
  version: true,
  system_details: true,
  log_url: true,
  status_message: true,
  status_region: true,
  additional_info: true,
  capabilities: true,
  gateway_info: true,
  llm_url: true,
  support_bundle_url: true,
  public_key: true,
  signed_up_at: true,
  deleting_since: true,
};

describe("runnerColumns", () => {
  it("reads exactly DbRunner's columns: none missing, and not the plaintext metrics password", async () => {
    const row = await findRunner(db.sql, fx.organizations.A, fx.runners.orgRunner);
    expect(Object.keys(row ?? {}).sort()).toEqual(Object.keys(dbRunnerFields).sort());
  });

  it("leaves out only the plaintext metrics password of what the table holds", async () => {
    const columns = await db.sql<{ column_name: string }[]>`
      select column_name from information_schema.columns where table_name = 'runners'`;
    expect(columns.map((c) => c.column_name).sort()).toEqual(
      [...Object.keys(dbRunnerFields), "metrics_password"].sort(),
    );
  });
});
