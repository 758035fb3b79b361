/**
 * JVP rules of the trigonometric family (`core/primitives/trig.ts`), written with differentiable
 * ops so higher derivatives follow.
 *
 * @module
 */
import type { Array } from "../../core/array.ts";
import { P } from "../../core/primitives/mod.ts";
import { bind1 } from "../../core/trace.ts";
import * as np from "../../core/ops/mod.ts";
import { type JvpRules, unary } from "./jvp.ts";

type T = Array | null;

/** 1/√(1 − x²), the derivative of arcsin. */
const invSqrtOneMinusSq = (x: Array): Array => np.rsqrt(np.sub(1, np.mul(x, x)));

/** d atan2(y, x) = (x dy − y dx) / (x² + y²). */
function atan2Jvp([y, x]: Array[], [ty, tx]: T[]): [Array[], T[]] {
  const z = bind1(P.atan2, [y, x]);
  if (ty === null && tx === null) return [[z], [null]];
  const r2 = np.add(np.mul(x, x), np.mul(y, y));
  const fromY = ty === null ? null : np.mul(ty, np.div(x, r2));
  const fromX = tx === null ? null : np.mul(tx, np.div(np.neg(y), r2));
  return [[z], [fromY === null ? fromX : fromX === null ? fromY : np.add(fromY, fromX)]];
}

/**
 * JVP rules of the trigonometric primitives.
 *
 * @example
 * ```ts
 * import { trigJvpRules } from "./jvp_trig.ts";
 * import { array } from "../../core/ops/mod.ts";
 * const [[y], [t]] = trigJvpRules.tan([array([0])], [array([1])], {}); // y = 0, t = 1
 * ```
 */
export const trigJvpRules: Pick<
  JvpRules,
  "tan" | "atan" | "asin" | "acos" | "sinh" | "cosh" | "log2" | "log10" | "atan2"
> = {
  tan: unary("tan", (_x, y) => np.add(1, np.mul(y, y))),
  atan: unary("atan", (x) => np.div(1, np.add(1, np.mul(x, x)))),
  asin: unary("asin", invSqrtOneMinusSq),
  acos: unary("acos", (x) => np.neg(invSqrtOneMinusSq(x))),
  sinh: unary("sinh", (x) => np.cosh(x)),
  cosh: unary("cosh", (x) => np.sinh(x)),
  log2: unary("log2", (x) => np.div(1 / Math.LN2, x)),
  log10: unary("log10", (x) => np.div(1 / Math.LN10, x)),
  atan2: atan2Jvp,
};
