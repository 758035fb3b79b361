/**
 * HistFactory models: {@link fromPyhf} turns a pyhf JSON workspace into a {@link Model}, whose
 * expected rates and log-likelihood are zgrad functions of the parameters (and of the model's
 * inputs), so `grad`, `hessian`, `vmap` and `jit` work through them.
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
 * is being optimised); every method of that model then depends differentiably on them.
 *
 * @module
 */
import {
  Array,
  array,
  type ArrayLike,
  astype,
  concatenate,
  DeviceArray,
  where,
} from "../core/mod.ts";
import { hessian, valueAndGrad, vmap } from "../ad/api.ts";
import { jit, type Jitted } from "../jit/jit.ts";
import { Constraints, poissonLogpdf } from "./constraints.ts";
import {
  type AppliedModifier,
  Assembler,
  bools,
  type Layout,
  ModelDefinitionError,
  type ModelInputs,
  type ModifierUse,
  type ParamRequirement,
  type Paramset,
} from "./modifiers/common.ts";
import { MODIFIERS } from "./modifiers/mod.ts";
import {
  HISTOSYS_CODES,
  type HistosysCode,
  type InterpCode,
  kinksOf,
  NORMSYS_CODES,
  type NormsysCode,
} from "./modifiers/interp.ts";
import { resolveParamsets } from "./parameters.ts";
import {
  compileTermDerivatives,
  compileTermDerivativesBatch,
  type HessianStructure,
  structuredHessian,
} from "./structured_hessian.ts";
import {
  type Measurement,
  type Modifier,
  MODIFIER_TYPES,
  type ModifierType,
  validateWorkspace,
  type Workspace,
  WorkspaceError,
  type WorkspaceIssue,
} from "./workspace.ts";
import { type FitOptions, fixedPoiFit } from "./fit.ts";

/**
 * Interpolation settings per modifier type, as pyhf's `modifier_settings`. The defaults are
 * pyhf's (`Workspace.model()`): normsys code4, histosys code4p; ROOT's are code1 / code0.
 */
export interface ModifierSettings {
  /** `{ interpcode: "code0" | "code1" | "code2" | "code4" }` (default code4). */
  normsys?: { interpcode?: NormsysCode };
  /** `{ interpcode: "code0" | "code2" | "code4" | "code4p" }` (default code4p). */
  histosys?: { interpcode?: HistosysCode };
}

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

/** Options of {@link fromPyhf}. */
export interface FromPyhfOptions {
  /** Measurement name (default: the first). */
  measurement?: string;
  /** Parameter of interest, overriding the measurement's (`null`: no POI). */
  poiName?: string | null;
  /**
   * Interpolation codes. Defaults are pyhf's `Workspace.model()` ones (normsys code4, histosys
   * code4p); ROOT's are `{ normsys: { interpcode: "code1" }, histosys: { interpcode: "code0" } }`.
   */
  modifierSettings?: ModifierSettings;
  /**
   * What to do with a measurement config for a parameter no modifier declares: `"error"`
   * (default) or `"ignore"` (recorded in `model.warnings`). A config named `lumi` without a lumi
   * modifier is always only a warning: ROOT's HistFactory writes one into every measurement.
   */
  unknownParameters?: "error" | "ignore";
}

