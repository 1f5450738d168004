import { OnceValue } from "../../components/CopyButton";
import { startCommand } from "./start-command";

/** The exchange token, shown once, with the command that starts the reference runner with it. */
export function ExchangeTokenNotice({ token }: { token: string }) {
  return (
    <div className="notice notice-once" role="status">
      <p>
        <strong>Copy this now: it is shown only once.</strong> The runner trades the exchange token for its own access
        token on its first start.
      </p>
      <OnceValue id="exchange-token" label="Exchange token" value={token} />
      <OnceValue id="start-command" label="Start command" value={startCommand(window.location.origin, token)} />
      <p className="hint">
        From a checkout of this repository, run <code>node packages/runner/dist/main.js</code> with the same options.
      </p>
    </div>
  );
}
