/**
 * Memoized jaxpr-to-jaxpr transforms (JAX's `weakref_lru_cache` on `_jvp_jaxpr`,
 * `transpose_jaxpr`, `batch_jaxpr`): the JVP, transpose or batched program of a jaxpr depends only
 * on the jaxpr and on which of its inputs carry tangents (are known, are batched), so it is traced
 * once per (jaxpr, mask) and reused. `grad(jit(f))` then re-traces nothing on later calls with the
 * same signature, and the derived programs keep their identity, so compiled kernels are reused by
 * identity too (`jit/cpu/program.ts`).
 *
 * Entries live as long as their jaxpr (a `WeakMap`). A result is only kept when its constants are
 * concrete arrays: constants that are tracers of an enclosing transform belong to that trace.
 *
 * @module
 */
import type { Array } from "../core/array.ts";
import { DeviceArray } from "../core/device_array.ts";
import type { Jaxpr } from "../core/jaxpr.ts";

/**
 * A cache of results derived from jaxprs, keyed by jaxpr identity and a string (the mask).
 *
 * @example
 * ```ts
 * import { JaxprMemo } from "./memo.ts";
 * import { array, makeJaxpr } from "../mod.ts";
 * const memo = new JaxprMemo<{ consts: never[]; n: number }>();
 * const j = makeJaxpr((x) => x.sin())(array([1])).jaxpr;
 * const a = memo.get(j, "1", () => ({ consts: [], n: 1 }));
 * memo.get(j, "1", () => ({ consts: [], n: 2 })) === a; // true
 * ```
 */
export class JaxprMemo<R extends { consts: readonly Array[] }> {
  readonly #entries = new WeakMap<Jaxpr, Map<string, R>>();

  /** The result for (`jaxpr`, `key`), computed by `make` on a miss. */
  get(jaxpr: Jaxpr, key: string, make: () => R): R {
    const hit = this.#entries.get(jaxpr)?.get(key);
    if (hit) return hit;
    const r = make();
    if (r.consts.every((c) => c instanceof DeviceArray)) {
      let mine = this.#entries.get(jaxpr);
      if (!mine) this.#entries.set(jaxpr, mine = new Map());
      mine.set(key, r);
    }
    return r;
  }
}

/**
 * A mask as a cache key (`[true, false]` → `"10"`).
 *
 * @example
 * ```ts
 * import { maskKey } from "./memo.ts";
 * maskKey([true, false, true]); // "101"
 * ```
 */
export function maskKey(mask: readonly boolean[]): string {
  return mask.map((b) => (b ? "1" : "0")).join("");
}
