/**
 * HistFactory models: a {@link Model}'s expected rates and log-likelihood are zgrad functions of
 * the parameters (and of the model's inputs), so `grad`, `hessian`, `vmap` and `jit` work through
 * them. {@link fromPyhf} (stats/from_pyhf.ts) builds one from a pyhf JSON workspace.
 *
 * Structure (as pyhf): channels sorted by name form one "mega-channel" of B bins; samples sorted
 * by name are defined over all of it (zeros where absent). The modifier modules
 * (`stats/modifiers/`) each declare their parameters and turn parameters into an `[S, B]` factor
 * or delta; rates are (nominal + Σ deltas) × Π factors summed over samples. Parameters are
 * ordered as pyhf's `par_order`: by modifier type (histosys, lumi, normfactor, normsys,
 * shapefactor, shapesys, staterror), then by first use (channels, samples, modifiers sorted;
 * staterror by name).
 *
 * Inputs: everything the rates depend on besides the parameters — nominal yields, histosys
 * templates, normsys factors, staterror/shapesys uncertainties — is a dense zgrad array in
 * `model.inputs`. {@link Model.withNominals}, {@link Model.withSamples} and
 * {@link Model.withInputs} return a model with some replaced (for example by a KDE histogram that
 * is being optimised; the replacing is stats/input_overrides.ts); every method of that model then
 * depends differentiably on them.
 *
 * @module
 */
import { Array, array, type ArrayLike, concatenate, DeviceArray } from "../core/mod.ts";
import { hessian, valueAndGrad, vmap } from "../ad/api.ts";
import { jit, type Jitted } from "../jit/jit.ts";
import { type Constraints, poissonLogpdf } from "./constraints.ts";
import type {
  AppliedModifier,
  Layout,
  ModelInputs,
  ModifierUse,
  Paramset,
} from "./modifiers/common.ts";
import {
  type HistosysCode,
  type InterpCode,
  kinksOf,
  type NormsysCode,
} from "./modifiers/interp.ts";
import {
  compileTermDerivatives,
  compileTermDerivativesBatch,
  type HessianStructure,
  structuredHessian,
} from "./structured_hessian.ts";
import { type FitOptions, fixedPoiFit } from "./fit.ts";
import { checkShape, toF64 } from "./checked_arrays.ts";
import {
  replaceInputs,
  replaceNominals,
  replaceSamples,
  type SampleOverride,
} from "./input_overrides.ts";

/**
 * The interpolation codes a model runs (pyhf's defaults unless `modifierSettings` said otherwise).
 *
 * @example
 * ```ts
 * import type { Interpolation } from "./model.ts";
 * const pyhf: Interpolation = { normsys: "code4", histosys: "code4p" };
 * ```
 */
export interface Interpolation {
  /** The normsys code. */
  readonly normsys: NormsysCode;
  /** The histosys code. */
  readonly histosys: HistosysCode;
}

/** Options of {@link Model.expectedData}. */
export interface ExpectedDataOptions {
  /** Append the expected auxiliary data (default true, as pyhf). */
  includeAux?: boolean;
  /** Evaluate with these sample nominals (see {@link Model.withNominals}). */
  nominals?: Record<string, ArrayLike>;
}

/** Options of {@link Model.asimovData}. */
export interface AsimovDataOptions {
  /**
   * Set the nuisance parameters from a fit with the POI fixed at `poiValue` to `data` (default
   * true, as pyhf's `generate_asimov_data`); false uses the suggested initial values.
   */
  fitNuisances?: boolean;
  /** Data for that fit (default: the workspace's observed data). */
  data?: ArrayLike;
  /** Options of that fit. */
  fit?: FitOptions;
}

/**
 * @internal Everything fixed at build time, shared by a model and the models derived from it
 * (built by stats/from_pyhf.ts).
 */
