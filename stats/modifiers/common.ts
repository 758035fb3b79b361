/**
 * What every modifier module shares: the model's layout, the description of one modifier use, the
 * parameter requirements a modifier declares (pyhf's `required_parset`), the vectorised modifier a
 * module builds, and small helpers that turn static index bookkeeping into a few array operations.
 *
 * The model is pyhf's "mega-channel": every sample is defined over every bin of every channel
 * (channels sorted by name, samples sorted by name), with zeros where a sample is absent. Rates,
 * modifier inputs and masks are dense `[S, B]` or `[M, S, B]` tensors (M modifiers of one type), so
 * the expected rates are a handful of array operations whatever the number of bins.
 *
 * @module
 */
import { type Array, array, broadcastTo, concatenate, reshape, where } from "../../core/mod.ts";
import type { Modifier, ModifierType } from "../workspace.ts";

/** The static layout of the model: channels and samples in pyhf's (sorted) order, bin offsets. */
export interface Layout {
  /** Channel names, sorted. */
  readonly channels: readonly string[];
  /** Bins per channel. */
  readonly channelNbins: Readonly<Record<string, number>>;
  /** Offset of each channel's first bin in the concatenated bins. */
  readonly channelOffset: Readonly<Record<string, number>>;
  /** Sample names over all channels, sorted. */
  readonly samples: readonly string[];
  /** Total number of bins (B). */
  readonly nbins: number;
}

/** One modifier acting on one sample in one channel. */
export interface ModifierUse<M extends Modifier = Modifier> {
  /** The modifier as written in the workspace. */
  readonly modifier: M;
  /** Channel name. */
  readonly channel: string;
  /** Sample name. */
  readonly sample: string;
  /** Index of the sample in `Layout.samples`. */
  readonly sampleIndex: number;
  /** First global bin of the channel. */
  readonly offset: number;
  /** Bins of the channel. */
  readonly nbins: number;
  /** The sample's nominal yields in this channel. */
  readonly nominal: readonly number[];
  /** JSON path of the modifier, for error messages. */
  readonly path: string;
}

/** How a parameter is constrained: not at all, by a Gaussian, or by a Poisson term. */
export type ConstraintKind = "unconstrained" | "normal" | "poisson";

/**
 * What a modifier needs of one named parameter (pyhf's `required_parset`). `null` means the value
 * has no default and must come from the measurement config (the luminosity). A field left
 * `undefined` is one the modifier does not use, and configuring it is an error.
 */
export interface ParamRequirement {
  /** The modifier type that declared it. */
  readonly type: ModifierType;
  /** JSON path of the declaring modifier. */
  readonly path: string;
  /** Constraint kind. */
  readonly kind: ConstraintKind;
  /** Number of components. */
  readonly n: number;
  /** A single number (named without an index). */
  readonly isScalar: boolean;
  /** Initial values. */
  readonly inits: readonly number[] | null;
  /** Bounds. */
  readonly bounds: readonly (readonly [number, number])[] | null;
  /** Fixed components. */
  readonly fixed: readonly boolean[];
  /** Auxiliary data (constrained parameters). */
  readonly auxdata?: readonly number[] | null;
  /** Gaussian widths (absent: 1). */
  readonly sigmas?: readonly number[] | null;
  /** Poisson rate factors τ. */
  readonly factors?: readonly number[];
}

/**
 * Requirements of a modifier type with one scalar parameter per modifier name (normfactor, lumi,
 * normsys, histosys): the first use of each name declares it.
 */
export function scalarRequirements(
  uses: readonly ModifierUse[],
  spec: Omit<ParamRequirement, "path" | "n" | "isScalar">,
): Map<string, ParamRequirement> {
  const out = new Map<string, ParamRequirement>();
  for (const u of uses) {
    if (!out.has(u.modifier.name)) {
      out.set(u.modifier.name, { ...spec, path: u.path, n: 1, isScalar: true });
    }
  }
  return out;
}

