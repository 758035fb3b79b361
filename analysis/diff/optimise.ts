/**
 * The optimisation loop: Adam with per-parameter learning rates, projected onto each parameter's
 * box after every step, maximising the profiled Z0 of the chain. One step = the value and
 * gradient of the whole chain and the optimiser update:
 *
 * - `device: "cpu"`: one `jit` program (worker threads for the large kernels; the fits run inside
 *   it as the custom-root routine);
 * - `device: "webgpu"`: the event part (soft selection, MLP, KDE histograms and their backward
 *   pass) runs in float32 on the device, where the columns stay resident; the small float64
 *   statistical part (fits, implicit gradients) and the update run as CPU `jit` programs. The
 *   histograms and their cotangents (a few hundred numbers) cross between them.
 *
 * Each step's free fit warm-starts the next.
 *
 * @module
 */
import type { Array } from "../../core/array.ts";
import { array } from "../../core/ops/convert.ts";
import { onesLike, zerosLike } from "../../core/ops/creation.ts";
import * as tree from "../../core/tree.ts";
import { vjp } from "../../ad/api.ts";
import { jit } from "../../jit/jit.ts";
import { devicePut } from "../../jit/device.ts";
import { adam } from "../../optim/adam.ts";
import { projectBox } from "../../optim/clip.ts";
import { applyUpdates, type GradientTransformation, type OptState } from "../../optim/transform.ts";
import type { MlpParams } from "../../nn/mlp.ts";
import type { FitResult } from "../../stats/fit.ts";
import {
  type Chain,
  type ChainOptions,
  CUT_NAMES,
  DEFAULT_SETTINGS,
  initialParams,
  makeChain,
  type ParamSettings,
} from "./chain.ts";
import { hardHistograms, type Histograms, kdeHistograms } from "./histograms.ts";
import type { DiffInputs, SampleColumns } from "./inputs.ts";
import { type DiffModel, diffModel, type DiffModelOptions, profiledZ0 } from "./model.ts";
import type { DiffParams, MvaApply } from "./soft.ts";

/** The cut parameters' values at one iteration. */
export type CutValues = Record<typeof CUT_NAMES[number], number>;

/** One iteration of the history. */
export interface IterationRecord {
  /** 0 for the initial parameters. */
  iteration: number;
  /** Z0 at this iteration's parameters (before its update). */
  z0: number;
  /** The cut parameters (before the update). */
  params: CutValues;
  /** d(−Z0)/d(parameter) of the cut parameters at this iteration (NaN for the final record). */
  gradients: CutValues;
  /** Wall time of the step (ms). */
  stepMs: number;
  /** True when every fit of the step converged. */
  fitsConverged: boolean;
  /** Number of fits run in the step. */
  fits: number;
}

/** Options of {@link optimise}. */
export interface OptimiseOptions extends ChainOptions, DiffModelOptions {
  /** Number of steps (default 50). */
  iterations?: number;
  /** Initial values, boxes, learning rates (default {@link DEFAULT_SETTINGS}). */
  settings?: ParamSettings;
  /** `"cpu"` (default) or `"webgpu"` (call `await initDevice("webgpu")` first). */
  device?: "cpu" | "webgpu";
  /** Compile the step (default true; false runs eagerly on the CPU, for tests). */
  jit?: boolean;
  /**
   * Numerics of the CPU programs (`jit`'s `precision`): `"fast"` (default: deterministic on any
   * thread count, within rounding of eager) or `"exact"` (bitwise eager, slower).
   */
  precision?: "exact" | "fast";
  /** Replaces the default optimiser (Adam with the settings' learning rates). */
  optimizer?: GradientTransformation;
  /** Called after every step. */
  onProgress?: (r: IterationRecord) => void;
}

/** Result of {@link optimise}. */
export interface OptimiseResult {
  /** Parameters after the last step. */
  params: DiffParams;
  /** Z0 of the initial parameters. */
  initialZ0: number;
  /** Z0 of the final parameters. */
  finalZ0: number;
  /** One record per step, then one for the final parameters (stepMs = evaluation time). */
  history: IterationRecord[];
  /** KDE histograms at the initial and final parameters (float64, CPU). */
  histograms: { initial: Histograms; final: Histograms };
  /** The statistical model (its workspace from the initial histograms). */
  model: DiffModel;
}

