import { useMutation } from "@connectrpc/connect-query";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { ErrorNotice } from "../../components/ErrorNotice";
import { ExchangeTokenNotice } from "../../modules/runners/ExchangeTokenNotice";

/** A new exchange token (e.g. to move the runner to another machine); the runner's current access token stays valid until it exchanges. */
export function RunnerTokensSection({ runnerId }: { runnerId: string }) {
  const create = useMutation(RunnerService.method.createRunnerToken);
  return (
    <section aria-labelledby="tokens-heading" className="card">
      <h2 id="tokens-heading">Tokens</h2>
      <p>A runner starts with a one-time exchange token. Issue a new one to start it again on another machine.</p>
      {create.error && <ErrorNotice error={create.error} action="issue tokens for this runner" />}
      {create.data ? (
        <ExchangeTokenNotice token={create.data.exchangeToken} />
      ) : (
        <button type="button" onClick={() => create.mutate({ runnerId })} disabled={create.isPending}>
          Issue exchange token
        </button>
      )}
    </section>
  );
}
