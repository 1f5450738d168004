import { Code, ConnectError } from "@connectrpc/connect";
import { ValidateRunnerConfigurationRequestSchema } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { checkConfiguration } from "@runnerplane/configuration-check";
import { authorizeRunner, callerOf } from "../../auth/index.js";
import { sealForRunner } from "../../crypto/index.js";
import { findScmIntegrationByHost } from "../../db/scm-integrations.js";
import { askRunner } from "../../relay/index.js";
import { assertValidFields } from "../../validation/index.js";
import { schemaOf } from "../runner-schema.js";
import { checkScmIntegration, hasErrors } from "../scm-integration-check.js";
import type { RunnerConfigurationMethods, RunnerConfigurationServiceDeps } from "./shared.js";

/** ValidateRunnerConfiguration. */
export function validationMethods(
  deps: RunnerConfigurationServiceDeps,
): RunnerConfigurationMethods<"validateRunnerConfiguration"> {
  const { sql, publicUrl, relay, log } = deps;

  /**
   * The runner's own checks (CallValidateConfig): only when it is connected; if it cannot
   * answer, the server's checks stand alone (behaviour.md §5).
   */
  const askIfConnected = async (
    runnerId: string,
    request: Parameters<typeof askRunner>[2],
    ctx: Parameters<typeof askRunner>[4],
  ) => {
    try {
      if (!(await relay.isConnected(runnerId))) return undefined;
      return (await askRunner(relay, runnerId, request, "callValidateConfig", ctx)).result;
    } catch (error) {
      log.warn("the runner could not validate a configuration; answering with the server's checks", {
        runner_id: runnerId,
        error: ConnectError.from(error).rawMessage,
      });
      return undefined;
    }
  };

  return {
    // ── validation ─────────────────────────────────────────────────────────────────────
    /**
     * Checks an environment class or SCM integration as create would, and answers with
     * results, never errors, for invalid input; persists nothing. The runner's own checks
     * (CallValidateConfig) join these with the runner protocol.
     *
     * The request's field rules are not enforced before the method runs (the message
     * disables them, as the genuine API does, behaviour.md §7); only the runner id, about
     * which no result can be given, is checked here against its declared rule.
     */
    async validateRunnerConfiguration(req, ctx) {
      assertValidFields(ValidateRunnerConfigurationRequestSchema, req, ["runner_id"]);
      const caller = callerOf(ctx);
      const { runner } = await authorizeRunner(sql, caller, req.runnerId, { need: "admin" });
      const schema = await schemaOf(sql, runner, publicUrl);
      const config = req.config;
      if (config.case === "environmentClass") {
        const ec = config.value;
        const displayNameError = lengthError(ec.displayName, 3, 127);
        const descriptionError = lengthError(ec.description, 3, 200);
        const configurationErrors = checkConfiguration(schema, ec.configuration);
        const remote = await askIfConnected(
          runner.id,
          { case: "callValidateConfig", value: { config: { case: "environmentClass", value: ec } } },
          ctx,
        );
        if (remote?.case === "environmentClass") {
          for (const e of remote.value.configurationErrors) {
            if (!configurationErrors.some((own) => own.key === e.key))
              configurationErrors.push({ key: e.key, error: e.error });
          }
        }
        const runnerInvalid = remote?.case === "environmentClass" && !remote.value.valid;
        return {
          result: {
            case: "environmentClass",
            value: {
              valid: !runnerInvalid && !displayNameError && !descriptionError && configurationErrors.length === 0,
              ...(displayNameError ? { displayNameError } : {}),
              ...(descriptionError ? { descriptionError } : {}),
              configurationErrors,
            },
          },
        };
      }
      if (config.case === "scmIntegration") {
        const s = config.value;
        const host = s.host.toLowerCase();
        const secret = s.oauthClientSecret;
        const errors = checkScmIntegration(
          {
            scmId: s.scmId,
            host,
            oauthClientId: s.oauthClientId,
            hasSecret: secret.case !== undefined && secret.value.length > 0,
            pat: s.pat,
            virtualDirectory: s.virtualDirectory,
          },
          schema,
        );
        if (!errors.hostError) {
          const clash = await findScmIntegrationByHost(sql, runner.id, host);
          if (clash && clash.id !== s.id)
            errors.hostError = `the runner already has an SCM integration for host ${host}`;
        }
        if (!errors.oauthError && secret.case === "oauthPlaintextClientSecret" && secret.value && !runner.public_key) {
          errors.oauthError =
            "the runner has not signed up with a public key yet, so the secret cannot be sealed for it";
        }
        if (!hasErrors(errors)) {
          // What only the runner can tell: whether the secret opens with its key, whether the OAuth app answers.
          const sealed =
            secret.case === "oauthEncryptedClientSecret"
              ? secret.value
              : secret.case === "oauthPlaintextClientSecret" && secret.value && runner.public_key
                ? await sealForRunner(runner.public_key, secret.value)
                : undefined;
          const remote = await askIfConnected(
            runner.id,
            {
              case: "callValidateConfig",
              value: {
                config: {
                  case: "scm",
                  value: {
                    id: s.id,
                    runnerId: runner.id,
                    scmId: s.scmId,
                    host,
                    pat: s.pat,
                    ...(s.oauthClientId
                      ? {
                          oauth: {
                            clientId: s.oauthClientId,
                            encryptedClientSecret: sealed ?? new Uint8Array(),
                            issuerUrl: s.issuerUrl ?? "",
                          },
                        }
                      : {}),
                    ...(s.virtualDirectory !== undefined ? { virtualDirectory: s.virtualDirectory } : {}),
                  },
                },
              },
            },
            ctx,
          );
          if (remote?.case === "scm") {
            errors.scmIdError ??= remote.value.scmIdError;
            errors.hostError ??= remote.value.hostError;
            errors.oauthError ??= remote.value.oauthError;
            errors.patError ??= remote.value.patError;
            if (!remote.value.valid && !hasErrors(errors)) errors.oauthError = "the runner rejected this configuration";
          }
        }
        return {
          result: { case: "scmIntegration", value: { valid: !hasErrors(errors), ...withoutUndefined(errors) } },
        };
      }
      throw new ConnectError("config: set environment_class or scm_integration", Code.InvalidArgument);
    },
  };
}

function lengthError(value: string, min: number, max: number): string | undefined {
  const length = [...value].length;
  return length < min || length > max ? `must be ${min} to ${max} characters, is ${length}` : undefined;
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
