/**
 * `deno task serve`: the web page of `examples/web/` on http://127.0.0.1:8000 (`--port=N` for
 * another port), with zgrad's bundle from `dist/` (built first when missing or stale, see
 * tools/bundle.ts).
 *
 * Responses carry the cross-origin isolation headers (COOP/COEP): without them a page has no
 * `SharedArrayBuffer` and zgrad's kernels run on one thread.
 *
 * @module
 */
import { bundle, bundleIsStale, DIST, ROOT } from "./bundle.ts";

const TYPES: Record<string, string> = {
  ts: "application/typescript; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  map: "application/json",
  json: "application/json",
  html: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
};

/** Headers that make a page cross-origin isolated (`SharedArrayBuffer`, so worker threads). */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
  "cross-origin-resource-policy": "same-origin",
};

/** A running static server. */
export interface StaticServer {
  /** Its port on 127.0.0.1. */
  port: number;
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Stops it (resolves when it has stopped). */
  close(): Promise<void>;
}

/**
 * Serves folders read-only on 127.0.0.1: `mounts` maps a URL prefix (`"/"`, `"/dist/"`) to a
 * folder, the longest matching prefix winning; a path ending in `/` serves its `index.html`.
 * `headers` are added to every response. Port 0 picks a free port.
 *
 * @example
 * ```ts ignore
 * import { ISOLATION_HEADERS, serveStatic } from "./serve.ts";
 * const s = serveStatic({ "/": "examples/web", "/dist/": "dist" }, ISOLATION_HEADERS, 0);
 * console.log(s.url);
 * await s.close();
 * ```
 */
export function serveStatic(
  mounts: Readonly<Record<string, string>>,
  headers: Readonly<Record<string, string>> = {},
  port = 0,
): StaticServer {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, async (req) => {
    let path = decodeURIComponent(new URL(req.url).pathname);
    if (path.split("/").includes("..")) return new Response("bad path", { status: 400, headers });
    if (path.endsWith("/")) path += "index.html";
    const prefix = prefixes.find((p) => path.startsWith(p) || `${path}/` === p);
    if (prefix === undefined) return new Response("not found", { status: 404, headers });
    const file = `${mounts[prefix]}/${path.slice(prefix.length)}`;
    try {
      const body = await Deno.readFile(file);
      const ext = path.slice(path.lastIndexOf(".") + 1);
      return new Response(body, {
        headers: {
          "content-type": TYPES[ext] ?? "application/octet-stream",
          "cache-control": "no-store",
          ...headers,
        },
      });
    } catch {
      return new Response("not found", { status: 404, headers });
    }
  });
  const p = server.addr.port;
  return { port: p, url: `http://127.0.0.1:${p}`, close: () => server.shutdown() };
}

/**
 * The page's server: `examples/web/` at `/`, the bundles of `dist` at `/dist/`, cross-origin
 * isolated.
 *
 * @example
 * ```ts ignore
 * import { serveWebPage } from "./serve.ts";
 * const s = serveWebPage("dist", 8000);
 * ```
 */
export function serveWebPage(dist: string = DIST, port = 0): StaticServer {
  return serveStatic({ "/": `${ROOT}examples/web`, "/dist/": dist }, ISOLATION_HEADERS, port);
}

if (import.meta.main) {
  const portArg = Deno.args.find((a) => a.startsWith("--port="));
  const port = portArg ? Number(portArg.slice("--port=".length)) : 8000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`serve: --port must be an integer in [0, 65535], got ${portArg}`);
  }
  if (await bundleIsStale()) {
    console.log("building dist/ (deno task bundle) ...");
    await bundle();
  }
  const s = serveWebPage(DIST, port);
  console.log(`zgrad web page: ${s.url}/  (Ctrl-C stops)`);
}
