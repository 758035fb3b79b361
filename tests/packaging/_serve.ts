/**
 * Test helpers: serving a folder over HTTP on 127.0.0.1, running Deno in an empty folder, finding
 * Chromium for the browser tests.
 */
import { serveStatic, type StaticServer } from "../../tools/serve.ts";

/** Repository root. */
export const ROOT: string = new URL("../../", import.meta.url).pathname;

/**
 * Serves `dir` read-only on 127.0.0.1 (a free port). `headers` are added to every response (the
 * browser test's cross-origin isolation headers).
 */
export function serveFolder(dir: string, headers: Record<string, string> = {}): StaticServer {
  return serveStatic({ "/": dir }, headers);
}

/** Where the browser tests find Chromium (`CHROMIUM` in the environment, else Debian's). */
export const CHROMIUM: string = Deno.env.get("CHROMIUM") ?? "/usr/bin/chromium";

/**
 * How the browser tests start headless Chromium (Debian's package; a fresh temporary profile per
 * launch is Playwright's default). Add `--enable-unsafe-webgpu` for WebGPU.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Whether Chromium is installed, for a browser test named `what`. When it is not: in CI (`CI`
 * set; .ci/run installs it) registers a failing test — a missing browser there is a failure, not
 * a skip; elsewhere warns that `what` is skipped.
 */
export function chromiumAvailable(what: string): boolean {
  let found = false;
  try {
    found = Deno.statSync(CHROMIUM).isFile;
  } catch {
    found = false;
  }
  if (!found && Deno.env.get("CI")) {
    Deno.test(`${what}: Chromium is installed in CI`, () => {
      throw new Error(`no Chromium at ${CHROMIUM}: .ci/run should have installed it`);
    });
  } else if (!found) {
    console.warn(
      `${what} skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`,
    );
  }
  return found;
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
