/**
 * The list of audited methods is complete: a served method that may change something is
 * either audited or exempted with a reason, so a new mutating RPC cannot land without its
 * audit entry (docs/audit-log.md#the-one-mechanism-audited).
 */

import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { systemClock } from "../clock.js";
import { createKeyRing } from "../crypto/index.js";
import { createSql } from "../db/index.js";
import { silentLogger } from "../logging/index.js";
import { createRelay } from "../relay/index.js";
import { routes, type servedServices, serviceDeps } from "../routes.js";
import { signInDefaults } from "../sign-in/settings.js";
import { auditedMethods, isReadMethodName, unauditedMethods } from "./audited-methods.js";

/** Every method some service implementation answers, by full name, with its idempotency. */
function servedMethods(): Map<string, MethodOptions_IdempotencyLevel> {
  // Never connected: the factories only close over their dependencies.
  const sql = createSql("postgres://127.0.0.1:1/never", { max: 1 });
  const deps = serviceDeps({
    sql,
    clock: systemClock,
    log: silentLogger,
    keyRing: createKeyRing([{ id: "k", key: Buffer.alloc(32) }]),
    publicUrl: "http://localhost",
    relay: createRelay({ sql, clock: systemClock, log: silentLogger }),
    signIn: signInDefaults,
  });
  const served = new Map<string, MethodOptions_IdempotencyLevel>();
  const router = {
    service(desc: (typeof servedServices)[number], impl: Record<string, unknown>) {
      for (const method of desc.methods) {
        if (typeof impl[method.localName] === "function") {
          served.set(`${desc.typeName}/${method.name}`, method.idempotency);
        }
      }
      return router;
    },
  };
  routes(router as unknown as ConnectRouter, deps, {
    ready: async () => ({ ok: true }),
    shutdown: new AbortController().signal,
  });
  return served;
}

describe("auditedMethods", () => {
  const served = servedMethods();

  it("covers every served method that may have side effects, or names why it writes no entry", () => {
    const missing = [...served]
      .filter(([, idempotency]) => idempotency !== MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS)
      .map(([name]) => name)
      .filter((name) => !isReadMethodName(name.split("/")[1] as string))
      .filter((name) => !auditedMethods.has(name) && !unauditedMethods.has(name));
    expect(missing).toEqual([]);
  });

  it("names only methods that are served, and none both audited and exempted", () => {
    expect([...auditedMethods.keys(), ...unauditedMethods.keys()].filter((name) => !served.has(name))).toEqual([]);
    expect([...auditedMethods.keys()].filter((name) => unauditedMethods.has(name))).toEqual([]);
  });

  it("audits no method declared free of side effects", () => {
    const reads = [...auditedMethods.keys()].filter(
      (name) =>
        served.get(name) === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS ||
        isReadMethodName(name.split("/")[1] as string),
    );
    expect(reads).toEqual([]);
  });
});
