import type { ReactNode } from "react";
import { ErrorNotice } from "./ErrorNotice";

/**
 * The four designed states of every list: loading (skeleton), error, empty (with what the
 * person may do next), data.
 */
export function ListState<T>({
  items,
  error,
  label,
  empty,
  children,
}: {
  items: readonly T[] | undefined;
  error?: unknown;
  /** What is listed, for screen readers while loading: "runners". */
  label: string;
  empty: ReactNode;
  children: (items: readonly T[]) => ReactNode;
}) {
  if (error) return <ErrorNotice error={error} action={`see ${label}`} />;
  if (items === undefined) return <Skeleton label={`Loading ${label}…`} />;
  if (items.length === 0) return <div className="empty">{empty}</div>;
  return <>{children(items)}</>;
}

export function Skeleton({ label, rows = 3 }: { label: string; rows?: number }) {
  return (
    <div className="skeleton" role="status" aria-live="polite">
      <span className="visually-hidden">{label}</span>
      {Array.from({ length: rows }, (_, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: placeholder rows have no identity
        <div key={i} className="skeleton-row" aria-hidden="true" />
      ))}
    </div>
  );
}
