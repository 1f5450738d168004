/**
 * Creating a runner over an in-memory transport: the choice sent as the server expects (a
 * provider, or the kind for a configuration runner), a field violation shown beside its field,
 * and the exchange token shown once with the copyable command that starts the reference runner.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { RunnerKind, RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import {
  type CreateRunnerRequest,
  CreateRunnerResponseSchema,
  ListRunnersResponseSchema,
  RunnerService,
} from "@runnerplane/api/gitpod/v1/runner_pb";
import { ViolationsSchema } from "@runnerplane/api/runnerplane/validate/v1/validate_pb";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { renderApp } from "../../testing/render-app";

const runnerId = "55555555-5555-4555-8555-555555555555";

function routes(requests: CreateRunnerRequest[]) {
  return (r: Parameters<Parameters<typeof renderApp>[1]>[0]) =>
    r.service(RunnerService, {
      listRunners: () => create(ListRunnersResponseSchema, {}),
      createRunner: (req) => {
        requests.push(req);
        if (req.name === "no") {
          throw new ConnectError("name: value length must be at least 3 characters", Code.InvalidArgument, undefined, [
            {
              desc: ViolationsSchema,
              value: create(ViolationsSchema, {
                violations: [{ field: "name", rule: "string.min_len", message: "value length must be at least 3" }],
              }),
            },
          ]);
        }
        return create(CreateRunnerResponseSchema, {
          runner: { runnerId, name: req.name },
          exchangeToken: "rp_exchange_once",
        });
      },
    });
}

describe("CreateRunnerPage", () => {
  it("shows a refused name beside its field, then the exchange token once with the start command", async () => {
    const requests: CreateRunnerRequest[] = [];
    renderApp("/runners/new", routes(requests));
    const name = await screen.findByLabelText("Name", {}, { timeout: 10_000 });
    // The browser's own minLength check would stop "no"; the server's answer is what is shown here.
    name.removeAttribute("minLength");
    await userEvent.type(name, "no");
    await userEvent.click(screen.getByRole("button", { name: "Create runner" }));
    expect(await screen.findByText("value length must be at least 3")).toBeTruthy();
    expect(name.getAttribute("aria-invalid")).toBe("true");
    await userEvent.clear(name);
    await userEvent.type(name, "Build box");
    await userEvent.selectOptions(
      screen.getByLabelText("Where it runs"),
      `${RunnerKind.LOCAL}:${RunnerProvider.LINUX_HOST}`,
    );
    await userEvent.click(screen.getByRole("button", { name: "Create runner" }));
    expect(await screen.findByRole("heading", { name: "Runner Build box created" })).toBeTruthy();
    expect(requests.at(-1)).toMatchObject({ name: "Build box", provider: RunnerProvider.LINUX_HOST });
    expect((screen.getByLabelText("Exchange token") as HTMLTextAreaElement).value).toBe("rp_exchange_once");
    const command = (screen.getByLabelText("Start command") as HTMLTextAreaElement).value;
    expect(command).toContain("--exchange-token rp_exchange_once");
    expect(command).toContain(`--server ${window.location.origin}`);
    expect(screen.getByRole("button", { name: "Copy start command" })).toBeTruthy();
    expect(screen.getByRole("link", { name: "Go to the runner" }).getAttribute("href")).toBe(`/runners/${runnerId}`);
  });

  it("sends the kind, not a provider, for the organization's configuration runner", async () => {
    const requests: CreateRunnerRequest[] = [];
    renderApp("/runners/new", routes(requests));
    await userEvent.type(await screen.findByLabelText("Name", {}, { timeout: 10_000 }), "Config");
    await userEvent.selectOptions(screen.getByLabelText("Where it runs"), `${RunnerKind.LOCAL_CONFIGURATION}:0`);
    await userEvent.click(screen.getByRole("button", { name: "Create runner" }));
    await waitFor(() => expect(requests).toHaveLength(1));
    expect(requests[0]).toMatchObject({ name: "Config", kind: RunnerKind.LOCAL_CONFIGURATION });
    expect(requests[0]?.provider).toBe(RunnerProvider.UNSPECIFIED);
  });
});
