/**
 * pyhf's `utils.digest`: the hash of a workspace's `json.dumps(spec, sort_keys=True,
 * ensure_ascii=False)`. Given the workspace's JSON text the digest is pyhf's to the bit (number
 * kinds as written); given a parsed workspace, integral numbers count as ints (a file that wrote
 * `2.0` digests differently there: pass the text).
 *
 * @module
 */
import type { Workspace } from "../workspace.ts";
import { pythonJsonDumps } from "./pyjson.ts";

/** Hash algorithms of {@link digest} (Python hashlib names). */
export const DIGEST_ALGORITHMS = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"] as const;
/** One of {@link DIGEST_ALGORITHMS}. */
export type DigestAlgorithm = typeof DIGEST_ALGORITHMS[number];

interface NodeCrypto {
  createHash(alg: string): { update(b: Uint8Array): { digest(enc: "hex"): string } };
}

/** `node:crypto`, where the runtime has it (Deno, Node); hashing stays synchronous. */
function nodeCrypto(): NodeCrypto {
  const proc = (globalThis as {
    process?: { getBuiltinModule?: (name: string) => NodeCrypto | undefined };
  }).process;
  const c = proc?.getBuiltinModule?.("node:crypto");
  if (!c) throw new Error("digest: needs node:crypto (Deno or Node), not available here");
  return c;
}

/**
 * The hex digest of a workspace (or any JSON value) as pyhf computes it.
 *
 * @example
 * ```ts
 * import { digest } from "./digest.ts";
 * digest('{"a": 2.0, "b": 3.0, "c": 1.0}'); // "a38f6093800189b79bc22ef677baf90c75705af2cfc7ff594159eca54eaa7928"
 * ```
 */
export function digest(
  spec: Workspace | string | unknown,
  algorithm: DigestAlgorithm = "sha256",
): string {
  if (!DIGEST_ALGORITHMS.includes(algorithm)) {
    throw new RangeError(
      `digest: ${JSON.stringify(algorithm)} is not one of ${DIGEST_ALGORITHMS.join(", ")}`,
    );
  }
  const text = pythonJsonDumps(spec, { sortKeys: true });
  return nodeCrypto().createHash(algorithm).update(new TextEncoder().encode(text)).digest("hex");
}