/** Per-sample replacements for {@link Model.withSamples}, shaped like the workspace JSON. */
export interface SampleOverride {
  /** Nominal yields of the sample in this channel. */
  data?: ArrayLike;
  /**
   * Modifier data by modifier name (or `"type/name"` when one sample has two modifiers of the
   * same name): `{hi, lo}` scalars for normsys, `{hi_data, lo_data}` for histosys, an array of
   * uncertainties for staterror and shapesys.
   */
  modifiers?: Record<
    string,
    ArrayLike | { hi?: ArrayLike; lo?: ArrayLike } | { hi_data?: ArrayLike; lo_data?: ArrayLike }
  >;
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

/** Everything fixed at build time, shared by a model and the models derived from it. */
interface Structure {
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

function toF64(x: ArrayLike, what: string): Array {
  const a = x instanceof Array ? x : array(x, "float64");
  if (a.dtype === "float64") return a;
  if (a.dtype === "float32" || a.weakType || a.dtype === "int32") return astype(a, "float64");
  throw new TypeError(`${what}: expected float64 values, got ${a.aval}`);
}

function checkShape(a: Array, shape: readonly number[], what: string): Array {
  if (a.shape.join() !== shape.join()) {
    throw new RangeError(`${what}: expected shape [${shape}], got [${a.shape}]`);
  }
  return a;
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
    const next: Record<string, Array> = { ...this.inputs };
    for (const [k, v] of Object.entries(inputs)) {
      if (!(k in this.inputs)) {
        throw new RangeError(
          `withInputs: unknown input ${JSON.stringify(k)} (inputs: ${
            Object.keys(this.inputs).join(", ")
          })`,
        );
      }
      next[k] = checkShape(toF64(v!, `withInputs.${k}`), this.inputs[k].shape, `withInputs.${k}`);
    }
    return this.#derive(next);
  }

  /**
   * A model whose sample nominal yields are `nominals[sample]`: a `[n]` array over the bins of
   * every channel containing that sample, channels in sorted order (so for a one-channel sample,
   * just its bins). Gradients flow from every method of the new model to these arrays.
   */
  withNominals(nominals: Record<string, ArrayLike>): Model {
    let nominal = this.inputs.nominal;
    for (const [sample, values] of Object.entries(nominals)) {
      const s = this.samples.indexOf(sample);
      if (s < 0) {
        throw new RangeError(
          `withNominals: unknown sample ${JSON.stringify(sample)} (samples: ${
            this.samples.join(", ")
          })`,
        );
      }
      const chans = this.channels.filter((c) => this.#s.samplesIn.get(c)!.has(sample));
      const n = chans.reduce((a, c) => a + this.channelNbins[c], 0);
      const x = checkShape(
        toF64(values, `withNominals.${sample}`),
        [n],
        `withNominals.${sample} (bins of ${chans.join(", ")})`,
      );
      const bins: number[] = [];
      for (const c of chans) {
        const o = this.#s.layout.channelOffset[c];
        for (let j = 0; j < this.channelNbins[c]; j++) bins.push(o + j);
      }
      nominal = this.#place(nominal, null, s, bins, x);
    }
    return this.#derive({ ...this.inputs, nominal });
  }

  /**
   * A model with sample data replaced per channel, in the workspace's own shape:
   * `{channel: {sample: {data, modifiers: {name: ...}}}}` (see {@link SampleOverride}).
   */
  withSamples(spec: Record<string, Record<string, SampleOverride>>): Model {
    const next: Record<string, Array> = { ...this.inputs };
    for (const [channel, samples] of Object.entries(spec)) {
      if (!this.channels.includes(channel)) {
        throw new RangeError(`withSamples: unknown channel ${JSON.stringify(channel)}`);
      }
      const o = this.#s.layout.channelOffset[channel], nb = this.channelNbins[channel];
      const bins = globalThis.Array.from({ length: nb }, (_, j) => o + j);
      for (const [sample, ov] of Object.entries(samples)) {
        const at = `withSamples.${channel}.${sample}`;
        if (!this.#s.samplesIn.get(channel)!.has(sample)) {
          throw new RangeError(
            `${at}: channel ${JSON.stringify(channel)} has no sample ${JSON.stringify(sample)}`,
          );
        }
        const s = this.samples.indexOf(sample);
        const row = (v: ArrayLike, what: string) => checkShape(toF64(v, what), [nb], what);
        if (ov.data !== undefined) {
          next.nominal = this.#place(next.nominal, null, s, bins, row(ov.data, `${at}.data`));
        }
        for (const [key, val] of Object.entries(ov.modifiers ?? {})) {
          const mp = `${at}.modifiers.${key}`;
          const use = this.#findUse(channel, sample, key, mp);
          const mod = this.#s.modifiers.find((m) => m.type === use.modifier.type)!;
          const m = mod.names.indexOf(use.modifier.name);
          const t = use.modifier.type;
          const fields: [string, string, ArrayLike | undefined, boolean][] = [];
          if (t === "normsys") {
            const v = val as { hi?: ArrayLike; lo?: ArrayLike };
            fields.push(["hi", "normsys.hi", v.hi, true], ["lo", "normsys.lo", v.lo, true]);
          } else if (t === "histosys") {
            const v = val as { hi_data?: ArrayLike; lo_data?: ArrayLike };
            fields.push(["hi_data", "histosys.hi", v.hi_data, false], [
              "lo_data",
              "histosys.lo",
              v.lo_data,
              false,
            ]);
          } else if (t === "staterror" || t === "shapesys") {
            fields.push(["", `${t}.unc`, val as ArrayLike, false]);
          } else {
            throw new RangeError(`${mp}: a ${t} modifier has no data to replace`);
          }
          // Scalars (normsys) are stored per channel, rows per bin.
          const c = this.channels.indexOf(channel);
          for (const [f, input, v, scalar] of fields) {
            if (v === undefined) continue;
            const what = f ? `${mp}.${f}` : mp;
            const x = scalar ? checkShape(toF64(v, what), [], what) : row(v, what);
            next[input] = this.#place(next[input], m, s, scalar ? [c] : bins, x);
          }
        }
      }
    }
    return this.#derive(next);
  }

  #findUse(channel: string, sample: string, key: string, path: string): ModifierUse {
    const slash = key.indexOf("/");
    const type = slash > 0 && (MODIFIER_TYPES as readonly string[]).includes(key.slice(0, slash))
      ? key.slice(0, slash)
      : null;
    const name = type ? key.slice(slash + 1) : key;
    const found = this.#s.uses.filter((u) =>
      u.channel === channel && u.sample === sample && u.modifier.name === name &&
      (type === null || u.modifier.type === type)
    );
    if (found.length === 0) {
      throw new RangeError(
        `${path}: sample ${JSON.stringify(sample)} in channel ${
          JSON.stringify(channel)
        } has no modifier ${JSON.stringify(key)}`,
      );
    }
    if (found.length > 1) {
      throw new RangeError(
        `${path}: ambiguous, the sample has ${
          found.map((u) => `${u.modifier.type}/${name}`).join(" and ")
        }; use that form`,
      );
    }
    return found[0];
  }

