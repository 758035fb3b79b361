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
