/**
 * The web console's static files (packages/console, built by Vite) served at `/` by this
 * server itself (docs/console.md):
 *
 *   /assets/<name>-<hash>.<ext>  the hashed bundle: cached forever (`immutable`)
 *   /favicon.svg, …              other files of the build: revalidated
 *   any other GET for HTML       index.html, so client-side routes survive a reload
 *
 * Every file is read into memory (and gzipped once) the first time the console is asked for:
 * a request names a key of that map, never a path on disk, so nothing outside the build can be
 * reached. Requests the console does not claim — RPC paths, `/api/…`, `/auth/…`, anything
 * that is not a GET/HEAD, or a non-HTML request for a file the build lacks — fall through to the
 * front door's own answers (`unimplemented`, JSON `not_found`).
 */
import { readdir, readFile } from "node:fs/promises";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { compressMinBytes } from "../http/compression.js";
import type { NodeResponse } from "../http/error-response.js";
import type { PageRoute } from "../http/front-door.js";
import type { NodeRequest } from "../http/json-body.js";

/**
 * Where `pnpm build` puts the console, seen from this module: `packages/server/{src,dist}/console/`
 * → `packages/console/dist/`. RUNNERPLANE_CONSOLE_DIR overrides it (an installation elsewhere).
 */
export const defaultConsoleDir = fileURLToPath(new URL("../../../console/dist/", import.meta.url));

/**
 * The strictest policy the console runs under: its own scripts and styles only (no inline
 * script, no eval), API calls to this origin only, never framed.
 */
export const consoleContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const securityHeaders: Record<string, string> = {
  "content-security-policy": consoleContentSecurityPolicy,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
};

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

/** Vite names the files it hashes `assets/<name>-<hash>.<ext>`. */
const hashedAsset = /^\/assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

/** Paths that belong to the API or to other pages, never to the console. */
const notConsole = /^\/(?:api\/|auth\/|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\/)/;

interface Asset {
  body: Buffer;
  gzipped: Buffer | undefined;
  contentType: string;
  cacheControl: string;
}

type Bundle = { ok: true; files: Map<string, Asset> } | { ok: false; reason: string };

export function consolePage(options: { dir: string }): PageRoute {
  let bundle: Promise<Bundle> | undefined;
  const load = () => {
    bundle ??= loadBundle(options.dir);
    return bundle;
  };
  return {
    path: "/",
    prefix: true,
    accepts: (req, path) => {
      if (req.method !== "GET" && req.method !== "HEAD") return false;
      if (notConsole.test(path)) return false;
      // A file of the build, or a page: a browser navigating asks for HTML. Anything else
      // (curl, a missing asset) keeps the front door's JSON 404.
      return path.startsWith("/assets/") || extname(path) !== "" || acceptsHtml(req);
    },
    handle: async (req, res) => {
      const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
      const loaded = await load();
      if (!loaded.ok) {
        // Not cached: a rebuild while the server runs should not be needed to recover, but a
        // restart is (the files are read once).
        bundle = undefined;
        return send(res, 503, "text/plain; charset=utf-8", Buffer.from(`${loaded.reason}\n`), "no-store");
      }
      const file = loaded.files.get(path);
      if (file) return serve(req, res, 200, file);
      if (path.startsWith("/assets/") || extname(path) !== "") {
        return send(res, 404, "text/plain; charset=utf-8", Buffer.from("no such file\n"), "no-store");
      }
      const index = loaded.files.get("/index.html");
      if (!index) throw new Error("console bundle without index.html");
      return serve(req, res, 200, index);
    },
  };
}

function acceptsHtml(req: NodeRequest): boolean {
  const accept = req.headers.accept;
  return typeof accept === "string" && /\btext\/html\b/.test(accept);
}

function serve(req: NodeRequest, res: NodeResponse, status: number, asset: Asset) {
  const encoding = req.headers["accept-encoding"];
  const gzip = asset.gzipped !== undefined && typeof encoding === "string" && /\bgzip\b/.test(encoding);
  res.setHeader("vary", "accept-encoding");
  if (gzip) res.setHeader("content-encoding", "gzip");
  send(res, status, asset.contentType, gzip ? (asset.gzipped as Buffer) : asset.body, asset.cacheControl, req);
}

function send(
  res: NodeResponse,
  status: number,
  contentType: string,
  body: Buffer,
  cacheControl: string,
  req?: NodeRequest,
) {
  for (const [k, v] of Object.entries(securityHeaders)) res.setHeader(k, v);
  res.setHeader("content-type", contentType);
  res.setHeader("content-length", body.length);
  res.setHeader("cache-control", cacheControl);
  res.writeHead(status);
  if (req?.method === "HEAD") res.end();
  else res.end(body);
}

async function loadBundle(dir: string): Promise<Bundle> {
  let names: string[];
  try {
    names = (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
  } catch {
    return {
      ok: false,
      reason: `The console is not built (no ${dir}): run \`pnpm build\`, or set RUNNERPLANE_CONSOLE_DIR.`,
    };
  }
  const files = new Map<string, Asset>();
  for (const file of names) {
    const path = `/${relative(dir, file).split(sep).join("/")}`;
    const body = await readFile(file);
    const contentType = contentTypes[extname(file)] ?? "application/octet-stream";
    const compressible = /^(text\/|application\/json|image\/svg)/.test(contentType) && body.length >= compressMinBytes;
    files.set(path, {
      body,
      gzipped: compressible ? gzipSync(body) : undefined,
      contentType,
      // index.html names the current hashes, so it must be revalidated; hashed files never change.
      cacheControl: hashedAsset.test(path) ? "public, max-age=31536000, immutable" : "no-cache",
    });
  }
  if (!files.has("/index.html")) {
    return { ok: false, reason: `The console is not built (no index.html in ${dir}): run \`pnpm build\`.` };
  }
  return { ok: true, files };
}