  /**
   * `base` (`[S, B]`, or `[M, S, B]` with modifier `m`; B is the last axis: bins, or channels) with
   * `values` (a row over `bins`, or a scalar) written at sample `s`, entries `bins` — a where, so
   * it is differentiable in both.
   */
  #place(base: Array, m: number | null, s: number, bins: readonly number[], values: Array): Array {
    const S = this.samples.length, B = base.shape[base.ndim - 1];
    const mask = new Uint8Array(base.size);
    const off = ((m ?? 0) * S + s) * B;
    for (const b of bins) mask[off + b] = 1;
    let row = values;
    if (values.ndim === 1) {
      const at = new Set(bins);
      const asm = new Assembler();
      let k = 0;
      for (let b = 0; b < B; b++) {
        if (at.has(b)) asm.take("x", k++);
        else asm.constant([0]);
      }
      row = asm.build({ x: values });
    }
    return where(bools(mask, base.shape), row, base);
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

// ---------------------------------------------------------------------------------------------

function layoutOf(ws: Workspace): { layout: Layout; samplesIn: Map<string, Set<string>> } {
  const channels = ws.channels.map((c) => c.name).sort();
  const channelNbins: Record<string, number> = {};
  const channelOffset: Record<string, number> = {};
  const samplesIn = new Map<string, Set<string>>();
  const all = new Set<string>();
  let off = 0;
  for (const name of channels) {
    const ch = ws.channels.find((c) => c.name === name)!;
    channelNbins[name] = ch.samples[0].data.length;
    channelOffset[name] = off;
    off += channelNbins[name];
    samplesIn.set(name, new Set(ch.samples.map((s) => s.name)));
    ch.samples.forEach((s) => all.add(s.name));
  }
  return {
    layout: { channels, channelNbins, channelOffset, samples: [...all].sort(), nbins: off },
    samplesIn,
  };
}

/** Modifier uses in pyhf's visiting order: channels, samples, then (name, type), all sorted. */
function usesOf(ws: Workspace, layout: Layout): ModifierUse[] {
  const out: ModifierUse[] = [];
  for (const cname of layout.channels) {
    const ci = ws.channels.findIndex((c) => c.name === cname);
    const ch = ws.channels[ci];
    for (const sname of layout.samples) {
      const si = ch.samples.findIndex((s) => s.name === sname);
      if (si < 0) continue;
      const sample = ch.samples[si];
      const mods = sample.modifiers.map((m, mi) => ({ m, mi }))
        .sort((a, b) => cmp(a.m.name, b.m.name) || cmp(a.m.type, b.m.type));
      for (const { m, mi } of mods) {
        out.push({
          modifier: m as Modifier,
          channel: cname,
          sample: sname,
          sampleIndex: layout.samples.indexOf(sname),
          offset: layout.channelOffset[cname],
          nbins: layout.channelNbins[cname],
          nominal: sample.data,
          path: `channels[${ci}].samples[${si}].modifiers[${mi}]`,
        });
      }
    }
  }
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function pickMeasurement(ws: Workspace, name: string | undefined): [Measurement, number] {
  if (name === undefined) return [ws.measurements[0], 0];
  const i = ws.measurements.findIndex((m) => m.name === name);
  if (i < 0) {
    throw new WorkspaceError([{
      path: "measurements",
      message: `no measurement named ${JSON.stringify(name)} (available: ${
        ws.measurements.map((m) => JSON.stringify(m.name)).join(", ")
      })`,
    }]);
  }
  return [ws.measurements[i], i];
}

function checkSettings(settings: ModifierSettings): void {
  const known: Record<string, readonly string[]> = {
    normsys: NORMSYS_CODES,
    histosys: HISTOSYS_CODES,
  };
  for (const [type, v] of Object.entries(settings)) {
    if (!(type in known)) {
      throw new WorkspaceError([{
        path: `modifierSettings.${type}`,
        message: `no settings for modifier type ${
          JSON.stringify(type)
        } (configurable: normsys, histosys)`,
      }]);
    }
    for (const [k, code] of Object.entries(v ?? {})) {
      if (k !== "interpcode") {
        throw new WorkspaceError([{
          path: `modifierSettings.${type}.${k}`,
          message: `unknown setting (only interpcode)`,
        }]);
      }
      if (!known[type].includes(code as string)) {
        throw new WorkspaceError([{
          path: `modifierSettings.${type}.interpcode`,
          message: `unsupported interpolation code ${JSON.stringify(code)} (supported: ${
            known[type].join(", ")
          })`,
        }]);
      }
    }
  }
}

/**
 * Builds a {@link Model} from a pyhf JSON workspace (an object or a validated {@link Workspace}),
 * as `pyhf.Workspace(spec).model(measurement_name, modifier_settings)` does. Invalid input
 * throws a {@link WorkspaceError} naming the JSON path.
 *
 * @example
 * ```ts
 * import { fromPyhf } from "./mod.ts";
 * const spec = JSON.parse(Deno.readTextFileSync("workspace.json"));
 * const model = fromPyhf(spec); // pyhf's interpolation: normsys code4, histosys code4p
 * const root = fromPyhf(spec, {
 *   modifierSettings: { normsys: { interpcode: "code1" }, histosys: { interpcode: "code0" } },
 * });
 * console.log(model.parNames, model.poiIndex, root.interpolation);
 * ```
 */
export function fromPyhf(workspace: unknown, opts: FromPyhfOptions = {}): Model {
  const ws = validateWorkspace(workspace);
  const settings = opts.modifierSettings ?? {};
  checkSettings(settings);
  const [meas, mi] = pickMeasurement(ws, opts.measurement);
  const configPath = `measurements[${mi}].config.parameters`;
  const { layout, samplesIn } = layoutOf(ws);
  const uses = usesOf(ws, layout);
  const byType = new Map<ModifierType, ModifierUse[]>(MODIFIER_TYPES.map((t) => [t, []]));
  for (const u of uses) byType.get(u.modifier.type)!.push(u);

  try {
    // Parameters are registered type by type, in the order each type's builder meets them.
    const requirements = new Map<string, ParamRequirement[]>();
    for (const t of MODIFIER_TYPES) {
      for (const [name, req] of MODIFIERS[t].requirements(byType.get(t)!, layout)) {
        if (!requirements.has(name)) requirements.set(name, []);
        requirements.get(name)!.push(req);
      }
    }
    const issues: WorkspaceIssue[] = [];
    const warnings: string[] = [];
    meas.config.parameters.forEach((p, i) => {
      if (requirements.has(p.name)) return;
      const msg = `parameter ${JSON.stringify(p.name)} is configured but no modifier declares it`;
      if (p.name === "lumi" || opts.unknownParameters === "ignore") {
        warnings.push(`${configPath}[${i}]: ${msg}; ignored`);
      } else {
        issues.push({
          path: `${configPath}[${i}].name`,
          message: `${msg} (model parameters: ${[...requirements.keys()].join(", ")})`,
        });
      }
    });
    const paramsets = resolveParamsets(requirements, meas.config.parameters, configPath, issues);
    const poiName = opts.poiName === undefined ? (meas.config.poi || null) : opts.poiName;
    if (poiName !== null) {
      const p = paramsets.find((q) => q.name === poiName);
      const at = opts.poiName === undefined ? `measurements[${mi}].config.poi` : "poiName";
      if (!p) {
        issues.push({
          path: at,
          message: `parameter of interest ${
            JSON.stringify(poiName)
          } is not a model parameter (parameters: ${paramsets.map((q) => q.name).join(", ")})`,
        });
      } else if (p.n !== 1) {
        issues.push({
          path: at,
          message: `parameter of interest ${
            JSON.stringify(poiName)
          } has ${p.n} components; it must be a single number`,
        });
      }
    }
    if (paramsets.length === 0) {
      issues.push({ path: "channels", message: "the model has no parameters" });
    }
    if (issues.length) throw new WorkspaceError(issues);

    const params = new Map(paramsets.map((p) => [p.name, p]));
    const modifiers: AppliedModifier[] = [];
    for (const t of MODIFIER_TYPES) {
      const built = MODIFIERS[t].build(byType.get(t)!, {
        layout,
        params,
        settings: (settings as Record<string, Record<string, unknown>>)[t] ?? {},
      });
      if (built) modifiers.push(built);
    }
    const constraints = new Constraints(
      paramsets,
      modifiers.flatMap((m) => (m.dynamicConstraint ? [m.dynamicConstraint] : [])),
    );
    const S = layout.samples.length, B = layout.nbins;
    const nominal = new Float64Array(S * B);
    const observedMain: number[] = [];
    for (const c of layout.channels) {
      const ch = ws.channels.find((x) => x.name === c)!;
      for (const smp of ch.samples) {
        nominal.set(smp.data, layout.samples.indexOf(smp.name) * B + layout.channelOffset[c]);
      }
      observedMain.push(...ws.observations.find((o) => o.name === c)!.data);
    }
    const inputs: Record<string, Array> = {
      nominal: array(nominal, "float64", { shape: [S, B] }),
    };
    for (const m of modifiers) Object.assign(inputs, m.inputs);
    const structure: Structure = {
      layout,
      samplesIn,
      uses,
      paramsets,
      modifiers,
      constraints,
      observedMain,
      interpolation: {
        normsys: settings.normsys?.interpcode ?? "code4",
        histosys: settings.histosys?.interpcode ?? "code4p",
      },
      jitted: {},
    };
    if (modifiers.some((m) => m.interpcode === "code2")) {
      warnings.push(
        "interpolation code2 is pyhf's: discontinuous at |alpha| = 1 (pyhf issue #2729); fits that cross it may stall",
      );
    }
    return new Model(structure, inputs, { poiName, measurement: meas.name, warnings });
  } catch (e) {
    if (e instanceof ModelDefinitionError) {
      throw new WorkspaceError([{ path: e.path, message: e.message.slice(e.path.length + 2) }]);
    }
    throw e;
  }
}
