/**
 * The reference runner (behaviour.md §8): signs up with its key, renews its registration,
 * reports its schema, keeps a WatchRequests stream open (reconnecting with backoff, so it
 * survives server restarts), answers every call with SendResponse, and when the server asks it
 * to go (desired phase DELETED) deletes itself and stops.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Code, createRunnerplaneClient, errorCode, listAll, type RunnerplaneClient } from "@runnerplane/client";
import type { WatchRequestsResponse } from "@runnerplane/client/gitpod/v1/runner_interaction_pb";
import { RunnerPhase } from "@runnerplane/client/gitpod/v1/runner_pb";
import { answerCall, type CallContext } from "./calls.js";
import { createLlmIntegrations, type RunnerLlmIntegration } from "./llm-integrations.js";
import {
  answerExtensionCall,
  type OAuthContext,
  type RunnerIntegration,
  runnerExtensions,
  usableToken,
} from "./oauth-calls.js";
import { runnerSchema } from "./schema.js";
import { defaultKnownHosts, type KnownHost } from "./scm/context-url.js";
import type { OAuthEndpoints } from "./scm/oauth.js";
import { loadState, newKeyPair, type RunnerState, saveState } from "./state.js";

export interface RunnerOptions {
  serverUrl: string;
  /** Needed on the first start only; afterwards the state directory holds the access token. */
  exchangeToken?: string | undefined;
  stateDir: string;
  /** REST API base URL per SCM host, e.g. { "github.com": "https://api.github.com" }. */
  apiBaseUrls?: Record<string, string>;
  /** OAuth authorize and token endpoints per SCM host, overriding the SCM's own (docs/scm-oauth.md). */
  oauthEndpoints?: Record<string, OAuthEndpoints>;
  /** The server's public URL, for the OAuth callback URL in the schema (default: serverUrl). */
  publicUrl?: string | undefined;
  /** Renewal interval (default 10 s; the server expects ≤ 30 s). */
  heartbeatMs?: number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export interface RunningRunner {
  runnerId: string;
  /** Resolves when the runner stopped (stop() or its deletion). */
  done: Promise<void>;
  /** Its LLM integrations as it holds them now, API keys opened (docs/llm-integrations.md). */
  llmIntegrations(): ReadonlyMap<string, RunnerLlmIntegration>;
  stop(): Promise<void>;
}

export const runnerVersion = "0.1.0";

