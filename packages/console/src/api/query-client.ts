import { QueryClient } from "@tanstack/react-query";
import { isRetryable } from "./errors";

/**
 * The console's one QueryClient. Errors retrying cannot fix are not retried. An
 * `unauthenticated` answer (session ended, expired or revoked) is SessionGate's to handle.
 */
export function createConsoleQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: (failures, error) => failures < 2 && isRetryable(error),
        refetchOnWindowFocus: false,
        staleTime: 5_000,
      },
      mutations: { retry: false },
    },
  });
}
