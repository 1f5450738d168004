/** The command that starts the reference runner (packages/runner README) with a fresh exchange token. */
export function startCommand(serverUrl: string, exchangeToken: string): string {
  return `runnerplane-runner --server ${serverUrl} --exchange-token ${exchangeToken} --state-dir ./runner-state`;
}
