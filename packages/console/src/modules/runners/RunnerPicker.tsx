import { useQuery } from "@connectrpc/connect-query";
import { RunnerService } from "@runnerplane/api/gitpod/v1/runner_pb";
import { useEffect } from "react";
import { Link } from "wouter";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Skeleton } from "../../components/ListState";

/**
 * A select of the runners the caller can see; picks the first one when none is chosen yet.
 * Loading, error and "no runners" (with the link to create one) are its designed states.
 */
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
  if (!runners.data) return <Skeleton label="Loading runners…" rows={1} />;
  if (runners.data.runners.length === 0) {
    return (
      <div className="empty">
        <p>
          No runners yet: this needs a runner to ask. <Link href="/runners/new">Create a runner</Link>
        </p>
      </div>
    );
  }
  return (
    <div className="field">
      <label htmlFor={id}>Runner</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {runners.data.runners.map((r) => (
          <option key={r.runnerId} value={r.runnerId}>
            {r.name}
          </option>
        ))}
      </select>
    </div>
  );
}
