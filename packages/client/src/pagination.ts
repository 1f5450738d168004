import type { CallOptions } from "@connectrpc/connect";

interface PagedRequest {
  pagination?: { token?: string | undefined; pageSize?: number | undefined } | undefined;
}
interface PagedResponse {
  pagination?: { nextToken: string } | undefined;
}

/**
 * Every item of a list method, fetched page by page as the loop asks for them:
 *
 *   for await (const runner of listAll(client.runners.listRunners, { filter }, (r) => r.runners)) …
 *
 * The request (filter, page size) is sent with each page; stop the loop to stop fetching.
 */
export async function* listAll<Req extends PagedRequest, Res extends PagedResponse, Item>(
  list: (request: Req, options?: CallOptions) => Promise<Res>,
  request: Req,
  items: (response: Res) => Item[],
  options?: CallOptions,
): AsyncGenerator<Item, void, undefined> {
  let token = "";
  do {
    const page = await list({ ...request, pagination: { ...request.pagination, token } }, options);
    yield* items(page);
    token = page.pagination?.nextToken ?? "";
  } while (token !== "");
}