export interface Structure {
  readonly layout: Layout;
  readonly samplesIn: ReadonlyMap<string, ReadonlySet<string>>; // channel -> samples
  readonly uses: readonly ModifierUse[];
  readonly paramsets: readonly Paramset[];
  readonly modifiers: readonly AppliedModifier[];
  readonly constraints: Constraints;
  readonly observedMain: readonly number[];
  readonly interpolation: Interpolation;
  readonly jitted: {
    nll?: Jitted;
    nllValueAndGrad?: Jitted;
    nllHessian?: Jitted;
    termDerivatives?: Jitted;
    nllBatch?: Jitted;
    nllValueAndGradBatch?: Jitted;
    termDerivativesBatch?: Jitted;
    additiveRates?: Jitted;
    expectedData?: Jitted;
  };
}

/**
 * A HistFactory model: parameters, expected data and log-likelihood. Build it with
 * {@link fromPyhf}. Methods taking parameters accept a float64 zgrad array of shape `[npars]`
 * (or a JS number list); data vectors are `[nMain + nAux]`, main data in sorted channel order,
 * then the auxiliary data (pyhf's layout).
 *
 * @example
 * ```ts
 * import { grad } from "../mod.ts";
 * import { fromPyhf } from "./mod.ts";
 * const model = fromPyhf({
 *   channels: [{ name: "sr", samples: [
 *     { name: "sig", data: [5, 10], modifiers: [{ name: "mu", type: "normfactor", data: null }] },
 *     { name: "bkg", data: [50, 60], modifiers: [{ name: "unc", type: "shapesys", data: [5, 6] }] },
 *   ] }],
 *   observations: [{ name: "sr", data: [53, 65] }],
 *   measurements: [{ name: "m", config: { poi: "mu", parameters: [] } }],
 *   version: "1.0.0",
 * });
 * const data = model.observed;
 * const g = grad((p) => model.nll(p, data))(model.init());
 * console.log(model.parNames, g.shape); // ["mu", "unc"] [3]
 * ```
 */
export class Model {
  /** Parameter names in pyhf's `par_order` (one per parameter set). */
  readonly parNames: readonly string[];
  /** One label per component: the name, or `name[i]` for multi-component parameters. */
  readonly parLabels: readonly string[];
  /** Number of components (the length of the parameter vector). */
  readonly npars: number;
  /** Name of the parameter of interest, or null. */
  readonly poiName: string | null;
  /** Index of the POI in the parameter vector, or null. */
  readonly poiIndex: number | null;
  /** pyhf's `suggested_init()`. */
  readonly suggestedInit: readonly number[];
  /** pyhf's `suggested_bounds()`. */
  readonly suggestedBounds: readonly (readonly [number, number])[];
  /** pyhf's `suggested_fixed()`. */
  readonly fixedParams: readonly boolean[];
  /** Channel names (sorted, the order of the main data). */
  readonly channels: readonly string[];
  /** Bins per channel. */
  readonly channelNbins: Readonly<Record<string, number>>;
  /** Sample names (sorted). */
  readonly samples: readonly string[];
  /** Number of main data entries (bins). */
  readonly nMain: number;
  /** Number of auxiliary data entries. */
  readonly nAux: number;
  /** The measurement used. */
  readonly measurement: string;
  /** Things accepted but worth knowing (e.g. an ignored parameter config). */
  readonly warnings: readonly string[];
  /** The interpolation codes in use (reported by every CLI output). */
  readonly interpolation: Interpolation;
  /**
   * Per component, the parameter values where the NLL is not twice differentiable (the kink of
   * code0/code1 at α = 0, the jumps of code2 at ±1); empty for smooth parameters. The fitter
   * treats them like bounds (see stats/optimize.ts).
   */
  readonly kinks: readonly (readonly number[])[];
  /** The dense inputs the rates depend on (see the module doc). */
  readonly inputs: ModelInputs;
  readonly #s: Structure;

