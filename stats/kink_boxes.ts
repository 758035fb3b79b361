/**
 * Kinks treated like bounds, for the optimiser (`optimize.ts`): each iteration's box is the piece
 * between kinks that holds a parameter, and a parameter sitting on a kink is given the side whose
 * one-sided derivative descends, or is held there when neither does. Newton steps across a kink
 * (where f is not twice differentiable) would otherwise oscillate over it forever.
 *
 * @module
 */
import { type Steps, valueAndGrad as valueAndGradAt } from "./steps.ts";

/** The part of the optimiser's state that {@link kinkBoxes} reads and narrows. */
export interface KinkBoxState {
  /** Lower bounds. */
  readonly lower: Float64Array;
  /** Upper bounds. */
  readonly upper: Float64Array;
  /** Parameters held at their initial values (no box of their own). */
  readonly fixed: readonly boolean[];
  /** Per parameter, the points where f is not twice differentiable. */
  readonly kinks: readonly (readonly number[])[];
  /** Lower ends of this iteration's box, rewritten by {@link kinkBoxes}. */
  readonly lo: Float64Array;
  /** Upper ends of this iteration's box, rewritten by {@link kinkBoxes}. */
  readonly hi: Float64Array;
  /** The current point. */
  readonly x: Float64Array;
  /** ∇f(x); a parameter on a kink gets the one-sided derivative of the side it is given. */
  readonly g: Float64Array;
  /** Evaluation counts (the one-sided gradients are counted here). */
  readonly evals: { gradient: number };
}

/**
 * Narrows [lo, hi] to the piece between kinks holding each free parameter; a parameter sitting
 * on a kink gets the side whose one-sided derivative descends (and that derivative in g), or is
 * held there when neither side descends. Returns which parameters are held at a kink.
 *
 * @example
 * ```ts
 * import { kinkBoxes } from "./kink_boxes.ts";
 * // inside an optimiser's generator, once per iteration:
 * const atKink = yield* kinkBoxes(state);
 * ```
 */
export function* kinkBoxes(s: KinkBoxState): Steps<boolean[]> {
  const held = s.fixed.map(() => false);
  const on = narrowToPieces(s);
  if (on.length === 0) return held;
  const gR = yield* oneSidedGradient(s, on, 1), gL = yield* oneSidedGradient(s, on, -1);
  for (const i of on) held[i] = takeSide(s, i, gR[i], gL[i]);
  return held;
}

/**
 * Resets [lo, hi] to the bounds, narrowed to the piece between the kinks on either side of each
 * free parameter. Returns the parameters sitting exactly on a kink (their box is set later).
 */
function narrowToPieces(s: KinkBoxState): number[] {
  const on: number[] = [];
  for (let i = 0; i < s.x.length; i++) {
    s.lo[i] = s.lower[i], s.hi[i] = s.upper[i];
    if (s.fixed[i] || !s.kinks[i]?.length) continue;
    for (const c of s.kinks[i]) {
      if (s.x[i] === c) on.push(i);
      else if (c < s.x[i]) s.lo[i] = Math.max(s.lo[i], c);
      else s.hi[i] = Math.min(s.hi[i], c);
    }
  }
  return on;
}

/**
 * The gradient just right (`sign` 1) or just left (−1) of every kink in `on` at once: the partial
 * derivative in α_i depends on the side of α_i only, up to O(δ).
 */
function* oneSidedGradient(s: KinkBoxState, on: number[], sign: number): Steps<Float64Array> {
  const xs = Float64Array.from(s.x);
  for (const i of on) xs[i] = s.x[i] + sign * 1e-9 * Math.max(1, Math.abs(s.x[i]));
  s.evals.gradient++;
  return (yield* valueAndGradAt(xs))[1];
}

/**
 * Gives parameter `i`, on a kink, the side its one-sided derivatives (`right`, `left`) descend
 * to: its box becomes the piece on that side and g[i] that derivative. Returns true when neither
 * side descends (a minimum in α_i at the kink, or a bound there), the parameter then held.
 */
function takeSide(s: KinkBoxState, i: number, right: number, left: number): boolean {
  const c = s.x[i];
  const next = s.kinks[i].find((k) => k > c) ?? Infinity;
  const prev = [...s.kinks[i]].reverse().find((k) => k < c) ?? -Infinity;
  if (right < 0 && c < s.upper[i]) {
    s.lo[i] = c, s.hi[i] = Math.min(s.upper[i], next), s.g[i] = right;
    return false;
  }
  if (left > 0 && c > s.lower[i]) {
    s.lo[i] = Math.max(s.lower[i], prev), s.hi[i] = c, s.g[i] = left;
    return false;
  }
  s.lo[i] = s.hi[i] = c;
  return true;
}
