/**
 * Your personal access tokens over an in-memory transport: the designed states of the list
 * (loading while the answer is slow, empty, the server's error), a new token shown once, and a
 * delete that asks first.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type CreatePersonalAccessTokenRequest,
  CreatePersonalAccessTokenResponseSchema,
  type DeletePersonalAccessTokenRequest,
  DeletePersonalAccessTokenResponseSchema,
  ListPersonalAccessTokensResponseSchema,
  UserService,
} from "@runnerplane/api/gitpod/v1/user_pb";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { me, renderApp } from "../../testing/render-app";

const tokenId = "88888888-8888-4888-8888-888888888888";

describe("TokensPage", () => {
  it("shows a loading line while the list is on its way, then the empty state", async () => {
    let release = () => {};
    const answered = new Promise<void>((resolve) => {
      release = resolve;
    });
    renderApp("/tokens", (r) =>
      r.service(UserService, {
        listPersonalAccessTokens: async () => {
          await answered;
          return create(ListPersonalAccessTokensResponseSchema, {});
        },
      }),
    );
    expect(await screen.findByText("Loading personal access tokens…", {}, { timeout: 10_000 })).toBeTruthy();
    release();
    expect(await screen.findByText("You have no personal access tokens.")).toBeTruthy();
  });

  it("shows the server's message and code when the list cannot be read", async () => {
    renderApp("/tokens", (r) =>
      r.service(UserService, {
        listPersonalAccessTokens: () => {
          throw new ConnectError("the database is restarting", Code.Unavailable);
        },
      }),
    );
    const alert = await screen.findByRole("alert", {}, { timeout: 20_000 });
    expect(alert.textContent).toContain("the database is restarting");
    expect(alert.textContent).toContain("unavailable");
  });

  it("creates a read-only token, shows it once, and deletes one only after the confirmation", async () => {
    const deleted: DeletePersonalAccessTokenRequest[] = [];
    const created: CreatePersonalAccessTokenRequest[] = [];
    renderApp("/tokens", (r) =>
      r.service(UserService, {
        listPersonalAccessTokens: (req) => {
          expect(req.filter?.userIds).toEqual([me.id]);
          return create(ListPersonalAccessTokensResponseSchema, {
            personalAccessTokens: deleted.length ? [] : [{ id: tokenId, userId: me.id, description: "CI" }],
          });
        },
        createPersonalAccessToken: (req) => {
          created.push(req);
          return create(CreatePersonalAccessTokenResponseSchema, { token: "rp_pat_value" });
        },
        deletePersonalAccessToken: (req) => {
          deleted.push(req);
          return create(DeletePersonalAccessTokenResponseSchema, {});
        },
      }),
    );
    await userEvent.type(await screen.findByLabelText("Token description", {}, { timeout: 10_000 }), "laptop");
    await userEvent.click(screen.getByLabelText("Read-only"));
    await userEvent.click(screen.getByRole("button", { name: "Create token" }));
    expect(((await screen.findByLabelText("New token (shown once)")) as HTMLTextAreaElement).value).toBe(
      "rp_pat_value",
    );
    expect(created[0]).toMatchObject({ userId: me.id, description: "laptop", readOnly: true });
    expect(created[0]?.validFor?.seconds).toBe(30n * 86_400n);
    await userEvent.click(await screen.findByRole("button", { name: "Delete token CI" }));
    expect(screen.getByText("Delete CI? Scripts that use it stop working at once.")).toBeTruthy();
    expect(deleted).toEqual([]);
    await userEvent.click(screen.getByRole("button", { name: "Delete token" }));
    await waitFor(() => expect(deleted.map((d) => d.personalAccessTokenId)).toEqual([tokenId]));
    expect(await screen.findByText("You have no personal access tokens.")).toBeTruthy();
  });
});