  /** @internal Use {@link fromPyhf}. */
  constructor(
    s: Structure,
    inputs: ModelInputs,
    meta: { poiName: string | null; measurement: string; warnings: readonly string[] },
  ) {
    this.#s = s;
    this.inputs = inputs;
    const ps = s.paramsets;
    this.parNames = ps.map((p) => p.name);
    this.parLabels = ps.flatMap((p) =>
      p.isScalar ? [p.name] : globalThis.Array.from({ length: p.n }, (_, i) => `${p.name}[${i}]`)
    );
    this.npars = this.parLabels.length;
    this.poiName = meta.poiName;
    this.poiIndex = meta.poiName === null ? null : ps.find((p) => p.name === meta.poiName)!.start;
    this.suggestedInit = ps.flatMap((p) => p.inits);
    this.suggestedBounds = ps.flatMap((p) => p.bounds);
    this.fixedParams = ps.flatMap((p) => p.fixed);
    this.channels = s.layout.channels;
    this.channelNbins = s.layout.channelNbins;
    this.samples = s.layout.samples;
    this.nMain = s.layout.nbins;
    this.nAux = s.constraints.nAux;
    this.measurement = meta.measurement;
    this.warnings = meta.warnings;
    this.interpolation = s.interpolation;
    const kinks: number[][] = globalThis.Array.from({ length: this.npars }, () => []);
    for (const m of s.modifiers) {
      const k = m.interpcode ? kinksOf(m.interpcode as InterpCode) : [];
      if (!k.length) continue;
      for (const p of m.termParams) {
        if (p >= 0) { for (const c of k) if (!kinks[p].includes(c)) kinks[p].push(c); }
      }
    }
    this.kinks = kinks.map((k) => k.sort((a, b) => a - b));
  }

  /** The parameter sets (name, slice, kind, inits, bounds, constraint data), in order. */
  get paramsets(): readonly Paramset[] {
    return this.#s.paramsets;
  }
  /** One parameter set by name. */
  paramset(name: string): Paramset {
    const p = this.#s.paramsets.find((q) => q.name === name);
    if (!p) {
      throw new RangeError(
        `unknown parameter ${JSON.stringify(name)} (parameters: ${this.parNames.join(", ")})`,
      );
    }
    return p;
  }
  /** The suggested initial parameters as a float64 array (optionally with some replaced by name). */
  init(values: Record<string, number | readonly number[]> = {}): Array {
    const x = [...this.suggestedInit];
    for (const [name, v] of Object.entries(values)) {
      const p = this.paramset(name);
      const vs = typeof v === "number" ? [v] : v;
      if (vs.length !== p.n) {
        throw new RangeError(
          `init: parameter ${name} has ${p.n} components, got ${vs.length} values`,
        );
      }
      vs.forEach((val, i) => (x[p.start + i] = val));
    }
    return array(x, "float64");
  }