/** A parameter after merging requirements and the measurement config, placed in the vector. */
export interface Paramset {
  /** Name (pyhf's `par_order` entry). */
  readonly name: string;
  /** Modifier type that declared it first. */
  readonly type: ModifierType;
  /** Index of its first component in the parameter vector. */
  readonly start: number;
  /** Number of components. */
  readonly n: number;
  /** A single number. */
  readonly isScalar: boolean;
  /** Constraint kind. */
  readonly kind: ConstraintKind;
  /** Initial values. */
  readonly inits: readonly number[];
  /** Bounds. */
  readonly bounds: readonly (readonly [number, number])[];
  /** Fixed components. */
  readonly fixed: readonly boolean[];
  /** Auxiliary data (constrained only). */
  readonly auxdata?: readonly number[];
  /** Gaussian widths (normal only). */
  readonly sigmas?: readonly number[];
  /** Poisson factors τ (poisson only). */
  readonly factors?: readonly number[];
  /** Which of auxdata/sigmas/factors the measurement config set (those stay fixed numbers). */
  readonly configured: ReadonlySet<"auxdata" | "sigmas" | "factors">;
}

/** The dense input tensors of a model: `nominal` `[S, B]` and each modifier type's own data. */
export type ModelInputs = Readonly<Record<string, Array>>;

/**
 * A constraint quantity that depends on the inputs (staterror widths and shapesys factors are
 * computed from the nominal yields): `compute` returns the values of the listed parameters,
 * concatenated in that order.
 */
export interface DynamicConstraint {
  /** `"sigmas"` for Gaussian widths, `"factors"` for Poisson τ. */
  readonly field: "sigmas" | "factors";
  /** The parameters covered, in the order of `compute`'s output. */
  readonly params: readonly { readonly name: string; readonly n: number }[];
  /** The values from the inputs. */
  compute(inputs: ModelInputs): Array;
}

/** A modifier type built for one model: a vectorised function of the parameters and inputs. */
export interface AppliedModifier {
  /** The modifier type. */
  readonly type: ModifierType;
  /** Multiplies the rates (factor) or adds to them (delta). */
  readonly op: "multiplication" | "addition";
  /** Modifier names: index m of this type's `[M, S, B]` input tensors. */
  readonly names: readonly string[];
  /** Default input tensors (from the workspace) read by `apply`, by key. */
  readonly inputs: Readonly<Record<string, Array>>;
  /** The `[S, B]` factor or delta at parameters `pars` (`[P]`). */
  apply(pars: Array, inputs: ModelInputs): Array;
  /**
   * The K terms `[K, S, B]` whose product (multiplication) or sum (addition) over axis 0 is
   * `apply`'s result, such that term (k, s, b) depends on the single parameter
   * `termParams[k·B + b]` (or on none, −1). The fitter's structured Hessian relies on this: a
   * forward derivative along the all-ones direction then gives every term's own partial
   * derivative at once (stats/structured_hessian.ts).
   */
  terms(pars: Array, inputs: ModelInputs): Array;
  /** `[K, B]` (flattened): the parameter index each term depends on, −1 for none. */
  readonly termParams: Int32Array;
  /** The interpolation code that ran (normsys, histosys). */
  readonly interpcode?: string;
  /**
   * Quantities of the inputs alone (code4's coefficients) that compiled programs receive
   * precomputed, added to the inputs under their own keys (`Model.programInputs`); `terms` and
   * `apply` compute them when the keys are absent (eager and differentiated evaluation).
   */
  derive?(inputs: ModelInputs): Record<string, Array>;
  /** Constraint quantities computed from the inputs, if any. */
  readonly dynamicConstraint?: DynamicConstraint;
}

/** What a modifier module gets to build its applied form. */
export interface BuildContext {
  /** The layout. */
  readonly layout: Layout;
  /** Parameters by name. */
  readonly params: ReadonlyMap<string, Paramset>;
  /** This type's `modifier_settings` entry (e.g. `{ interpcode: "code4" }`). */
  readonly settings: Readonly<Record<string, unknown>>;
}

/** A modifier module: declares parameters (pyhf's builder) and builds the vectorised modifier. */
export interface ModifierModule {
  /** The type it handles. */
  readonly type: ModifierType;
  /**
   * Parameter requirements from all uses of this type (in pyhf's visiting order), as a map whose
   * insertion order is the order pyhf registers the parameters.
   */
  requirements(uses: readonly ModifierUse[], layout: Layout): Map<string, ParamRequirement>;
  /** The applied modifier, or null when the type is unused. */
  build(uses: readonly ModifierUse[], ctx: BuildContext): AppliedModifier | null;
}

