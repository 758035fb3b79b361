/**
 * Index maps: how a value's multi-index depends on a kernel's domain point, as the affine
 * function `index = off + rows · point`. Views (broadcast, transpose, slice, reverse, reshape)
 * transform index maps instead of copying data; a materialised value's map becomes a buffer
 * address.
 *
 * @module
 */
import { stridesOf } from "../core/shape.ts";
import type { Affine } from "./kernel_ir.ts";

/** A value's index as an affine function of the domain point: `off[k] + Σ_d rows[k][d]·point[d]`. */
export interface IndexMap {
  /** One row of domain coefficients per axis of the value. */
  rows: number[][];
  /** One constant offset per axis of the value. */
  off: number[];
}

/**
 * The map of a value indexed by the domain point itself.
 *
 * @example
 * ```ts
 * import { identityMap } from "./index_map.ts";
 * identityMap(2); // { rows: [[1, 0], [0, 1]], off: [0, 0] }
 * ```
 */
export function identityMap(rank: number): IndexMap {
  return {
    rows: globalThis.Array.from(
      { length: rank },
      (_, k) => globalThis.Array.from({ length: rank }, (_, d) => (d === k ? 1 : 0)),
    ),
    off: new globalThis.Array<number>(rank).fill(0),
  };
}

/**
 * A key equal for equal maps (memoising a value's node per map).
 *
 * @example
 * ```ts
 * import { identityMap, mapKey } from "./index_map.ts";
 * mapKey(identityMap(2)); // "0,0|1,0;0,1"
 * ```
 */
export function mapKey(m: IndexMap): string {
  return `${m.off.join(",")}|${m.rows.map((r) => r.join(",")).join(";")}`;
}

/**
 * Address of element (map) of a contiguous row-major buffer of `shape`, as an affine function.
 *
 * @example
 * ```ts
 * import { bufferAffine, identityMap } from "./index_map.ts";
 * bufferAffine([2, 3], identityMap(2), 2); // { offset: 0, coefs: [3, 1] }
 * ```
 */
export function bufferAffine(shape: readonly number[], m: IndexMap, rank: number): Affine {
  const rs = stridesOf(shape);
  const coefs = new globalThis.Array<number>(rank).fill(0);
  let offset = 0;
  shape.forEach((n, k) => {
    if (n === 1) return; // the index is 0
    offset += rs[k] * m.off[k];
    m.rows[k].forEach((c, d) => (coefs[d] += rs[k] * c));
  });
  return { offset, coefs };
}

/**
 * The operand map of `reshape(operand: inShape) → outShape` given the result's map, when it is
 * affine: every group of axes whose sizes multiply to the same product has one operand axis
 * (splits and size-1 axes). Merging axes is not affine: returns null.
 *
 * @example
 * ```ts
 * import { identityMap, reshapeMap } from "./index_map.ts";
 * reshapeMap([6], [2, 3], identityMap(2), 2); // { rows: [[3, 1]], off: [0] }
 * reshapeMap([2, 3], [6], identityMap(1), 1); // null: merges axes
 * ```
 */
export function reshapeMap(
  inShape: readonly number[],
  outShape: readonly number[],
  m: IndexMap,
  rank: number,
): IndexMap | null {
  const zero = () => new globalThis.Array<number>(rank).fill(0);
  const rows = inShape.map(() => zero());
  const off = inShape.map(() => 0);
  const ins = inShape.map((n, k) => [n, k]).filter(([n]) => n !== 1);
  const outs = outShape.map((n, k) => [n, k]).filter(([n]) => n !== 1);
  let a = 0, b = 0;
  while (a < ins.length && b < outs.length) {
    // One block: operand axes ins[a..a2), result axes outs[b..b2) with equal products.
    let pi = ins[a][0], po = outs[b][0];
    let a2 = a + 1, b2 = b + 1;
    while (pi !== po) {
      if (pi < po) pi *= ins[a2++][0];
      else po *= outs[b2++][0];
    }
    if (a2 - a !== 1) return null;
    const k = ins[a][1];
    let stride = 1;
    for (let j = b2 - 1; j >= b; j--) {
      const [n, o] = outs[j];
      off[k] += stride * m.off[o];
      m.rows[o].forEach((c, d) => (rows[k][d] += stride * c));
      stride *= n;
    }
    a = a2, b = b2;
  }
  return { rows, off };
}

/**
 * When map `b` is map `a` evaluated at a domain point shifted by `by` along one axis
 * (b.off = a.off + by·a.rows[·][axis], same rows), that axis and shift; else null.
 *
 * @example
 * ```ts
 * import { identityMap, shiftBetween } from "./index_map.ts";
 * shiftBetween(identityMap(1), { rows: [[1]], off: [1] }); // { axis: 0, by: 1 }
 * ```
 */
export function shiftBetween(a: IndexMap, b: IndexMap): { axis: number; by: number } | null {
  if (mapKey({ rows: a.rows, off: b.off }) !== mapKey(b)) return null; // rows differ
  const delta = b.off.map((o, k) => o - a.off[k]);
  if (delta.every((d) => d === 0)) return null;
  const rank = a.rows[0]?.length ?? 0;
  for (let axis = 0; axis < rank; axis++) {
    const k0 = delta.findIndex((d, k) => d !== 0 && a.rows[k][axis] !== 0);
    if (k0 < 0) continue;
    const by = delta[k0] / a.rows[k0][axis];
    if (!Number.isInteger(by)) continue;
    if (delta.every((d, k) => d === by * a.rows[k][axis])) return { axis, by };
  }
  return null;
}

/**
 * True when reshape(inShape → outShape) only splits axes or adds/removes size-1 axes.
 *
 * @example
 * ```ts
 * import { reshapeIsAffine } from "./index_map.ts";
 * reshapeIsAffine([6], [2, 3]); // true
 * reshapeIsAffine([2, 3], [6]); // false
 * ```
 */
export function reshapeIsAffine(inShape: readonly number[], outShape: readonly number[]): boolean {
  return reshapeMap(inShape, outShape, identityMap(outShape.length), outShape.length) !== null;
}
