import { useQuery } from "@connectrpc/connect-query";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { useEffect } from "react";
import { ErrorNotice } from "../../components/ErrorNotice";

/** A select of the runners the caller can see; picks the first one when none is chosen yet. */
export function RunnerPicker({
  value,
  onChange,
  id,
}: {
  value: string;
  onChange: (runnerId: string) => void;
  id: string;
}) {
  const runners = useQuery(RunnerService.method.listRunners, { pagination: { pageSize: 100 } });
  const first = runners.data?.runners[0]?.runnerId;
  useEffect(() => {
    if (!value && first) onChange(first);
  }, [value, first, onChange]);
  if (runners.error) return <ErrorNotice error={runners.error} action="see runners" />;
  return (
    <div className="field">
      <label htmlFor={id}>Runner</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} disabled={!runners.data}>
        {runners.data?.runners.length === 0 && <option value="">No runners yet</option>}
        {runners.data?.runners.map((r) => (
          <option key={r.runnerId} value={r.runnerId}>
            {r.name}
          </option>
        ))}
      </select>
    </div>
  );
}
