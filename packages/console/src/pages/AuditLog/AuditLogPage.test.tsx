/**
 * The audit log page over an in-memory transport: entries newest first as the server answers,
 * ListAuditLogs' filters sent as chosen (an id that is not a UUID is refused before sending),
 * the empty state that says whether filters hide entries, and the not-allowed notice.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  EventService,
  type ListAuditLogsRequest,
  ListAuditLogsResponseSchema,
  ResourceType,
} from "@runnerplane/api/gitpod/v1/event_pb";
import { Principal } from "@runnerplane/api/gitpod/v1/identity_pb";
import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { renderApp } from "../../testing/render-app";

const runnerId = "22222222-2222-4222-8222-222222222222";
const actorId = "0b7f3c1e-0000-4000-8000-000000000001";

function routes(requests: ListAuditLogsRequest[]) {
  return (r: Parameters<Parameters<typeof renderApp>[1]>[0]) =>
    r.service(EventService, {
      listAuditLogs: (req) => {
        requests.push(req);
        const f = req.filter;
        const entry = {
          id: "e1",
          action: "gitpod.v1.RunnerService/CreateRunner",
          actorId,
          actorPrincipal: Principal.USER,
          subjectId: runnerId,
          subjectType: ResourceType.RUNNER,
        };
        const matches = (f?.subjectTypes.length ?? 0) === 0 || f?.subjectTypes.includes(ResourceType.RUNNER) === true;
        return create(ListAuditLogsResponseSchema, { entries: matches ? [entry] : [] });
      },
    });
}

describe("AuditLogPage", () => {
  it("sends the chosen filters, refuses an id that is not a UUID, and says when filters hide every entry", async () => {
    const requests: ListAuditLogsRequest[] = [];
    renderApp("/audit-log", routes(requests));
    expect(await screen.findByText("gitpod.v1.RunnerService/CreateRunner", {}, { timeout: 10_000 })).toBeTruthy();
    expect(requests[0]?.filter?.subjectTypes ?? []).toEqual([]);

    await userEvent.type(screen.getByLabelText("Subject ID"), "runner-1");
    await userEvent.click(screen.getByRole("button", { name: "Apply filters" }));
    expect(await screen.findByText("must be an id (a UUID)")).toBeTruthy();
    expect(requests.some((r) => (r.filter?.subjectIds.length ?? 0) > 0)).toBe(false);

    await userEvent.clear(screen.getByLabelText("Subject ID"));
    await userEvent.type(screen.getByLabelText("Subject ID"), runnerId);
    await userEvent.selectOptions(screen.getByLabelText("Actor"), String(Principal.USER));
    await userEvent.selectOptions(screen.getByLabelText("Subject type"), String(ResourceType.GROUP));
    await userEvent.click(screen.getByRole("button", { name: "Apply filters" }));
    expect(await screen.findByText("No entry matches these filters.")).toBeTruthy();
    expect(requests.at(-1)?.filter).toMatchObject({
      subjectIds: [runnerId],
      actorPrincipals: [Principal.USER],
      subjectTypes: [ResourceType.GROUP],
      actorIds: [],
    });

    await userEvent.click(screen.getByRole("button", { name: "Clear filters" }));
    // Back to the unfiltered answer (the page's first query).
    expect(await screen.findByText("gitpod.v1.RunnerService/CreateRunner")).toBeTruthy();
    expect(screen.queryByText("No entry matches these filters.")).toBeNull();
    expect((screen.getByLabelText("Subject ID") as HTMLInputElement).value).toBe("");
  });

  it("tells a member who may not read the audit log whom to ask", async () => {
    renderApp("/audit-log", (r) =>
      r.service(EventService, {
        listAuditLogs: () => {
          throw new ConnectError("only organization admins may read the audit log", Code.PermissionDenied);
        },
      }),
    );
    const alert = await screen.findByRole("alert", {}, { timeout: 10_000 });
    expect(alert.textContent).toContain("Not allowed.");
    expect(alert.textContent).toContain("only organization admins may read the audit log");
  });
});
