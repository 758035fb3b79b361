/**
 * Forward or reverse mode for `valueAndGrad`/`grad` (and unrolled forward mode for `jacfwd`).
 *
 * The gradient of a function of few scalar inputs (cut thresholds, a bandwidth) is cheapest as
 * one pass that carries a tangent per input: under `jit` the per-input tangents and the value are
 * reductions over the same domain, so the fusion planner puts them into one kernel and the
 * scheduler's value numbering computes every shared value once (W1 at 1e6 events on the CPU: one
 * kernel, ~1.7× faster than the forward and backward kernels of reverse mode; the matmul form
 * ~1.3×). Reverse mode needs a second pass over the data; its cost does not grow with the
 * number of inputs.
 *
 * The mode in force: the `mode` option of `valueAndGrad`/`grad`, else the `gradMode` option of
 * the `jit` being traced (default `"auto"`), else (eager) `"reverse"` — JAX's `grad`. `"auto"`
 * picks forward mode when the differentiated inputs have at most {@link FORWARD_MAX_INPUTS}
 * elements in total, the function computes on data: some value has at least
 * {@link FORWARD_MIN_DATA} elements (what a second, backward pass would read again; small
 * functions keep reverse mode, as in eager execution), and it has no `customVjp` inside (whose
 * rule only runs backwards). Both modes give the same derivatives up to rounding.
 *
 * @module
 */
import type { Array } from "../core/array.ts";
import { ClosedJaxpr, type Eqn, evalJaxpr, Jaxpr } from "../core/jaxpr.ts";
import { array } from "../core/ops/convert.ts";
import { zeros, zerosLike } from "../core/ops/creation.ts";
import { reshape, stack } from "../core/ops/shape.ts";
import { traceFlat } from "../core/staging.ts";
import type { Tangent } from "./jvp.ts";
import { linearizeFlat } from "./linearize.ts";

/**
 * How `valueAndGrad`/`grad` differentiate: `"reverse"` (a backward pass), `"forward"` (one JVP
 * per input element, fused into the forward pass under `jit`) or `"auto"` (forward for at most
 * {@link FORWARD_MAX_INPUTS} input elements).
 *
 * @example
 * ```ts
 * import type { GradMode } from "./grad_mode.ts";
 * const m: GradMode = "auto";
 * ```
 */
export type GradMode = "reverse" | "forward" | "auto";

/**
 * Most input elements for which `"auto"` chooses forward mode: forward mode costs about one
 * tangent pass per element on top of the value, reverse mode about two passes whatever the count.
 */
export const FORWARD_MAX_INPUTS = 4;

/** Fewest elements of the largest value for which `"auto"` chooses forward mode. */
export const FORWARD_MIN_DATA = 4096;

const modes: GradMode[] = [];

/**
 * Runs `f` with `mode` as the default gradient mode (what `jit` does while it traces).
 *
 * @example
 * ```ts
 * import { currentGradMode, withGradMode } from "./grad_mode.ts";
 * withGradMode("forward", () => console.log(currentGradMode())); // forward
 * ```
 */
export function withGradMode<T>(mode: GradMode, f: () => T): T {
  modes.push(mode);
  try {
    return f();
  } finally {
    modes.pop();
  }
}

/**
 * The default gradient mode in force: the innermost `jit` trace's, or `"reverse"` outside `jit`.
 *
 * @example
 * ```ts
 * import { currentGradMode } from "./grad_mode.ts";
 * console.log(currentGradMode()); // reverse
 * ```
 */
export function currentGradMode(): GradMode {
  return modes.length ? modes[modes.length - 1] : "reverse";
}

/** Whether a jaxpr (or one nested in its equations' parameters) calls a customVjp function. */
function usesCustomVjp(j: Jaxpr): boolean {
  const inParam = (v: unknown): boolean =>
    v instanceof Jaxpr
      ? usesCustomVjp(v)
      : v instanceof ClosedJaxpr
      ? usesCustomVjp(v.jaxpr)
      : globalThis.Array.isArray(v) && v.some(inParam);
  return j.eqns.some((e: Eqn) =>
    e.prim.name === "custom_vjp_call" || e.prim.name === "custom_lin" ||
    Object.values(e.params).some(inParam)
  );
}

/**
 * A flat function traced once at the avals of `xs`, with whether it can run in forward mode.
 * Tracing once and re-evaluating the jaxpr per direction keeps user code from running m times.
 */
