/**
 * gitpod.v1.EventService: the audit log, read by the admins of the org it belongs to
 * (behaviour.md §15, docs/audit-log.md#reading). There is nothing here that writes: entries
 * are written by audit/audited.ts in the transaction of the change they record.
 */

import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { EventService } from "@runnerplane/api/gitpod/v1/event_pb";
import { SortOrder } from "@runnerplane/api/gitpod/v1/pagination_pb";
import { callerOf, orgAdmin } from "../auth/index.js";
import { type AuditLogFilter, findAuditEntry, listAuditEntries } from "../db/audit-log.js";
import type { Sql } from "../db/index.js";
import { type PageTokens, paginate } from "../pagination/index.js";
import { principalToDb, toAuditLogEntry } from "./audit-log-mapper.js";

export interface EventServiceDeps {
  sql: Sql;
  pageTokens: () => Promise<PageTokens>;
}

/** The one order entries have: their time (and id among equal times). */
const sortFields = new Set(["", "created_at", "createdAt"]);

export function createEventService({ sql, pageTokens }: EventServiceDeps): Partial<ServiceImpl<typeof EventService>> {
  const adminOf = (ctx: Parameters<typeof callerOf>[0]) =>
    orgAdmin(callerOf(ctx), EventService.name, "read the audit log");

  return {
    /** Newest first (sort.order ASC: oldest first), the contract's filters, keyset pages. */
    async listAuditLogs(req, ctx) {
      const caller = adminOf(ctx);
      const f = req.filter;
      if (req.sort && !sortFields.has(req.sort.field)) {
        throw new ConnectError(
          `sort.field: "${req.sort.field}" is not supported; entries sort by created_at`,
          Code.InvalidArgument,
        );
      }
      const from = f?.from ? timestampDate(f.from) : undefined;
      const to = f?.to ? timestampDate(f.to) : undefined;
      if (from && to && from.getTime() >= to.getTime()) {
        throw new ConnectError("filter.to: must be after filter.from", Code.InvalidArgument);
      }
      const filter: AuditLogFilter = {
        organizationId: caller.organizationId,
        actorIds: [...new Set((f?.actorIds ?? []).map((id) => id.toLowerCase()))].sort(),
        actorPrincipals: [
          ...new Set(
            (f?.actorPrincipals ?? []).flatMap((p) => {
              const db = principalToDb[p];
              if (!db) {
                throw new ConnectError(
                  `filter.actor_principals: ${p} never acts here; use USER, SERVICE_ACCOUNT, RUNNER or UNSPECIFIED (the CLI, an unknown signer-in)`,
                  Code.InvalidArgument,
                );
              }
              return db;
            }),
          ),
        ].sort(),
        subjectIds: [...new Set((f?.subjectIds ?? []).map((id) => id.toLowerCase()))].sort(),
        subjectTypes: [...new Set(f?.subjectTypes ?? [])].sort((a, b) => a - b),
        from,
        to,
        order: req.sort?.order === SortOrder.ASC ? "asc" : "desc",
      };
      const page = await paginate({
        tokens: await pageTokens(),
        method: "gitpod.v1.EventService/ListAuditLogs",
        filter: { ...filter, from: from?.getTime(), to: to?.getTime() },
        pagination: req.pagination,
        fetch: (after, limit) => listAuditEntries(sql, { ...filter, after, limit }),
        cursorOf: (row) => ({ createdAt: row.created_at, id: row.id }),
      });
      return { entries: page.rows.map(toAuditLogEntry), pagination: { nextToken: page.nextToken } };
    },

    /** Another org's entry is not_found, like an unknown id. */
    async getAuditLog(req, ctx) {
      const caller = adminOf(ctx);
      const row = await findAuditEntry(sql, caller.organizationId, req.auditLogEntryId.toLowerCase());
      if (!row) throw new ConnectError(`audit log entry ${req.auditLogEntryId} not found`, Code.NotFound);
      return { entry: toAuditLogEntry(row) };
    },
  };
}
