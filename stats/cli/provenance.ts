/**
 * Provenance of a CLI result: zgrad's version (from deno.json), the git commit of the checkout
 * when `git` can tell (absent git, repository or `--allow-run` permission gives null), the
 * device and dtype of the computation, and the runtime.
 *
 * @module
 */
import denoJson from "../../deno.json" with { type: "json" };

/**
 * Where a result came from (the `provenance` block of the CLI's JSON).
 *
 * @example
 * ```ts
 * import { provenance } from "./provenance.ts";
 * const p = await provenance();
 * console.log(p.zgrad_version, p.git_commit ?? "unknown commit", p.device, p.dtype);
 * ```
 */
export interface Provenance {
  /** zgrad's version (deno.json). */
  zgrad_version: string;
  /** `git rev-parse HEAD` of the checkout, or null when unknown. */
  git_commit: string | null;
  /** Device of the computation (the statistics layer runs on the CPU). */
  device: "cpu";
  /** Floating-point type of the computation. */
  dtype: "float64";
  /** Runtime and version, e.g. `deno 2.9.6`. */
  runtime: string;
}

/**
 * zgrad's version from deno.json.
 *
 * @example
 * ```ts
 * import { ZGRAD_VERSION } from "./provenance.ts";
 * console.log(`zgrad ${ZGRAD_VERSION}`);
 * ```
 */
export const ZGRAD_VERSION: string = (denoJson as { version?: string }).version ?? "unknown";

/**
 * The git commit of the checkout holding this file, or null (no git, not a repository, not a
 * `file:` module, or no run permission). Never throws.
 *
 * @example
 * ```ts
 * import { gitCommit } from "./provenance.ts";
 * console.log(await gitCommit()); // "105a9b9…" or null
 * ```
 */
export async function gitCommit(): Promise<string | null> {
  const root = new URL("../../", import.meta.url);
  if (root.protocol !== "file:") return null;
  try {
    const out = await new Deno.Command("git", {
      args: ["rev-parse", "HEAD"],
      cwd: root,
      stdout: "piped",
      stderr: "null",
      stdin: "null",
    }).output();
    if (!out.success) return null;
    const sha = new TextDecoder().decode(out.stdout).trim();
    return /^[0-9a-f]{40,64}$/.test(sha) ? sha : null;
  } catch {
    return null;
  }
}

/**
 * The provenance block.
 *
 * @example
 * ```ts
 * import { provenance } from "./provenance.ts";
 * console.log(await provenance()); // { zgrad_version: "0.1.0", git_commit: ..., device: "cpu", ... }
 * ```
 */
export async function provenance(): Promise<Provenance> {
  return {
    zgrad_version: ZGRAD_VERSION,
    git_commit: await gitCommit(),
    device: "cpu",
    dtype: "float64",
    runtime: `deno ${Deno.version.deno}`,
  };
}
