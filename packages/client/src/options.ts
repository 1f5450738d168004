import type { Interceptor, Transport } from "@connectrpc/connect";

/** Wire protocol: Connect (JSON by default, binary with `binary: true`), gRPC (Node only) or gRPC-Web. */
export type Protocol = "connect" | "grpc" | "grpc-web";

export interface RetryOptions {
  /** Attempts in all, the first included (default 3). */
  maxAttempts?: number;
  /** Delay before the first retry in ms (default 100); doubles each time, with jitter. */
  initialDelayMs?: number;
  /** Cap on any one delay in ms (default 2000). */
  maxDelayMs?: number;
}

export interface RunnerplaneClientOptions {
  /** Server URL, e.g. `https://runnerplane.example.com` (or with the `/api` prefix). */
  baseUrl: string;
  /** Bearer token, or a function returning one (called for every request). */
  token?: string | (() => string | Promise<string>);
  /** Default `"connect"`. */
  protocol?: Protocol;
  /** Protobuf binary instead of JSON (Connect default: JSON; gRPC-Web default: binary). */
  binary?: boolean;
  /** Sent as User-Agent (x-user-agent in browsers) before the client's own name. */
  userAgent?: string;
  /** Retries of read-only methods on `unavailable`; `false` turns them off. */
  retry?: RetryOptions | false;
  /** More interceptors, run after the client's own (auth, user agent, retry). */
  interceptors?: Interceptor[];
  /**
   * Bring your own transport instead of `protocol`/`binary`. It is used as it is: add
   * `headersInterceptor({ token })` and `retryInterceptor()` to it yourself if you want them.
   */
  transport?: Transport;
}
