/**
 * Asimov significance of a counting experiment (Cowan, Cranmer, Gross, Vitells, EPJC 71 (2011) 1554),
 * per bin and combined in quadrature, with and without a background uncertainty.
 *
 * @module
 */
import type { Array, ArrayLike } from "../core/array.ts";
import { asArray } from "../core/ops/convert.ts";
import {
  abs,
  add,
  div,
  less,
  log,
  log1p,
  mul,
  square,
  sub,
  where,
} from "../core/ops/elementwise.ts";
import { sum } from "../core/ops/reduce.ts";
import { safeSqrt } from "./asymptotics.ts";

/** Options of {@link asimovSignificance}. */
export interface AsimovOptions {
  /** Absolute background uncertainty per bin (σ_b). Omit for a perfectly known background. */
  sigmaB?: ArrayLike;
}

/**
 * (1 + r) log(1 + r) − r, accurate for small r = s/b (where the two terms nearly cancel): a Taylor
 * series below |r| = 1e-3, with the "double where" so neither branch can put NaN in a gradient.
 */
function xlogxTerm(r: Array): Array {
  const small = less(abs(r), 1e-3);
  const rs = where(small, r, 0);
  const r2 = square(rs);
  const series = mul(
    r2,
    add(0.5, mul(rs, add(-1 / 6, mul(rs, add(1 / 12, mul(rs, add(-1 / 20, mul(rs, 1 / 30)))))))),
  );
  const rl = where(small, 1, r);
  const direct = sub(mul(add(1, rl), log1p(rl)), rl);
  return where(small, series, direct);
}

/**
 * The median discovery significance for signal s over background b, summed over bins in
 * quadrature: Z² = Σ 2((s+b) ln(1 + s/b) − s), or with background uncertainty σ_b
 * Z² = Σ 2((s+b) ln[(s+b)(b+σ²)/(b²+(s+b)σ²)] − (b²/σ²) ln[1 + σ²s/(b(b+σ²))]).
 * Differentiable in s, b and σ_b; the gradient at Z = 0 is 0, not NaN.
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { asimovSignificance } from "./significance.ts";
 * asimovSignificance(array([5, 10]), array([100, 50])); // ≈ 1.47
 * ```
 */
export function asimovSignificance(s: ArrayLike, b: ArrayLike, opts: AsimovOptions = {}): Array {
  const sa = asArray(s), ba = asArray(b);
  if (sa.shape.join() !== ba.shape.join()) {
    throw new Error(`asimovSignificance: s shape [${sa.shape}] differs from b shape [${ba.shape}]`);
  }
  let z2: Array;
  if (opts.sigmaB === undefined) {
    z2 = mul(mul(ba, xlogxTerm(div(sa, ba))), 2);
  } else {
    const v = square(asArray(opts.sigmaB)); // σ_b²
    const sb = add(sa, ba);
    const t1 = mul(sb, log(div(mul(sb, add(ba, v)), add(square(ba), mul(sb, v)))));
    const t2 = mul(div(square(ba), v), log1p(div(mul(v, sa), mul(ba, add(ba, v)))));
    z2 = mul(sub(t1, t2), 2);
  }
  return safeSqrt(sum(z2));
}