export async function startRunner(options: RunnerOptions): Promise<RunningRunner> {
  const log =
    options.log ?? ((message, fields) => process.stderr.write(`${JSON.stringify({ msg: message, ...fields })}\n`));
  const state = await ensureState(options);
  const client = createRunnerplaneClient({
    baseUrl: options.serverUrl,
    token: state.accessToken,
    // Binary: answers carry google.protobuf.Any details, which JSON could only encode with a type registry.
    binary: true,
    userAgent: `reference-runner/${runnerVersion}`,
  });
  const runnerId = (await client.identity.getAuthenticatedIdentity({})).subject?.id ?? "";
  const stopping = new AbortController();

  /** A heartbeat: what the runner is, which also renews its registration. */
  const reportStatus = () =>
    client.interaction.updateRunnerStatus({
      runnerId,
      version: runnerVersion,
      systemDetails: `node ${process.version}`,
      degredationMessage: "",
    });

  const register = async () => {
    await client.interaction.signup({ publicKey: state.publicKey });
    await client.interaction.markRunnerActive({ runnerId });
    await client.interaction.updateRunnerConfigurationSchema({
      runnerId,
      configSchema: runnerSchema(options.publicUrl ?? options.serverUrl),
    });
    // Report at once; the interval only renews.
    await reportStatus();
  };
  const llm = createLlmIntegrations(client, runnerId, state, log);
  await register();
  // Not fatal: a runner without its LLM integrations still answers every other call, and it
  // reads them again on the next reconnect.
  await llm.loadAll().catch((e: unknown) => log("could not read the LLM integrations", { error: String(e) }));

  const heartbeat = setInterval(() => {
    reportStatus().catch((e: unknown) => log("heartbeat failed", { error: String(e) }));
  }, options.heartbeatMs ?? 10_000);
  heartbeat.unref();

  /** The SCM integrations: read when first needed, and again after a change event dropped them. */
  let integrations: RunnerIntegration[] | undefined;
  const scmIntegrations = async () => {
    integrations ??= await loadIntegrations(client, runnerId);
    return integrations;
  };
  const lowerKeys = <V>(o: Record<string, V> | undefined) =>
    Object.fromEntries(Object.entries(o ?? {}).map(([h, v]) => [h.toLowerCase(), v]));
  const oauth: OAuthContext = {
    client,
    runnerId,
    keys: state,
    integrations: scmIntegrations,
    apiBaseUrls: lowerKeys(options.apiBaseUrls),
    oauthEndpoints: lowerKeys(options.oauthEndpoints),
    now: () => new Date(),
  };
  const ctx: CallContext = {
    serverUrl: options.serverUrl,
    apiBaseUrls: oauth.apiBaseUrls,
    keys: state,
    knownHosts: async () => {
      const own = (await scmIntegrations())
        .filter((i) => ["github", "gitlab", "bitbucket", "azuredevops"].includes(i.scmId))
        .map((i) => ({ host: i.host, scmId: i.scmId }) as KnownHost);
      return [...own, ...defaultKnownHosts];
    },
    hasOAuth: async (host) => (await scmIntegrations()).some((i) => i.host === host.toLowerCase() && i.oauth),
    // Refreshed first when it is an OAuth token about to expire (oauth-calls.ts).
    tokenFor: (principalId, host) => usableToken(oauth, principalId, host),
  };

  /**
   * Deletes this runner, as the server asked: tried again (the streams' backoff) until it
   * is done, or the runner is gone already (its token with it), or the runner stops.
   */
  const acknowledgeDeletion = async () => {
    for (let backoff = 250; !stopping.signal.aborted; backoff = Math.min(backoff * 2, 30_000)) {
      try {
        await client.runners.deleteRunner({ runnerId }, { signal: stopping.signal });
        return;
      } catch (e) {
        const code = errorCode(e);
        if (code === Code.NotFound || code === Code.Unauthenticated) return;
        log("could not acknowledge the deletion; trying again", { error: String(e), in_ms: backoff });
      }
      await sleep(backoff, undefined, { signal: stopping.signal }).catch(() => {});
    }
  };

  const handle = async (message: WatchRequestsResponse) => {
    const request = message.request;
    if (request.case === "eventScmIntegrationChange") {
      integrations = undefined;
      return;
    }
    if (request.case === "eventLlmIntegrationChange") {
      const id = request.value.llmIntegrationId;
      await llm
        .refresh(id)
        .catch((e: unknown) =>
          log("could not read a changed LLM integration", { llm_integration_id: id, error: String(e) }),
        );
      return;
    }
    if (request.case === "eventRunnerConfigurationChange") {
      const { runner } = await client.runners.getRunner({ runnerId });
      if (runner?.spec?.desiredPhase === RunnerPhase.DELETED) {
        log("the server asks this runner to go; acknowledging", { runnerId });
        await acknowledgeDeletion();
        stopping.abort();
      }
      return;
    }
    if (request.case?.startsWith("event")) return;
    const response = await answerCall(request, ctx);
    await client.interaction.sendResponse({ runnerId, requestId: message.requestId, response });
  };

  /**
   * Keeps one of the server's streams open until the runner stops: every message goes to
   * `each` (not awaited, so a slow answer never holds the stream up); a lost stream is opened
   * again after a backoff (250 ms, doubling up to 30 s), `beforeReconnect` first. `giveUp`
   * ends it for good on a failure that reconnecting cannot cure.
   */
  const keepOpen = async <T>(stream: {
    name: string;
    open: () => AsyncIterable<T>;
    each: (message: T) => void;
    giveUp?: (e: unknown) => boolean;
    beforeReconnect?: () => Promise<void>;
  }) => {
    let backoff = 250;
    while (!stopping.signal.aborted) {
      try {
        for await (const message of stream.open()) {
          backoff = 250;
          stream.each(message);
        }
      } catch (e) {
        if (stopping.signal.aborted) break;
        if (stream.giveUp?.(e)) return;
        log(`${stream.name} stream lost; reconnecting`, { error: String(e), in_ms: backoff });
      }
      if (stopping.signal.aborted) break;
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 30_000);
      await stream.beforeReconnect?.();
    }
  };

  const watch = () =>
    keepOpen({
      name: "request",
      open: () => client.interaction.watchRequests({ runnerId }, { signal: stopping.signal }),
      each: (message) => {
        handle(message).catch((e: unknown) => log("could not answer a call", { error: String(e) }));
      },
      beforeReconnect: async () => {
        // After a server restart (or a long outage) renew the registration before listening again.
        await register().catch((e: unknown) => log("could not re-register", { error: String(e) }));
        // Changes made while the stream was down were told to nobody: read them all again.
        await llm.loadAll().catch((e: unknown) => log("could not read the LLM integrations", { error: String(e) }));
      },
    });
  /**
   * The extension stream (docs/relay.md): runnerplane's own calls, for the extensions this
   * runner names. A server without it (unimplemented) is not asked again.
   */
  const watchExtensions = () =>
    keepOpen({
      name: "extension",
      open: () =>
        client.runnerExtensions.watchExtensionRequests(
          { runnerId, extensions: runnerExtensions },
          { signal: stopping.signal },
        ),
      each: (message) => {
        answerExtensionCall(message.request, oauth)
          .then((response) =>
            client.runnerExtensions.sendExtensionResponse({ runnerId, requestId: message.requestId, response }),
          )
          .catch((e: unknown) => log("could not answer an extension call", { error: String(e) }));
      },
      giveUp: (e) => {
        if (errorCode(e) !== Code.Unimplemented) return false;
        log("the server has no extension stream; OAuth sign-in through this runner is off");
        return true;
      },
    });
  const done = Promise.all([watch(), watchExtensions()])
    .then(() => undefined)
    .finally(() => clearInterval(heartbeat));
  log("runner started", { runnerId });
  return {
    runnerId,
    done,
    llmIntegrations: () => llm.current(),
    stop: async () => {
      stopping.abort();
      await done;
    },
  };
}

