import { Code, ConnectError } from "@connectrpc/connect";
import { QueryCache, QueryClient } from "@tanstack/react-query";
import { isRetryable } from "./errors";

/**
 * The console's one QueryClient. Errors retrying cannot fix are not retried; an
 * `unauthenticated` answer (session ended, expired or revoked) tells the app to show sign-in.
 */
export function createConsoleQueryClient(options: { onUnauthenticated?: () => void } = {}): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({
      onError: (error) => {
        if (ConnectError.from(error).code === Code.Unauthenticated) options.onUnauthenticated?.();
      },
    }),
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
