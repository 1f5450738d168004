import { RunnerKind, type RunnerProvider } from "@runnerplane/api/gitpod/v1/runner_configuration_pb";
import { useState } from "react";
import { Link } from "wouter";
import { formErrors } from "../../api/errors";
import { ErrorNotice } from "../../components/ErrorNotice";
import { TextField } from "../../components/TextField";
import { kindLabel, providerLabel, providersByKind } from "../../modules/labels";
import { ExchangeTokenNotice } from "../../modules/runners/ExchangeTokenNotice";

export function CreateRunnerPageView({
  pending,
  error,
  created,
  onCreate,
}: {
  pending: boolean;
  error: unknown;
  created: { runnerId: string; name: string; token: string } | undefined;
  onCreate: (name: string, kind: RunnerKind, provider: RunnerProvider) => void;
}) {
  const [name, setName] = useState("");
  const [choice, setChoice] = useState(`${RunnerKind.LOCAL}:2`);
  const { fields, notice } = formErrors(error);
  if (created) {
    return (
      <section>
        <h1>Runner {created.name} created</h1>
        <ExchangeTokenNotice token={created.token} />
        <p>
          <Link href={`/runners/${created.runnerId}`}>Go to the runner</Link> to watch it become active.
        </p>
      </section>
    );
  }
  return (
    <section>
      <h1>Create runner</h1>
      {notice && <ErrorNotice error={error} action="create runners" />}
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          const [kind, provider] = choice.split(":").map(Number);
          onCreate(name.trim(), kind as RunnerKind, provider as RunnerProvider);
        }}
      >
        <TextField
          label="Name"
          required
          minLength={3}
          maxLength={127}
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={fields.name}
        />
        <div className="field">
          <label htmlFor="runner-type">Where it runs</label>
          <select id="runner-type" value={choice} onChange={(e) => setChoice(e.target.value)}>
            {providersByKind.map((group) => (
              <optgroup key={group.kind} label={`${kindLabel(group.kind)} — ${group.who}`}>
                {(group.providers.length > 0 ? group.providers : [0]).map((p) => (
                  <option key={`${group.kind}:${p}`} value={`${group.kind}:${p}`}>
                    {p === 0 ? kindLabel(group.kind) : providerLabel(p)}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
        </div>
        <button type="submit" disabled={pending}>
          {pending ? "Creating…" : "Create runner"}
        </button>
      </form>
    </section>
  );
}