/** An error in the model definition, naming the JSON path (re-thrown as a WorkspaceError). */
export class ModelDefinitionError extends Error {
  /** JSON path of the offending value. */
  readonly path: string;
  /** An error at `path` saying `message`. */
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.path = path;
    this.name = "ModelDefinitionError";
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/** Float64 constant of a given shape from numbers. */
export function f64(values: ArrayLike<number>, shape: readonly number[]): Array {
  return array(Float64Array.from(values), "float64", { shape });
}
/** Int32 vector (indices) from numbers. */
export function i32(values: ArrayLike<number>): Array {
  return array(Int32Array.from(values), "int32");
}
/** Bool constant of a given shape. */
export function bools(values: ArrayLike<boolean | number>, shape: readonly number[]): Array {
  return array(Uint8Array.from(values, (v) => (v ? 1 : 0)), "bool", { shape });
}

type Piece =
  | { kind: "const"; values: number[]; arr?: Array }
  | { kind: "slice"; src: string; start: number; stop: number };

/**
 * Builds a 1-D float64 vector from constants and entries of named 1-D source arrays, using only
 * slices and one concatenate. Consecutive source indices merge into one slice, so gathering a
 * parameter block costs one op, not one per entry.
 *
 * Why slices rather than `take`: parameter blocks are contiguous in the parameter vector, so the
 * index lists here are a few contiguous runs; slices and one concatenate are cheaper than a gather,
 * and their transposes (pad, slice) are cheaper than gather's scatter-add in the backward pass.
 */
export class Assembler {
  readonly #pieces: Piece[] = [];
  #length = 0;

  /** Number of entries so far. */
  get length(): number {
    return this.#length;
  }
  /** Appends constants. */
  constant(values: readonly number[]): this {
    if (values.length === 0) return this;
    const last = this.#pieces[this.#pieces.length - 1];
    if (last?.kind === "const") last.values.push(...values);
    else this.#pieces.push({ kind: "const", values: [...values] });
    this.#length += values.length;
    return this;
  }
  /** Appends `src[start .. start + n)`. */
  take(src: string, start: number, n = 1): this {
    if (n === 0) return this;
    const last = this.#pieces[this.#pieces.length - 1];
    if (last?.kind === "slice" && last.src === src && last.stop === start) last.stop += n;
    else this.#pieces.push({ kind: "slice", src, start, stop: start + n });
    this.#length += n;
    return this;
  }
  /** Appends `src[i]` for each index, or `fill` where the index is negative. */
  gather(src: string, indices: ArrayLike<number>, fill = 1): this {
    for (let i = 0; i < indices.length; i++) {
      const k = indices[i];
      if (k < 0) this.constant([fill]);
      else this.take(src, k);
    }
    return this;
  }
  /** True when no source is read (the result is a constant). */
  get isConstant(): boolean {
    return this.#pieces.every((p) => p.kind === "const");
  }
  /** The vector, reading sources from `sources`. */
  build(sources: Readonly<Record<string, Array>>): Array {
    const parts = this.#pieces.map((p) => {
      if (p.kind === "const") return (p.arr ??= f64(p.values, [p.values.length]));
      const x = sources[p.src];
      if (!x) throw new Error(`Assembler: missing source ${p.src}`);
      return p.start === 0 && p.stop === x.shape[0] ? x : x.slice({ start: p.start, stop: p.stop });
    });
    if (parts.length === 0) return f64([], [0]);
    return parts.length === 1 ? parts[0] : concatenate(parts, 0);
  }
}

/**
 * Product over axis 0 as a tree of elementwise multiplications (log₂ M steps). `prod` would do, but
 * its derivative materialises an M×M stack per element.
 */
export function product0(x: Array): Array {
  let cur = x;
  while (cur.shape[0] > 1) {
    const n = cur.shape[0], half = Math.floor(n / 2);
    let next = cur.slice({ start: 0, stop: half }).mul(cur.slice({ start: half, stop: 2 * half }));
    if (n % 2) next = concatenate([next, cur.slice({ start: n - 1, stop: n })], 0);
    cur = next;
  }
  return reshape(cur, cur.shape.slice(1));
}

