/**
 * Compression the server accepts and sends (behaviour.md §1): gzip, through connect-node's
 * own implementation, on every protocol. The one thing added here: a request body that is
 * not valid gzip is the client's mistake (`invalid_argument`), where connect-node reports
 * `internal` ("decompression failed"). A body that inflates beyond the limit stays
 * `resource_exhausted`, and is never inflated past it (zlib's maxOutputLength).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";
import { compressionGzip } from "@connectrpc/connect-node";

export const gzip: Compression = {
  name: compressionGzip.name,
  compress: (bytes) => compressionGzip.compress(bytes),
  decompress: (bytes, readMaxBytes) =>
    compressionGzip.decompress(bytes, readMaxBytes).catch((error: unknown) => {
      if (error instanceof ConnectError && error.code === Code.ResourceExhausted) throw error;
      throw new ConnectError("the request body is not valid gzip", Code.InvalidArgument);
    }),
};

/** Responses smaller than this are sent uncompressed: gzip would not pay for itself. */
export const compressMinBytes = 1024;