/** One compiled step: `(params, state, fitInit) → [loss, params', state', bestfit, hists, grads]`. */
type Step = (
  params: DiffParams,
  state: OptState,
  fitInit: Array,
) => Promise<[Array, DiffParams, OptState, Array, Histograms, DiffParams]>;

function cutValues(p: DiffParams): CutValues {
  return Object.fromEntries(CUT_NAMES.map((k) => [k, p[k].item()])) as CutValues;
}

function cpuStep(
  chain: Chain,
  opt: GradientTransformation,
  project: (p: DiffParams) => DiffParams,
  columns: Record<string, SampleColumns>,
  compile: boolean,
  precision: "exact" | "fast" | undefined,
): Step {
  const step = (p: DiffParams, s: OptState, cols: Record<string, SampleColumns>, fi: Array) => {
    const [loss, aux, g] = chain.valueAndGrad(p, cols, fi);
    const [u, s2] = opt.update(g, s, p);
    return [loss, project(applyUpdates(p, u)), s2, aux.bestfit, aux.hists, g] as const;
  };
  const run = compile ? jit(step, { name: "diff_step", precision }) : step;
  return (p, s, fi) => Promise.resolve(run(p, s, columns, fi));
}

async function toCpu<T>(t: T): Promise<T> {
  const [ls, def] = tree.flatten<Array>(t);
  const data = await Promise.all(ls.map((a) => a.data()));
  return tree.unflatten(def, data.map((d, i) => array(d, ls[i].dtype).reshape(ls[i].shape))) as T;
}

function webgpuStep(
  chain: Chain,
  opt: GradientTransformation,
  project: (p: DiffParams) => DiffParams,
  columns: Record<string, SampleColumns>,
): Step {
  const resident = tree.map((a: Array) => devicePut(a, "webgpu"), columns);
  const forward = jit((p: DiffParams, c: Record<string, SampleColumns>) => chain.histograms(p, c), {
    device: "webgpu",
    name: "diff_histograms",
  });
  const backward = jit(
    (p: DiffParams, c: Record<string, SampleColumns>, ct: Histograms) =>
      vjp((q: DiffParams) => chain.histograms(q, c), p)[1](ct)[0],
    { device: "webgpu", name: "diff_histograms_vjp" },
  );
  const stats = jit((h: Histograms, fi: Array) => {
    const [out, back] = vjp((hh: Histograms) => chain.statistics(hh, fi), h);
    const [loss, bestfit] = out as [Array, Array];
    const [ct] = back([onesLike(loss), zerosLike(bestfit)]) as [Histograms];
    return [loss, bestfit, ct] as const;
  }, { name: "diff_statistics" });
  const update = jit((p: DiffParams, s: OptState, g: DiffParams) => {
    const [u, s2] = opt.update(g, s, p);
    return [project(applyUpdates(p, u)), s2] as const;
  }, { name: "diff_update" });
  return async (p, s, fi) => {
    const h32 = await toCpu(forward(p, resident) as Histograms);
    const h64 = tree.map((a: Array) => a.astype("float64"), h32) as Histograms;
    const [loss, bestfit, ct] = stats(h64, fi);
    const ct32 = tree.map((a: Array) => a.astype("float32"), ct) as Histograms;
    const g = await toCpu(backward(p, resident, ct32) as DiffParams);
    const [p2, s2] = update(p, s, g);
    return [loss, p2, s2, bestfit, h64, g];
  };
}

/**
 * Maximises the profiled Z0 of the chain over the cuts, the bandwidth and the MLP (see the
 * module doc). `mva` is the pre-trained network (its `apply` and parameters).
 *
 * @example
 * ```ts
 * import { optimise } from "./optimise.ts";
 * const r = await optimise(inputs, { apply: mva.net.apply, params: mva.params }, {
 *   onProgress: (it) => console.log(it.iteration, it.z0.toFixed(3), `${it.stepMs.toFixed(0)} ms`),
 * });
 * console.log(r.initialZ0, "→", r.finalZ0);
 * ```
 */
