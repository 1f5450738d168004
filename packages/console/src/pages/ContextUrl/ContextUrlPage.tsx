/** Try a context URL: what the runner makes of it (ParseContextURL), or the link to authenticate first. */
import { useMutation } from "@connectrpc/connect-query";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { parseContextPreconditionDetails } from "@runnerplane/client";
import { useState } from "react";
import { useSearch } from "wouter";
import { describeError, formErrors } from "../../api/errors";
import { ErrorNotice } from "../../components/ErrorNotice";
import { TextField } from "../../components/TextField";
import { RunnerPicker } from "../../modules/runners/RunnerPicker";
import { withReturnTo } from "../../modules/scm/auth-link";

export default function ContextUrlPage() {
  // `?runner=&url=` fill the form: the authentication link comes back here with them.
  const search = new URLSearchParams(useSearch());
  const [runnerId, setRunnerId] = useState(search.get("runner") ?? "");
  const [url, setUrl] = useState(search.get("url") ?? "");
  const back = `/context-url?${new URLSearchParams({ runner: runnerId, url: url.trim() })}`;
  const parse = useMutation(RunnerService.method.parseContextURL);
  const needsAuth = parse.error ? parseContextPreconditionDetails(parse.error) : undefined;
  const { fields, notice } = formErrors(parse.error);
  const git = parse.data?.git;
  return (
    <section>
      <h1>Try a context URL</h1>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          parse.mutate({ runnerId, contextUrl: url.trim() });
        }}
      >
        <RunnerPicker id="context-runner" value={runnerId} onChange={setRunnerId} />
        <TextField
          label="Context URL"
          type="url"
          placeholder="https://github.com/owner/repo/pull/1"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          error={fields.contextUrl}
        />
        <button type="submit" disabled={parse.isPending || !runnerId}>
          {parse.isPending ? "Asking the runner…" : "Parse"}
        </button>
      </form>
      {needsAuth?.authenticationRequiredUrl ? (
        <div className="notice notice-denied" role="alert">
          <p>
            <strong>{describeError(parse.error).message}</strong>
          </p>
          <p>
            <a className="button" href={withReturnTo(needsAuth.authenticationRequiredUrl, back)}>
              Authenticate with the SCM
            </a>
          </p>
        </div>
      ) : notice ? (
        <ErrorNotice error={parse.error} action="use this runner" />
      ) : null}
      {parse.data && (
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
            <dd>{parse.data.pullRequest ? `#${parse.data.pullRequest.id} ${parse.data.pullRequest.title}` : "—"}</dd>
            <dt>Issue</dt>
            <dd>{parse.data.issue ? `${parse.data.issue.id} ${parse.data.issue.title}` : "—"}</dd>
            <dt>SCM</dt>
            <dd>{parse.data.scmId || "—"}</dd>
          </dl>
        </section>
      )}
    </section>
  );
}
