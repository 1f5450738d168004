/** Try a context URL: what the runner makes of it (ParseContextURL), or the link to authenticate first. */
import { useMutation } from "@connectrpc/connect-query";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { useState } from "react";
import { useSearch } from "wouter";
import { ContextUrlPageView } from "./ContextUrlPageView";

export default function ContextUrlPage() {
  // `?runner=&url=` fill the form: the authentication link comes back here with them.
  const search = new URLSearchParams(useSearch());
  const [runnerId, setRunnerId] = useState(search.get("runner") ?? "");
  const [url, setUrl] = useState(search.get("url") ?? "");
  const parse = useMutation(RunnerService.method.parseContextURL);
  return (
    <ContextUrlPageView
      runnerId={runnerId}
      onRunnerId={setRunnerId}
      url={url}
      onUrl={setUrl}
      onParse={() => parse.mutate({ runnerId, contextUrl: url.trim() })}
      pending={parse.isPending}
      result={parse.data}
      error={parse.error}
    />
  );
}
