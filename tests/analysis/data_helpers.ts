/**
 * Helpers for the data-path tests: where the real NanoAOD files are (../shared, absent on a fresh
 * clone: tests then skip with a message), whether temp files may be written, array comparisons.
 */
import assert from "node:assert/strict";

/** The shared NanoAOD folder. */
export const nanoDir = new URL("../../../shared/data/nanoaod/", import.meta.url);

/** Why the real files cannot be used, or "" when they can. */
export const nanoMissing: string = (() => {
  try {
    Deno.statSync(new URL("nano_dy.root", nanoDir));
    return "";
  } catch (e) {
    return e instanceof Deno.errors.NotFound
      ? `${nanoDir.pathname} is absent (a fresh clone has no ../shared)`
      : `cannot read ${nanoDir.pathname}: ${(e as Error).message}`;
  }
})();

/** Path of a shared NanoAOD file. */
export function nano(name: string): string {
  return decodeURIComponent(new URL(name, nanoDir).pathname);
}

/** Why temp files cannot be written, or "". */
export const noWrite: string = Deno.permissions.querySync({ name: "write" }).state === "granted"
  ? ""
  : "no --allow-write (deno task test grants it)";

/** Logs why a test is skipped and returns true when it is. */
export function skipBecause(...reasons: string[]): boolean {
  const r = reasons.filter((x) => x);
  if (r.length) console.log(`skipped: ${r.join("; ")}`);
  return r.length > 0;
}

/** Sum of an array-like. */
export function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

/** Asserts two numeric arrays are equal element by element (NaN equals NaN). */
export function assertArrayEqual(got: ArrayLike<number>, want: ArrayLike<number>, what: string) {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!(got[i] === want[i] || (Number.isNaN(got[i]) && Number.isNaN(want[i])))) {
      assert.fail(`${what}[${i}]: got ${got[i]}, want ${want[i]}`);
    }
  }
}

/** A fresh temp folder, removed by the returned function. */
export async function tempDir(
  prefix: string,
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix });
  return { dir, cleanup: () => Deno.remove(dir, { recursive: true }) };
}

/** Why a local HTTP server cannot be started, or "". */
export const noNet: string =
  Deno.permissions.querySync({ name: "net", host: "127.0.0.1" }).state === "granted"
    ? ""
    : "no --allow-net=127.0.0.1 (deno task test grants it)";

/**
 * Serves `bytes` on 127.0.0.1 with HTTP range requests (single and multipart), as file servers
 * of NanoAOD records do; counts requests.
 */
export function serveBytes(bytes: Uint8Array): {
  url: string;
  requests: () => number;
  close: () => Promise<void>;
} {
  let n = 0;
  const enc = new TextEncoder();
  const base = { "accept-ranges": "bytes", "content-type": "application/octet-stream" };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    n++;
    if (req.method === "HEAD") {
      return new Response(null, { headers: { ...base, "content-length": String(bytes.length) } });
    }
    const range = req.headers.get("range");
    if (!range) return new Response(bytes.slice(), { headers: base });
    const parts = range.replace("bytes=", "").split(",").map((p) =>
      p.trim().split("-").map(Number)
    );
    if (parts.length === 1) {
      const [a, b] = parts[0];
      return new Response(bytes.slice(a, b + 1), {
        status: 206,
        headers: { ...base, "content-range": `bytes ${a}-${b}/${bytes.length}` },
      });
    }
    const chunks: Uint8Array[] = [];
    for (const [a, b] of parts) {
      chunks.push(enc.encode(
        `\r\n--RANGE\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes ${a}-${b}/${bytes.length}\r\n\r\n`,
      ));
      chunks.push(bytes.slice(a, b + 1));
    }
    chunks.push(enc.encode("\r\n--RANGE--\r\n"));
    const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
    let o = 0;
    for (const c of chunks) {
      out.set(c, o);
      o += c.length;
    }
    return new Response(out, {
      status: 206,
      headers: { ...base, "content-type": "multipart/byteranges; boundary=RANGE" },
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    requests: () => n,
    close: () => server.shutdown(),
  };
}

/** Copies a (possibly read-only, as ../shared is in CI) file to a writable copy. */
export async function copyWritable(src: string, dst: string): Promise<void> {
  await Deno.copyFile(src, dst);
  await Deno.chmod(dst, 0o644);
}