async function ensureState(options: RunnerOptions): Promise<RunnerState> {
  const stored = await loadState(options.stateDir);
  if (stored?.accessToken) return stored;
  if (!options.exchangeToken) throw new Error("no state in the state directory: give the runner its exchange token");
  const anonymous = createRunnerplaneClient({ baseUrl: options.serverUrl });
  const { accessToken } = await anonymous.identity.exchangeToken({ exchangeToken: options.exchangeToken });
  const state = { accessToken, ...(await newKeyPair()) };
  await saveState(options.stateDir, state);
  return state;
}

async function loadIntegrations(client: RunnerplaneClient, runnerId: string): Promise<RunnerIntegration[]> {
  const all: RunnerIntegration[] = [];
  for await (const i of listAll(client.interaction.listRunnerSCMIntegrations, { runnerId }, (r) => r.scmIntegrations)) {
    all.push({
      id: i.id.toLowerCase(),
      host: i.host.toLowerCase(),
      scmId: i.scmId,
      oauth:
        i.oauth?.clientId && i.oauth.encryptedClientSecret.length > 0
          ? {
              clientId: i.oauth.clientId,
              encryptedClientSecret: i.oauth.encryptedClientSecret,
              issuerUrl: i.oauth.issuerUrl,
            }
          : undefined,
    });
  }
  return all;
}