/** Parameter index of a scalar paramset, with a clear error otherwise. */
export function scalarIndex(ctx: BuildContext, name: string): number {
  const p = ctx.params.get(name);
  if (!p) throw new Error(`internal: parameter ${name} was not registered`);
  return p.start;
}

/** Unique modifier names in order of first use. */
export function namesInOrder(uses: readonly ModifierUse[]): string[] {
  return [...new Set(uses.map((u) => u.modifier.name))];
}

/** A `[M, S, B]` bool mask: true where modifier m acts on sample s in bin b. */
export function useMask(uses: readonly ModifierUse[], names: readonly string[], layout: Layout): {
  mask: Array;
  raw: Uint8Array;
} {
  const S = layout.samples.length, B = layout.nbins;
  const raw = new Uint8Array(names.length * S * B);
  const index = new Map(names.map((n, i) => [n, i]));
  for (const u of uses) {
    const m = index.get(u.modifier.name)!;
    for (let j = 0; j < u.nbins; j++) raw[(m * S + u.sampleIndex) * B + u.offset + j] = 1;
  }
  return { mask: bools(raw, [names.length, S, B]), raw };
}

/** Index of `channel` in `layout.channels`. */
export function channelIndex(layout: Layout, channel: string): number {
  const c = layout.channels.indexOf(channel);
  if (c < 0) throw new Error(`internal: unknown channel ${channel}`);
  return c;
}

/**
 * `[..., C] → [..., B]`: each channel's value repeated over its bins. Per-channel quantities
 * (normsys factors) are computed on C entries and expanded last, so that their transcendental
 * functions run once per channel rather than once per bin.
 */
export function channelExpander(layout: Layout): (x: Array) => Array {
  const C = layout.channels.length, B = layout.nbins;
  const pieces = layout.channels
    .map((ch, c) => ({ c, offset: layout.channelOffset[ch], n: layout.channelNbins[ch] }))
    .sort((a, b) => a.offset - b.offset);
  return (x) => {
    const lead = x.shape.slice(0, -1);
    if (C === 1) return broadcastTo(x, [...lead, B]);
    const parts = pieces.map(({ c, n }) =>
      broadcastTo(x.slice(...lead.map(() => ({})), { start: c, stop: c + 1 }), [...lead, n])
    );
    return concatenate(parts, x.ndim - 1);
  };
}

/**
 * The distinct (modifier, group) pairs of a modifier type's uses — a group is a sample (histosys)
 * or a sample and channel (normsys) — ordered by group, then modifier: the entries a modifier
 * actually touches. Computing on them, rather than on the dense `[M, S, …]` layout where most
 * entries are masked out, makes the interpolation's cost follow the workspace's uses.
 */
export interface UsedPairs {
  /** Modifier index of each pair. */
  readonly m: Int32Array;
  /** Group of each pair. */
  readonly group: Int32Array;
  /** Number of groups G. */
  readonly groups: number;
  /** `[start, end)` of each group's pairs (empty for a group without uses). */
  readonly ranges: readonly (readonly [number, number])[];
}

/**
 * {@link UsedPairs} of (modifier, group) keys (repeats allowed), for G groups.
 *
 * @example
 * ```ts
 * import { usedPairs } from "./common.ts";
 * usedPairs([[1, 0], [0, 1], [1, 0]], 2); // m [1, 0], group [0, 1]
 * ```
 */
export function usedPairs(keys: readonly (readonly [number, number])[], groups: number): UsedPairs {
  const seen = new Set<string>(), list: [number, number][] = [];
  for (const [m, g] of keys) {
    if (!seen.has(`${m}/${g}`)) seen.add(`${m}/${g}`), list.push([m, g]);
  }
  list.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  const ranges: [number, number][] = [];
  let at = 0;
  for (let g = 0; g < groups; g++) {
    const start = at;
    while (at < list.length && list[at][1] === g) at++;
    ranges.push([start, at]);
  }
  return {
    m: Int32Array.from(list, (p) => p[0]),
    group: Int32Array.from(list, (p) => p[1]),
    groups,
    ranges,
  };
}

