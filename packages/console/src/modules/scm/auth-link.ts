/**
 * The server's OAuth start link (CheckAuthenticationForHost, ParseContextURL's precondition
 * detail) with `return_to` set to the page the person is on, so that after the SCM's Authorize
 * they come back here (a path on this server: the server refuses anything else) instead of to the
 * server's plain "Connected" page. A link that is not a URL is returned as it is.
 */
export function withReturnTo(link: string, returnTo: string): string {
  try {
    const url = new URL(link);
    if (url.searchParams.has("return_to")) return link;
    url.searchParams.set("return_to", returnTo);
    return url.href;
  } catch {
    return link;
  }
}