  #pars(pars: ArrayLike): Array {
    const p = toF64(pars, "pars");
    if (p.ndim !== 1 || p.shape[0] !== this.npars) {
      throw new RangeError(
        `pars: expected shape [${this.npars}] (${this.parLabels.join(", ")}), got [${p.shape}]`,
      );
    }
    return p;
  }
  #data(data: ArrayLike): Array {
    const d = toF64(data, "data");
    const n = this.nMain + this.nAux;
    if (d.ndim !== 1 || d.shape[0] !== n) {
      throw new RangeError(
        `data: expected shape [${n}] (${this.nMain} main + ${this.nAux} auxiliary), got [${d.shape}]`,
      );
    }
    return d;
  }

  /** Expected main data (`[nMain]`, sorted channel order) at `pars`. */
  expectedMain(pars: ArrayLike): Array {
    return expectedMain(this.#s, this.#pars(pars), this.inputs);
  }
  /** Expected auxiliary data (`[nAux]`) at `pars`. */
  expectedAux(pars: ArrayLike): Array {
    return this.#s.constraints.expected(this.#pars(pars), this.inputs);
  }
  /**
   * pyhf's `model.expected_data(pars)`: main then auxiliary expectations (`includeAux: false` for
   * the main part only). `nominals` evaluates with replaced sample yields.
   */
  expectedData(pars: ArrayLike, opts: ExpectedDataOptions = {}): Array {
    if (!opts.nominals && opts.includeAux !== false && !this.isTraced) {
      // Concrete numbers (the Asimov data of every hypotest): one compiled program, not eager ops.
      const p = this.#pars(pars);
      if (p instanceof DeviceArray) {
        const s = this.#s;
        s.jitted.expectedData ??= jit(
          (q: Array, inp: ModelInputs) =>
            concatenate([expectedMain(s, q, inp), s.constraints.expected(q, inp)], 0),
          {
            name: "expected_data",
          },
        );
        return s.jitted.expectedData(p, this.programInputs) as Array;
      }
    }
    const m = opts.nominals ? this.withNominals(opts.nominals) : this;
    const main = m.expectedMain(pars);
    return opts.includeAux === false ? main : concatenate([main, m.expectedAux(pars)], 0);
  }
  /** Expected main data split by channel. */
  expectedByChannel(pars: ArrayLike): Record<string, Array> {
    return this.splitChannels(this.expectedMain(pars));
  }
  /** Splits a main-data vector (`[nMain]`) by channel. */
  splitChannels(main: Array): Record<string, Array> {
    const out: Record<string, Array> = {};
    for (const c of this.channels) {
      const o = this.#s.layout.channelOffset[c];
      out[c] = main.slice({ start: o, stop: o + this.channelNbins[c] });
    }
    return out;
  }
  /**
   * How each auxiliary entry is constrained, for sampling (pyhf's `make_pdf(pars).sample()`):
   * `"normal"` entries are drawn from N(θ, σ) (σ in `sigmas`, in the order of the normal entries),
   * `"poisson"` entries from Poisson(γτ); their means are {@link expectedAux}.
   */
  auxConstraints(): { kinds: readonly ("normal" | "poisson")[]; sigmas: Array } {
    const c = this.#s.constraints;
    return { kinds: c.kinds, sigmas: c.normalSigmas(this.inputs) };
  }
  /** The nominal auxiliary data (pyhf's `config.auxdata`). */
  get auxdata(): Array {
    return this.#s.constraints.auxdata(this.inputs);
  }
  /** The workspace's observed data with the nominal auxdata (pyhf's `workspace.data(model)`). */
  get observed(): Array {
    return this.data(array(this.#s.observedMain as number[], "float64"));
  }
  /**
   * A full data vector from main data — a `[nMain]` array or `{channel: counts}` — and the
   * nominal auxiliary data.
   */
  data(main: ArrayLike | Record<string, ArrayLike>): Array {
    let m: Array;
    if (typeof main === "object" && !globalThis.Array.isArray(main) && !(main instanceof Array)) {
      const rec = main as Record<string, ArrayLike>;
      for (const k of Object.keys(rec)) {
        if (!this.channels.includes(k)) {
          throw new RangeError(
            `data: unknown channel ${JSON.stringify(k)} (channels: ${this.channels.join(", ")})`,
          );
        }
      }
      m = concatenate(
        this.channels.map((c) => {
          if (!(c in rec)) {
            throw new RangeError(`data: missing counts for channel ${JSON.stringify(c)}`);
          }
          return checkShape(toF64(rec[c], `data.${c}`), [this.channelNbins[c]], `data.${c}`);
        }),
        0,
      );
    } else {
      m = checkShape(toF64(main as ArrayLike, "data"), [this.nMain], "data (main part)");
    }
    return concatenate([m, this.auxdata], 0);
  }
  /** The main part of a data vector. */
  mainData(data: ArrayLike): Array {
    return this.#data(data).slice({ start: 0, stop: this.nMain });
  }
  /** The auxiliary part of a data vector. */
  auxData(data: ArrayLike): Array {
    return this.#data(data).slice({ start: this.nMain });
  }

  /** log L(pars | data): Poisson terms of the main data plus the constraint terms (pyhf's logpdf). */
  logpdf(pars: ArrayLike, data: ArrayLike): Array {
    return logpdf(this.#s, this.#pars(pars), this.#data(data), this.inputs);
  }
  /** −log L. */
  nll(pars: ArrayLike, data: ArrayLike): Array {
    return this.logpdf(pars, data).neg();
  }
  /** −2 log L (pyhf's `twice_nll`, the objective of its fits). */
  twiceNll(pars: ArrayLike, data: ArrayLike): Array {
    return this.logpdf(pars, data).mul(-2);
  }

  /**
   * Asimov data at POI = `poiValue`: the expected data (with auxiliary part) at nuisance
   * parameters fitted to `data` with the POI fixed (pyhf's `generate_asimov_data`), or at their
   * suggested values with `fitNuisances: false`.
   */
  asimovData(poiValue: number, opts: AsimovDataOptions = {}): Array {
    if (this.poiIndex === null) {
      throw new Error("asimovData: the model has no parameter of interest");
    }
    let pars: readonly number[];
    if (opts.fitNuisances === false) {
      const p = [...this.suggestedInit];
      p[this.poiIndex] = poiValue;
      pars = p;
    } else {
      const r = fixedPoiFit(poiValue, opts.data ?? this.observed, this, opts.fit);
      if (!r.converged) {
        throw new Error(`asimovData: the fit of the nuisance parameters failed: ${r.message}`);
      }
      pars = r.bestfit;
    }
    return this.expectedData(array(pars as number[], "float64"));
  }

  /**
   * A model whose inputs are replaced (any subset of `model.inputs`, same shapes). The others,
   * and the structure, are shared.
   */
  withInputs(inputs: Partial<Record<string, ArrayLike>>): Model {
    return this.#derive(replaceInputs(this.inputs, inputs));
  }

  /**
   * A model whose sample nominal yields are `nominals[sample]`: a `[n]` array over the bins of
   * every channel containing that sample, channels in sorted order (so for a one-channel sample,
   * just its bins). Gradients flow from every method of the new model to these arrays.
   */
  withNominals(nominals: Record<string, ArrayLike>): Model {
    return this.#derive(replaceNominals(this.#s, this.inputs, nominals));
  }

  /**
   * A model with sample data replaced per channel, in the workspace's own shape:
   * `{channel: {sample: {data, modifiers: {name: ...}}}}` (see {@link SampleOverride}).
   */
  withSamples(spec: Record<string, Record<string, SampleOverride>>): Model {
    return this.#derive(replaceSamples(this.#s, this.inputs, spec));
  }

  #derive(inputs: ModelInputs): Model {
    return new Model(this.#s, inputs, {
      poiName: this.poiName,
      measurement: this.measurement,
      warnings: this.warnings,
    });
  }

  /**
   * @internal Jitted `(pars, data, inputs) => ...` functions for the optimiser, shared by every
   * model derived from the same workspace (traced once per shape).
   */
  get compiled(): { nll: Jitted; nllValueAndGrad: Jitted; nllHessian: Jitted } {
    const s = this.#s, j = s.jitted;
    const nll = (p: Array, d: Array, inp: ModelInputs) => logpdf(s, p, d, inp).neg();
    j.nll ??= jit(nll, { name: "nll" });
    j.nllValueAndGrad ??= jit(valueAndGrad(nll), { name: "nll_value_and_grad" });
    j.nllHessian ??= jit(hessian(nll), { name: "nll_hessian" });
    return j as { nll: Jitted; nllValueAndGrad: Jitted; nllHessian: Jitted };
  }

  /**
   * @internal The exact Hessian of the NLL (row-major `[npars, npars]`) assembled from the
   * model's structure (stats/structured_hessian.ts): what the fitter uses, much cheaper than
   * `hessian(model.nll)`. Concrete inputs only.
   */
  structuredHessian(pars: Array, data: Array): Float64Array {
    const s = this.#s, hs = this.#hessianStructure();
    s.jitted.termDerivatives ??= compileTermDerivatives(hs);
    return structuredHessian(hs, s.jitted.termDerivatives, pars, data, this.programInputs);
  }

  #hessianStructure(): HessianStructure {
    const s = this.#s;
    return {
      modifiers: s.modifiers,
      layout: s.layout,
      constraintLogpdf: s.constraints.nAux === 0
        ? null
        : (p, aux, inp) => s.constraints.logpdf(p, aux, inp),
    };
  }

  /**
   * @internal {@link Model.compiled}'s NLL and its gradient over a batch: `(pars [T, npars],
   * data [T, nMain + nAux], inputs)` → `[T]` values (and `[T, npars]` gradients), one vectorised
   * program per batch size (what the batched fits of toys evaluate).
   */
  get compiledBatch(): { nll: Jitted; nllValueAndGrad: Jitted } {
    const j = this.#s.jitted, c = this.compiled, inAxes = [0, 0, null];
    j.nllBatch ??= jit(vmap(c.nll, { inAxes }), { name: "nll_batch" });
    j.nllValueAndGradBatch ??= jit(vmap(c.nllValueAndGrad, { inAxes }), {
      name: "nll_value_and_grad_batch",
    });
    return { nll: j.nllBatch, nllValueAndGrad: j.nllValueAndGradBatch };
  }

  /**
   * @internal {@link Model.structuredHessian} at T points for T datasets (`pars [T, npars]`,
   * `data [T, nMain + nAux]`): the T row-major Hessians one after the other.
   */
  structuredHessianBatch(pars: Array, data: Array): Float64Array {
    const s = this.#s, hs = this.#hessianStructure();
    s.jitted.termDerivativesBatch ??= compileTermDerivativesBatch(hs);
    return structuredHessian(hs, s.jitted.termDerivativesBatch, pars, data, this.programInputs);
  }

  /**
   * Where the additive (histosys) interpolation drives a sample's yield negative at `pars`: one
   * message per sample naming channel, sample and bins (empty when none). pyhf clips nothing
   * either; a negative template usually means an extrapolation far beyond ±1σ.
   *
   * @example
   * ```ts
   * import { fromPyhf } from "./mod.ts";
   * console.log(model.negativeYields(model.suggestedInit)); // []
   * ```
   */
  negativeYields(pars: readonly number[]): string[] {
    const s = this.#s;
    const adds = s.modifiers.filter((m) => m.op === "addition");
    if (adds.length === 0 || this.isTraced) return [];
    s.jitted.additiveRates ??= jit((p: Array, inp: ModelInputs) => {
      let r = inp.nominal;
      for (const m of adds) r = r.add(m.apply(p, inp));
      return r;
    }, { name: "additive_rates" });
    const r =
      (s.jitted.additiveRates(array(pars as number[], "float64"), this.programInputs) as Array)
        .dataSync();
    const B = s.layout.nbins, out: string[] = [];
    for (const c of s.layout.channels) {
      const off = s.layout.channelOffset[c], nb = s.layout.channelNbins[c];
      s.layout.samples.forEach((smp, si) => {
        if (!s.samplesIn.get(c)!.has(smp)) return;
        const bins: string[] = [];
        for (let j = 0; j < nb; j++) {
          const v = r[si * B + off + j];
          if (v < 0) bins.push(`${j} (${v.toPrecision(4)})`);
        }
        if (bins.length) {
          out.push(
            `histosys interpolation makes sample ${JSON.stringify(smp)} negative in channel ${
              JSON.stringify(c)
            }, bin ${bins.join(", bin ")}`,
          );
        }
      });
    }
    return out;
  }

  #programInputs?: ModelInputs;
  /**
   * @internal The inputs handed to compiled programs: `inputs` plus what the modifiers derive from
   * them alone (code4's coefficients), computed once per model rather than on every call.
   */
  get programInputs(): ModelInputs {
    if (this.#programInputs) return this.#programInputs;
    const out: Record<string, Array> = { ...this.inputs };
    for (const m of this.#s.modifiers) if (m.derive) Object.assign(out, m.derive(this.inputs));
    return (this.#programInputs = out);
  }

  /** True when some input is a tracer (the model is being differentiated). */
  get isTraced(): boolean {
    return Object.values(this.inputs).some((x) => !(x instanceof DeviceArray));
  }
}

function expectedMain(s: Structure, pars: Array, inputs: ModelInputs): Array {
  let rates = inputs.nominal;
  for (const m of s.modifiers) if (m.op === "addition") rates = rates.add(m.apply(pars, inputs));
  let factor: Array | null = null;
  for (const m of s.modifiers) {
    if (m.op !== "multiplication") continue;
    const f = m.apply(pars, inputs);
    factor = factor ? factor.mul(f) : f;
  }
  return (factor ? rates.mul(factor) : rates).sum(0);
}

function logpdf(s: Structure, pars: Array, data: Array, inputs: ModelInputs): Array {
  const B = s.layout.nbins;
  const main = data.slice({ start: 0, stop: B });
  const lam = expectedMain(s, pars, inputs);
  const mainTerm = poissonLogpdf(main, lam).sum();
  if (s.constraints.nAux === 0) return mainTerm;
  return mainTerm.add(s.constraints.logpdf(pars, data.slice({ start: B }), inputs));
}