/**
 * Sums (or multiplies) the rows of `x` (`[U, …]`, rows ordered as `pairs`) within each group:
 * `[G, …]`, 0 (or 1) for a group without pairs.
 */
export function reduceGroups(x: Array, pairs: UsedPairs, op: "sum" | "prod"): Array {
  const rest = x.shape.slice(1);
  const parts = pairs.ranges.map(([start, end]) => {
    if (start === end) return broadcastTo(array(op === "sum" ? 0 : 1, x.dtype), [1, ...rest]);
    const rows = x.slice({ start, stop: end });
    return reshape(op === "sum" ? rows.sum(0) : product0(rows), [1, ...rest]);
  });
  return parts.length === 1 ? parts[0] : concatenate(parts, 0);
}

/**
 * Multiplicative modifiers with one parameter per modifier (normfactor, lumi): the `[S, B]`
 * product over modifiers of `mask ? θ_m : 1`.
 */
export function scalarFactor(
  type: ModifierType,
  uses: readonly ModifierUse[],
  ctx: BuildContext,
): AppliedModifier | null {
  if (uses.length === 0) return null;
  const names = namesInOrder(uses);
  const { mask } = useMask(uses, names, ctx.layout);
  const idx = names.map((n) => scalarIndex(ctx, n));
  const gather = new Assembler().gather("pars", idx);
  const terms = (pars: Array) => {
    const v = reshape(gather.build({ pars }), [names.length, 1, 1]);
    return where(mask, v, 1);
  };
  return {
    type,
    op: "multiplication",
    names,
    inputs: {},
    apply: (pars) => product0(terms(pars)),
    terms,
    termParams: scalarTermParams(idx, ctx.layout.nbins),
  };
}

/** `termParams` of one scalar parameter per term: `idx[k]` repeated over the B bins. */
export function scalarTermParams(idx: readonly number[], B: number): Int32Array {
  const out = new Int32Array(idx.length * B);
  idx.forEach((p, k) => out.fill(p, k * B, (k + 1) * B));
  return out;
}

/** One per-bin multiplicative modifier: its parameter index per global bin (−1: none) and samples. */
export interface PerBinSpec {
  /** Parameter index for each global bin, −1 where the modifier does not act. */
  readonly paramOfBin: Int32Array;
  /** `[S, B]` (flattened) 1 where it acts on sample s in bin b. */
  readonly sampleMask: Uint8Array;
}

/**
 * Multiplicative modifiers with a parameter per bin (shapefactor, shapesys, staterror). Modifiers
 * acting on disjoint bins share a "layer", so the work is `[L, S, B]` with L the largest number of
 * such modifiers on one bin, not the number of modifiers. Returns the `[L, S, B]` terms (their
 * product over axis 0 is the factor) and each term's parameter index.
 */
export function perBinFactor(
  specs: readonly PerBinSpec[],
  layout: Layout,
): { terms: (pars: Array) => Array; termParams: Int32Array } {
  const S = layout.samples.length, B = layout.nbins;
  const layers: { paramOfBin: Int32Array; mask: Uint8Array }[] = [];
  for (const spec of specs) {
    let layer = layers.find((l) => spec.paramOfBin.every((p, b) => p < 0 || l.paramOfBin[b] < 0));
    if (!layer) {
      layer = { paramOfBin: new Int32Array(B).fill(-1), mask: new Uint8Array(S * B) };
      layers.push(layer);
    }
    spec.paramOfBin.forEach((p, b) => {
      if (p >= 0) layer!.paramOfBin[b] = p;
    });
    spec.sampleMask.forEach((v, i) => {
      if (v) layer!.mask[i] = 1;
    });
  }
  const L = layers.length;
  const gather = new Assembler();
  for (const l of layers) gather.gather("pars", l.paramOfBin);
  const mask = bools(
    layers.flatMap((l) => globalThis.Array.from(l.mask)),
    [L, S, B],
  );
  const termParams = new Int32Array(L * B);
  layers.forEach((l, k) => termParams.set(l.paramOfBin, k * B));
  return {
    terms: (pars) => where(mask, reshape(gather.build({ pars }), [L, 1, B]), 1),
    termParams,
  };
}
