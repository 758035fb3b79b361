/**
 * The NLL of a model for one dataset as an {@link Objective} on plain numbers
 * ({@link nllObjective}: value, gradient and structured Hessian, jitted once per model structure),
 * and the message of a fit whose NLL is undefined at its start ({@link undefinedNll}).
 *
 * @module
 */
import { Array, array, type ArrayLike, DeviceArray } from "../core/mod.ts";
import { hessian, valueAndGrad } from "../ad/api.ts";
import type { Model } from "./model.ts";
import type { Objective } from "./steps.ts";

function concrete(x: Array, what: string): Array {
  if (!(x instanceof DeviceArray)) {
    throw new TypeError(
      `${what} is a traced value: a fit runs on concrete numbers (wrap it in customRoot to differentiate through it)`,
    );
  }
  return x;
}

/** An {@link Objective} that also reports how it was evaluated. */
export interface NllObjective extends Objective {
  /** Notes for the fit's warnings (e.g. that jit failed and evaluation fell back to eager). */
  readonly notes: string[];
}

/**
 * The NLL of `model` for `data` as an {@link Objective} on plain numbers: value, gradient and
 * Hessian by zgrad, jitted once per model structure (`jit: false` evaluates eagerly). Should jit
 * fail on the program, the objective falls back to eager evaluation and says so in `notes`.
 *
 * @example
 * ```ts
 * import { nllObjective } from "./mod.ts";
 * const obj = nllObjective(model, model.observed);
 * console.log(obj.value(Float64Array.from(model.suggestedInit)));
 * ```
 */
export function nllObjective(
  model: Model,
  data: ArrayLike,
  opts: { jit?: boolean } = {},
): NllObjective {
  if (model.isTraced) {
    throw new TypeError(
      "nllObjective: the model's inputs are traced values; a fit runs on concrete numbers (wrap it in customRoot to differentiate through it)",
    );
  }
  const d = concrete(toF64(data), "data");
  if (d.ndim !== 1 || d.shape[0] !== model.nMain + model.nAux) {
    throw new RangeError(`data: expected shape [${model.nMain + model.nAux}], got [${d.shape}]`);
  }
  const inputs = model.programInputs;
  const notes: string[] = [];
  let useJit = opts.jit ?? true;
  const c = useJit ? model.compiled : null;
  const nll = (p: Array) => model.nll(p, d);
  const eager = { vg: valueAndGrad(nll), h: hessian(nll) };
  const run = <T>(jitted: () => T, plain: () => T): T => {
    if (useJit) {
      try {
        return jitted();
      } catch (e) {
        useJit = false;
        notes.push(`jit failed (${(e as Error).message}); the NLL was evaluated eagerly`);
      }
    }
    return plain();
  };
  const p = (x: Float64Array) => array(x, "float64");
  return {
    notes,
    value: (x) => run(() => c!.nll(p(x), d, inputs) as Array, () => nll(p(x))).item(),
    valueAndGrad: (x) => {
      const [v, g] = run(
        () => c!.nllValueAndGrad(p(x), d, inputs) as [Array, Array],
        () => eager.vg(p(x)) as [Array, Array],
      );
      return [v.item(), Float64Array.from(g.dataSync())];
    },
    // The structured Hessian (exact, O(terms²) instead of forward-over-reverse autodiff over
    // every intermediate; stats/structured_hessian.ts); autodiff when jit is off or failed.
    hessian: (x) =>
      run(
        () => model.structuredHessian(p(x), d),
        () => Float64Array.from((eager.h(p(x)) as Array).dataSync()),
      ),
  };
}

/**
 * Why the NLL is not finite at `init`: the bins whose expected rate is not positive.
 *
 * @example
 * ```ts
 * import { undefinedNll } from "./nll_objective.ts";
 * throw new RangeError(undefinedNll(model, data, init, Infinity));
 * ```
 */
export function undefinedNll(model: Model, data: ArrayLike, init: number[], f0: number): string {
  const lam = model.expectedMain(array(init, "float64")).dataSync();
  const obs = toF64(data).dataSync();
  const bad: string[] = [];
  let b0 = 0;
  for (const c of model.channels) {
    for (let j = 0; j < model.channelNbins[c]; j++) {
      const l = lam[b0 + j];
      if (!(l > 0)) {
        bad.push(`${JSON.stringify(c)} bin ${j} (expected ${l}, observed ${obs[b0 + j]})`);
      }
    }
    b0 += model.channelNbins[c];
  }
  const where = bad.length
    ? `the expected rate is not positive in ${bad.length} bin(s): ${bad.slice(0, 5).join(", ")}${
      bad.length > 5 ? ", ..." : ""
    } (${
      bad.some((b) => b.includes("expected NaN"))
        ? "NaN: a normsys factor or hi/lo that is not positive?"
        : "are all samples zero there?"
    })`
    : "a constraint term is not finite (check auxiliary data, sigmas and bounds)";
  return `fit: the NLL is undefined (${f0}) at the initial parameters: ${where}`;
}

function toF64(x: ArrayLike): Array {
  const a = x instanceof Array ? x : array(x, "float64");
  return a.dtype === "float64" ? a : a.astype("float64");
}
