import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  CreateServiceAccountAccessTokenResponseSchema,
  type CreateServiceAccountRequest,
  CreateServiceAccountResponseSchema,
  ListServiceAccountsResponseSchema,
  ServiceAccountService,
} from "@runnerplane/api/gitpod/v1/service_account_pb";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { renderApp } from "../../testing/render-app";

const accountId = "77777777-7777-4777-8777-777777777777";

describe("ServiceAccountsPage", () => {
  it("creates a service account valid until the chosen day's end, and shows an issued token once", async () => {
    const created: CreateServiceAccountRequest[] = [];
    renderApp("/service-accounts", (r) =>
      r.service(ServiceAccountService, {
        listServiceAccounts: () =>
          create(ListServiceAccountsResponseSchema, {
            serviceAccounts: created.map((c) => ({ id: accountId, name: c.name, description: c.description })),
          }),
        createServiceAccount: (req) => {
          created.push(req);
          return create(CreateServiceAccountResponseSchema, { serviceAccount: { id: accountId, name: req.name } });
        },
        createServiceAccountAccessToken: () =>
          create(CreateServiceAccountAccessTokenResponseSchema, { token: "rp_sa_secret_value" }),
      }),
    );
    expect(await screen.findByText(/No service accounts yet/, {}, { timeout: 10_000 })).toBeTruthy();
    await userEvent.type(screen.getByLabelText("Service account name"), "Deploy bot");
    const until = screen.getByLabelText("Valid until") as HTMLInputElement;
    // Default: a year from today.
    expect(until.value.slice(0, 4)).toBe(String(new Date().getUTCFullYear() + 1));
    await userEvent.clear(until);
    await userEvent.type(until, "2031-03-04");
    await userEvent.click(screen.getByRole("button", { name: "Create service account" }));
    await waitFor(() => expect(created).toHaveLength(1));
    const validUntil = created[0]?.validUntil;
    expect(validUntil && timestampDate(validUntil).toISOString()).toBe("2031-03-04T23:59:59.000Z");
    await userEvent.click(await screen.findByRole("button", { name: "Issue a token for Deploy bot" }));
    const shown = (await screen.findByLabelText("New service account token (shown once)")) as HTMLTextAreaElement;
    expect(shown.value).toBe("rp_sa_secret_value");
  });

  it("tells a person who may not manage service accounts whom to ask", async () => {
    renderApp("/service-accounts", (r) =>
      r.service(ServiceAccountService, {
        listServiceAccounts: () => {
          throw new ConnectError("only organization admins manage service accounts", Code.PermissionDenied);
        },
      }),
    );
    const alert = await screen.findByRole("alert", {}, { timeout: 10_000 });
    expect(alert.textContent).toContain("Not allowed.");
    expect(alert.textContent).toContain("Ask an organization admin");
  });
});
