import type { ParseContextURLResponse } from "@runnerplane/api/gitpod/v1/runner_pb";
import { parseContextPreconditionDetails } from "@runnerplane/client";
import { describeError, formErrors } from "../../api/errors";
import { ErrorNotice } from "../../components/ErrorNotice";
import { TextField } from "../../components/TextField";
import { RunnerPicker } from "../../modules/runners/RunnerPicker";
import { withReturnTo } from "../../modules/scm/auth-link";

export function ContextUrlPageView({
  runnerId,
  onRunnerId,
  url,
  onUrl,
  onParse,
  pending,
  result,
  error,
}: {
  runnerId: string;
  onRunnerId: (runnerId: string) => void;
  url: string;
  onUrl: (url: string) => void;
  onParse: () => void;
  pending: boolean;
  /** The runner's answer to the last ParseContextURL, if it gave one. */
  result: ParseContextURLResponse | undefined;
  error: unknown;
}) {
  // The authentication link comes back to this page with the same runner and URL.
  const back = `/context-url?${new URLSearchParams({ runner: runnerId, url: url.trim() })}`;
  const needsAuth = error ? parseContextPreconditionDetails(error) : undefined;
  const { fields, notice } = formErrors(error);
  const git = result?.git;
  return (
    <section>
      <h1>Try a context URL</h1>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          onParse();
        }}
      >
        <RunnerPicker id="context-runner" value={runnerId} onChange={onRunnerId} />
        <TextField
          label="Context URL"
          type="url"
          placeholder="https://github.com/owner/repo/pull/1"
          value={url}
          onChange={(e) => onUrl(e.target.value)}
          error={fields.contextUrl}
        />
        <button type="submit" disabled={pending || !runnerId}>
          {pending ? "Asking the runner…" : "Parse"}
        </button>
      </form>
      {needsAuth?.authenticationRequiredUrl ? (
        <div className="notice notice-denied" role="alert">
          <p>
            <strong>{describeError(error).message}</strong>
          </p>
          <p>
            <a className="button" href={withReturnTo(needsAuth.authenticationRequiredUrl, back)}>
              Authenticate with the SCM
            </a>
          </p>
        </div>
      ) : notice ? (
        <ErrorNotice error={error} action="use this runner" />
      ) : null}
      {result && (
        <section className="card" aria-labelledby="parsed-heading">
          <h2 id="parsed-heading">What the runner found</h2>
          <dl className="facts">
            <dt>Host</dt>
            <dd>{git?.host || "—"}</dd>
            <dt>Repository</dt>
            <dd>{git ? `${git.owner}/${git.repo}` : "—"}</dd>
            <dt>Clone URL</dt>
            <dd>{git?.cloneUrl || "—"}</dd>
            <dt>Branch</dt>
            <dd>{git?.branch || "—"}</dd>
            <dt>Commit</dt>
            <dd>{git?.commit || "—"}</dd>
            <dt>Tag</dt>
            <dd>{git?.tag || "—"}</dd>
            <dt>Pull request</dt>
            <dd>{result.pullRequest ? `#${result.pullRequest.id} ${result.pullRequest.title}` : "—"}</dd>
            <dt>Issue</dt>
            <dd>{result.issue ? `${result.issue.id} ${result.issue.title}` : "—"}</dd>
            <dt>SCM</dt>
            <dd>{result.scmId || "—"}</dd>
          </dl>
        </section>
      )}
    </section>
  );
}
