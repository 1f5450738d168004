/**
 * The small HTML pages the server's browser flows answer with (sign-in, SCM OAuth): one
 * self-contained, escaped document per outcome, with one set of headers (nothing cached,
 * nothing loaded but the page's own inline style, no referrer: their URLs can hold codes).
 */
import type { NodeResponse } from "./error-response.js";

const escapes: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => escapes[c] ?? c);
}

/** Headers every such page carries. */
export const pageHeaders = {
  "cache-control": "no-store",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
};

export function sendHtmlPage(
  res: NodeResponse,
  status: number,
  title: string,
  message: string,
  headers: Record<string, string | string[]> = {},
  /** A link to go on with (same-origin paths only: the CSP allows nothing else to load). */
  link?: { href: string; text: string },
): void {
  const next = link ? `<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a></p>` : "";
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)} · runnerplane</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5}</style>
</head><body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>${next}</main></body></html>
`;
  res.writeHead(status, { ...pageHeaders, ...headers, "content-type": "text/html; charset=utf-8" }).end(body);
}
