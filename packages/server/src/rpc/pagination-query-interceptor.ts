import { create, type DescField } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { PaginationRequestSchema } from "@runnerplane/api/gitpod/v1/pagination_pb";

/**
 * Published HTTP SDKs send follow-up pages as `?token=…&pageSize=…` on the POST URL.
 * For every method whose request has a `pagination` field, those query parameters
 * override the same fields of the body's `pagination` (behaviour.md §1). Works for every
 * protocol, since it acts on the decoded message. Validation runs after this, so a
 * `pageSize` over 100 is rejected like one in the body.
 */
export function createPaginationQueryInterceptor(): Interceptor {
  const fields = new WeakMap<object, DescField | null>();
  const paginationField = (desc: { fields: DescField[] }): DescField | null => {
    let field = fields.get(desc);
    if (field === undefined) {
      field =
        desc.fields.find((f) => f.name === "pagination" && f.message?.typeName === PaginationRequestSchema.typeName) ??
        null;
      fields.set(desc, field);
    }
    return field;
  };
  return (next) => async (req) => {
    if (req.stream) return next(req);
    const field = paginationField(req.method.input);
    // Nearly every call has no query string: no URL to parse then.
    if (!field || !req.url.includes("?")) return next(req);
    const query = new URL(req.url).searchParams;
    const token = query.get("token");
    const pageSize = query.get("pageSize") ?? query.get("page_size");
    if (token === null && pageSize === null) return next(req);
    const message = req.message as Record<string, unknown>;
    if (message[field.localName] === undefined) message[field.localName] = create(PaginationRequestSchema);
    const pagination = message[field.localName] as { token: string; pageSize: number };
    if (token !== null) pagination.token = token;
    if (pageSize !== null) {
      if (!/^-?\d+$/.test(pageSize) || !Number.isSafeInteger(Number(pageSize))) {
        throw new ConnectError("pageSize query parameter must be an integer", Code.InvalidArgument);
      }
      pagination.pageSize = Number(pageSize);
    }
    return next(req);
  };
}
