import { create } from "@bufbuild/protobuf";
import {
  CreateEnvironmentClassResponseSchema,
  GetRunnerConfigurationSchemaResponseSchema,
  ListEnvironmentClassesResponseSchema,
  RunnerConfigurationService,
  ValidateRunnerConfigurationResponseSchema,
} from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { GetRunnerResponseSchema, RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { renderApp } from "../../testing/render-app";

const runnerId = "22222222-2222-4222-8222-222222222222";

function routes(calls: { validated: unknown[]; created: unknown[] }) {
  return (r: Parameters<Parameters<typeof renderApp>[1]>[0]) => {
    r.service(RunnerService, {
      getRunner: () => create(GetRunnerResponseSchema, { runner: { runnerId, name: "Build box" } }),
    });
    r.service(RunnerConfigurationService, {
      getRunnerConfigurationSchema: () =>
        create(GetRunnerConfigurationSchemaResponseSchema, {
          schema: {
            environmentClasses: [
              {
                id: "cpu",
                name: "CPU cores",
                required: true,
                type: { case: "int", value: { default: 2, min: 1, max: 64 } },
              },
            ],
          },
        }),
      listEnvironmentClasses: () => create(ListEnvironmentClassesResponseSchema, {}),
      validateRunnerConfiguration: (req) => {
        calls.validated.push(req.config.value);
        const ec = req.config.case === "environmentClass" ? req.config.value : undefined;
        const ok = (ec?.description.length ?? 0) >= 3;
        return create(ValidateRunnerConfigurationResponseSchema, {
          result: {
            case: "environmentClass",
            value: ok
              ? { valid: true }
              : {
                  valid: false,
                  descriptionError: "must be 3 to 200 characters",
                  configurationErrors: [{ key: "cpu", error: "too many for this host" }],
                },
          },
        });
      },
      createEnvironmentClass: (req) => {
        calls.created.push({
          displayName: req.displayName,
          configuration: req.configuration.map((c) => [c.key, c.value]),
        });
        return create(CreateEnvironmentClassResponseSchema, { id: "33333333-3333-4333-8333-333333333333" });
      },
    });
  };
}

describe("EnvironmentClassesPage", () => {
  it("checks the schema in the browser first and sends nothing while a field breaks it", async () => {
    const calls = { validated: [] as unknown[], created: [] as unknown[] };
    renderApp(`/runners/${runnerId}/environment-classes`, routes(calls));
    const cpu = await screen.findByLabelText(/CPU cores/, {}, { timeout: 10_000 });
    await userEvent.clear(cpu);
    await userEvent.type(cpu, "100");
    await userEvent.click(screen.getByRole("button", { name: "Check and create" }));
    expect(await screen.findByText("must be between 1 and 64, got 100")).toBeTruthy();
    expect(calls.validated).toEqual([]);
  });

  it("shows the runner's verdict per field, and creates the class only once it is valid", async () => {
    const calls = { validated: [] as unknown[], created: [] as unknown[] };
    renderApp(`/runners/${runnerId}/environment-classes`, routes(calls));
    await userEvent.type(await screen.findByLabelText("Display name", {}, { timeout: 10_000 }), "Large");
    await userEvent.type(screen.getByLabelText("Description"), "xy");
    await userEvent.click(screen.getByRole("button", { name: "Check and create" }));
    expect(await screen.findByText("must be 3 to 200 characters")).toBeTruthy();
    expect(screen.getByText("too many for this host")).toBeTruthy();
    expect(screen.getByLabelText("Description").getAttribute("aria-invalid")).toBe("true");
    expect(calls.created).toEqual([]);

    await userEvent.type(screen.getByLabelText("Description"), "z big");
    await userEvent.click(screen.getByRole("button", { name: "Check and create" }));
    expect(await screen.findByText("Environment class Large created.")).toBeTruthy();
    await waitFor(() => expect(calls.created).toEqual([{ displayName: "Large", configuration: [["cpu", "2"]] }]));
    expect(calls.validated).toHaveLength(2);
  });
});