function traceOnce(f: (...xs: Array[]) => Array[], xs: Array[], op: string) {
  const t = traceFlat(f, xs.map((x) => x.aval), op);
  const jaxpr = t.jaxpr;
  const largest = jaxpr.eqns.reduce(
    (m, e) => e.outputs.reduce((mm, v) => Math.max(mm, v.aval.size), m),
    0,
  );
  return {
    eval: (...ys: Array[]) => evalJaxpr(jaxpr, t.consts, ys),
    forwardOk: !usesCustomVjp(jaxpr),
    onData: largest >= FORWARD_MIN_DATA,
  };
}

/**
 * Whether to differentiate `xs` (the flat differentiated inputs) in forward mode: `mode` as
 * asked, `"auto"` resolved by size.
 *
 * @example
 * ```ts
 * import { array } from "../mod.ts";
 * import { wantsForward } from "./grad_mode.ts";
 * console.log(wantsForward("auto", [array([1, 2])])); // true: 2 elements
 * ```
 */
export function wantsForward(mode: GradMode, xs: readonly Array[]): boolean {
  if (mode === "reverse") return false;
  if (mode === "forward") return true;
  return xs.reduce((t, x) => t + x.size, 0) <= FORWARD_MAX_INPUTS;
}

/**
 * The JVPs of flat `f` at `xs` along every input element (one-hot tangents), as one list per
 * direction: `[outs, tangentsOfOuts]` each (the function is linearized once, so the primal
 * computation appears once in a traced program and only the tangent program is repeated per
 * direction). With `mode` `"auto"`, returns null when reverse mode
 * is the better choice (no large value) or the only one (a customVjp inside); with `"forward"`,
 * throws in the latter case.
 *
 * @example
 * ```ts
 * import { array, sin } from "../mod.ts";
 * import { forwardJvps } from "./grad_mode.ts";
 * const r = forwardJvps((x) => [sin(x).sum()], [array([0, 1])], "forward", "grad");
 * console.log(r!.length); // 2 directions
 * ```
 */
export function forwardJvps(
  f: (...xs: Array[]) => Array[],
  xs: Array[],
  mode: GradMode,
  op: string,
): [Array[], Tangent[]][] | null {
  const traced = traceOnce(f, xs, op);
  if (mode === "auto" && !traced.onData) return null;
  if (!traced.forwardOk) {
    if (mode === "auto") return null;
    throw new Error(
      `${op}: mode "forward" cannot differentiate a function that calls a customVjp function ` +
        `(its rule only runs backwards); use mode "reverse"`,
    );
  }
  // Linearize once (the primal computation, routines included, appears once in the program),
  // then evaluate the tangent program per direction.
  const lin = linearizeFlat(traced.eval, xs, op);
  const dirs: [Array[], Tangent[]][] = [];
  xs.forEach((x, i) => {
    for (let e = 0; e < x.size; e++) {
      // One-hot in leaf i, zeros in the other (float) leaves.
      const ts = xs.flatMap((
        y,
        k,
      ) => (!lin.inMask[k] ? [] : [k === i ? oneHot(x, e) : zerosLike(y)]));
      const touts = evalJaxpr(lin.jaxpr, lin.consts, ts);
      let t = 0;
      dirs.push([lin.outs, lin.outMask.map((m) => (m ? touts[t++] : null))]);
    }
  });
  return dirs;
}

/** A constant of `x`'s shape and dtype, 1 at flat position `e`, 0 elsewhere. */
function oneHot(x: Array, e: number): Array {
  const data = new Float64Array(x.size);
  data[e] = 1;
  return array(data, x.dtype, { shape: x.shape });
}

/**
 * Gradients of scalar output `k` from the directions of {@link forwardJvps}: one array per input
 * leaf, shaped like it.
 *
 * @example
 * ```ts
 * import { array, sin } from "../mod.ts";
 * import { forwardGradients, forwardJvps } from "./grad_mode.ts";
 * const x = array([0, 1]);
 * const dirs = forwardJvps((v) => [sin(v).sum()], [x], "forward", "grad")!;
 * console.log(forwardGradients(dirs, [x], 0)[0].tolist()); // cos(0), cos(1)
 * ```
 */
export function forwardGradients(dirs: [Array[], Tangent[]][], xs: Array[], k: number): Array[] {
  let d = 0;
  return xs.map((x) => {
    const parts = globalThis.Array.from({ length: x.size }, () => {
      const [outs, touts] = dirs[d++];
      return touts[k] ?? zeros([], outs[k].dtype);
    });
    return reshape(stack(parts), x.shape);
  });
}
