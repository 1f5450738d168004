import { Code } from "@connectrpc/connect";
import { describeError } from "../api/errors";

/** An error as the server said it: its message and code. `permission_denied` reads as a notice, not a failure. */
export function ErrorNotice({ error, action }: { error: unknown; action?: string }) {
  const e = describeError(error);
  if (e.code === Code.PermissionDenied) {
    return (
      <div className="notice notice-denied" role="alert">
        <strong>Not allowed.</strong> {action ? `You may not ${action}. ` : ""}
        Ask an organization admin for access. <span className="muted">({e.message})</span>
      </div>
    );
  }
  return (
    <div className="notice notice-error" role="alert">
      <strong>{e.message || "Something went wrong."}</strong> <code className="code">{e.codeName}</code>
    </div>
  );
}
