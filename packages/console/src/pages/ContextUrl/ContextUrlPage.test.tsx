import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  ListRunnersResponseSchema,
  ParseContextURLPreconditionFailureDetailsSchema,
  type ParseContextURLRequest,
  ParseContextURLResponseSchema,
  RunnerService,
} from "@runnerplane/api/gitpod/v1/runner_pb";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { renderApp } from "../../testing/render-app";

const runnerId = "66666666-6666-4666-8666-666666666666";
const runners = () => create(ListRunnersResponseSchema, { runners: [{ runnerId, name: "Build box" }] });

async function parse(url: string) {
  await userEvent.type(await screen.findByLabelText("Context URL", {}, { timeout: 10_000 }), url);
  await waitFor(() => expect((screen.getByLabelText("Runner") as HTMLSelectElement).value).toBe(runnerId));
  await userEvent.click(screen.getByRole("button", { name: "Parse" }));
}

describe("ContextUrlPage", () => {
  it("without runners, says so and links to creating one instead of showing a dead form", async () => {
    renderApp("/context-url", (r) =>
      r.service(RunnerService, { listRunners: () => create(ListRunnersResponseSchema, {}) }),
    );
    expect(await screen.findByText(/No runners yet/, {}, { timeout: 10_000 })).toBeTruthy();
    expect(screen.getByRole("link", { name: "Create a runner" }).getAttribute("href")).toBe("/runners/new");
  });

  it("asks the chosen runner and shows what it found", async () => {
    const asked: ParseContextURLRequest[] = [];
    renderApp("/context-url", (r) =>
      r.service(RunnerService, {
        listRunners: runners,
        parseContextURL: (req) => {
          asked.push(req);
          return create(ParseContextURLResponseSchema, {
            originalContextUrl: req.contextUrl,
            scmId: "github",
            git: {
              host: "github.com",
              owner: "acme",
              repo: "app",
              branch: "main",
              cloneUrl: "https://github.com/acme/app.git",
            },
          });
        },
      }),
    );
    await parse("https://github.com/acme/app");
    const found = await screen.findByRole("region", { name: "What the runner found" });
    expect(found.textContent).toContain("acme/app");
    expect(found.textContent).toContain("https://github.com/acme/app.git");
    expect(asked.map((a) => [a.runnerId, a.contextUrl])).toEqual([[runnerId, "https://github.com/acme/app"]]);
  });

  it("when the SCM wants authentication, shows the server's message and the link, which comes back here", async () => {
    renderApp("/context-url", (r) =>
      r.service(RunnerService, {
        listRunners: runners,
        parseContextURL: () => {
          throw new ConnectError("authentication required for github.com", Code.FailedPrecondition, undefined, [
            {
              desc: ParseContextURLPreconditionFailureDetailsSchema,
              value: { authenticationRequiredUrl: "https://rp.example/auth/oauth2/start?attempt=a1", scmId: "github" },
            },
          ]);
        },
      }),
    );
    await parse("https://github.com/acme/secret");
    const link = await screen.findByRole("link", { name: "Authenticate with the SCM" });
    const href = new URL(link.getAttribute("href") ?? "");
    expect(href.searchParams.get("attempt")).toBe("a1");
    // A path on this server: the server's return-path rule refuses anything with an origin.
    const raw = href.searchParams.get("return_to") ?? "";
    expect(raw).toMatch(/^\/context-url\?/);
    const back = new URL(raw, "http://path.invalid");
    expect(back.searchParams.get("url")).toBe("https://github.com/acme/secret");
    expect(back.searchParams.get("runner")).toBe(runnerId);
    expect(screen.getByRole("alert").textContent).toContain("authentication required for github.com");
  });

  it("shows any other refusal with the server's message and code", async () => {
    renderApp("/context-url", (r) =>
      r.service(RunnerService, {
        listRunners: runners,
        parseContextURL: () => {
          throw new ConnectError("the runner is not connected", Code.Unavailable);
        },
      }),
    );
    await parse("https://github.com/acme/app");
    const alert = await screen.findByRole("alert", {}, { timeout: 10_000 });
    expect(alert.textContent).toContain("the runner is not connected");
    expect(alert.textContent).toContain("unavailable");
  });
});