export async function optimise(
  inputs: DiffInputs,
  mva: { apply: MvaApply; params: MlpParams },
  opts: OptimiseOptions = {},
): Promise<OptimiseResult> {
  const { iterations = 50, settings = DEFAULT_SETTINGS, device = "cpu" } = opts;
  const dtype = inputs.columns[inputs.samples[0]].met.dtype as "float32" | "float64";
  if (device === "webgpu" && dtype !== "float32") {
    throw new Error(`optimise: WebGPU runs float32 columns (prepareInputs dtype), got ${dtype}`);
  }
  let params = initialParams(mva.params, settings, dtype);
  const chainOf = (dm: DiffModel) =>
    makeChain(inputs, mva.apply, dm, {
      ...opts,
      onFit: (r: FitResult) => {
        fits++;
        converged &&= r.converged;
        opts.onFit?.(r);
      },
    });
  let fits = 0, converged = true;
  const h0 = kdeHistograms(params, inputs, mva.apply, opts);
  const dm = diffModel(inputs, h0, opts);
  const chain = chainOf(dm);
  const lr: Record<string, number> = { nn: settings.nnLr };
  const lo: Record<string, number> = {}, hi: Record<string, number> = {};
  for (const k of CUT_NAMES) {
    lr[k] = settings[k].lr;
    [lo[k], hi[k]] = settings[k].bounds;
  }
  const opt = opts.optimizer ?? adam(lr);
  const project = projectBox(lo, hi) as (p: DiffParams) => DiffParams;
  const step = device === "webgpu"
    ? webgpuStep(chain, opt, project, inputs.columns)
    : cpuStep(chain, opt, project, inputs.columns, opts.jit ?? true, opts.precision);
  let state = opt.init(params);
  let fitInit = array([...dm.model.suggestedInit], "float64");
  const history: IterationRecord[] = [];
  let initial: Histograms | undefined;
  for (let it = 0; it < iterations; it++) {
    fits = 0;
    converged = true;
    const before = cutValues(params);
    const t0 = performance.now();
    let out: Awaited<ReturnType<Step>>;
    try {
      out = await step(params, state, fitInit);
    } catch (e) {
      const at = JSON.stringify(before);
      throw new Error(`optimise: step ${it} at ${at} failed: ${(e as Error).message}`, {
        cause: e,
      });
    }
    const [loss, p2, s2, bestfit, hists, g] = out;
    const rec: IterationRecord = {
      iteration: it,
      z0: -loss.item(),
      params: before,
      gradients: cutValues(g),
      stepMs: performance.now() - t0,
      fitsConverged: converged,
      fits,
    };
    initial ??= tree.map((a: Array) => a.astype("float64"), hists) as Histograms;
    history.push(rec);
    opts.onProgress?.(rec);
    params = p2;
    state = s2;
    fitInit = bestfit;
  }
  fits = 0;
  converged = true;
  const t0 = performance.now();
  const hists = chain.histograms(params, inputs.columns);
  const [loss] = chain.statistics(hists, fitInit);
  const final = tree.map((a: Array) => a.astype("float64"), hists) as Histograms;
  history.push({
    iteration: iterations,
    z0: -loss.item(),
    params: cutValues(params),
    gradients: Object.fromEntries(CUT_NAMES.map((k) => [k, NaN])) as CutValues,
    stepMs: performance.now() - t0,
    fitsConverged: converged,
    fits,
  });
  return {
    params,
    initialZ0: history[0].z0,
    finalZ0: history.at(-1)!.z0,
    history,
    histograms: { initial: initial ?? final, final },
    model: dm,
  };
}

/**
 * The non-differentiable number: the cut thresholds (and MLP) of `params` applied as hard cuts,
 * ordinary histograms, a model built from them (same structure as the soft one) and its
 * profiled Z0 — what `analysis = "both"` reports next to the optimised soft Z0. Throws a
 * `FitError` when a fit fails (e.g. a bin left with no expected events).
 *
 * @example
 * ```ts
 * import { hardSignificance, optimise } from "./optimise.ts";
 * const r = await optimise(inputs, mva);
 * const hard = hardSignificance(r.params, inputs, mva.apply);
 * console.log(r.finalZ0, hard.z0);
 * ```
 */
export function hardSignificance(
  params: DiffParams,
  inputs: DiffInputs,
  mva: MvaApply,
  opts: ChainOptions & DiffModelOptions = {},
): { z0: number; histograms: Histograms; model: DiffModel } {
  const histograms = hardHistograms(params, inputs, mva, opts);
  const model = diffModel(inputs, histograms, opts);
  return { z0: profiledZ0(model.model, { onFit: opts.onFit }).z0.item(), histograms, model };
}
