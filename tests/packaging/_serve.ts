/** Test helpers: serving a folder over HTTP on 127.0.0.1, running Deno in an empty folder. */

/** Repository root. */
export const ROOT: string = new URL("../../", import.meta.url).pathname;

const TYPES: Record<string, string> = {
  ts: "application/typescript; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  json: "application/json",
  html: "text/html; charset=utf-8",
};

/**
 * Serves `dir` read-only on 127.0.0.1 (a free port). `headers` are added to every response (the
 * browser test's cross-origin isolation headers).
 */
export function serveFolder(
  dir: string,
  headers: Record<string, string> = {},
): { port: number; url: string; close(): Promise<void> } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path.split("/").includes("..")) return new Response("bad path", { status: 400 });
    try {
      const body = await Deno.readFile(dir + path);
      const ext = path.slice(path.lastIndexOf(".") + 1);
      return new Response(body, {
        headers: { "content-type": TYPES[ext] ?? "application/octet-stream", ...headers },
      });
    } catch {
      return new Response("not found", { status: 404, headers });
    }
  });
  const port = server.addr.port;
  return { port, url: `http://127.0.0.1:${port}`, close: () => server.shutdown() };
}

/** The Deno running this test (the same version runs the subprocesses). */
export const DENO: string = Deno.execPath();

/**
 * Runs `deno <args>` in `cwd` and returns its exit code and output; kills it after `timeoutMs`.
 * Deno reads the configuration of `cwd`: a user's empty folder has none, so there the
 * subprocess sees nothing of this repository's deno.json.
 */
export async function runDeno(
  args: string[],
  cwd: string,
  timeoutMs = 120_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(DENO, {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    // A process that hangs (workers keeping it alive, a promise that never settles) is killed.
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
