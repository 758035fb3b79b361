/**
 * From events to the resident columns of the differentiable chain. Everything that does not
 * depend on a trainable parameter — the leading muon's pT + MET, the MVA features, per-jet b-tag
 * scores with the index of their event, fit observables and their systematic variations, event
 * weights — is computed once on the host and packed per sample (processes of one sample
 * concatenated), as flat arrays: the chain then only does elementwise work, segment sums over
 * jets and histograms, so it jits.
 *
 * Column contract (canonical NanoAOD names, `analysis/data/columns.ts`): `MET_pt` (flat),
 * `Muon_pt` (jagged: the first muon is used, or flat), `Jet_btagDeepB` and `Jet_mass` (jagged,
 * jets in pT order, already the analysis's good jets), the channel's observable (flat, e.g.
 * `mtt`), an optional 0/1 channel selection column, and for systematics
 * `<observable>_<name>Up/Down` (varied observable) or `weight_<name>Up/Down` (per-event weight
 * multipliers).
 *
 * @module
 */
import type { Array } from "../../core/array.ts";
import { array } from "../../core/ops/convert.ts";
import { type Column, type Flat, isJagged, type ProcessEvents } from "../data/columns.ts";

/** One channel of the fit: its observable, binning and optional hard selection. */
export interface ChannelSpec {
  /** Channel name (the workspace channel). */
  name: string;
  /** Column of the fit observable (flat, one value per event), e.g. `mtt`. */
  observable: string;
  /** Bin edges (increasing). */
  edges: readonly number[];
  /** Optional column of 0/1 per event: the channel's hard (non-optimised) selection. */
  selection?: string;
}

/** A systematic uncertainty, as a constrained nuisance parameter of the fit. */
export interface SystematicSpec {
  /** Name of the nuisance parameter. */
  name: string;
  /**
   * `"observable"`: histosys from the observable's `<observable>_<name>Up/Down` columns (an
   * object variation such as the jet energy scale); `"weight"`: histosys from the event weights
   * times the `weight_<name>Up/Down` columns; `"norm"`: normsys with factors `hi`/`lo`.
   */
  kind: "observable" | "weight" | "norm";
  /** normsys factors (kind `"norm"`). */
  hi?: number;
  /** normsys factors (kind `"norm"`). */
  lo?: number;
  /** Samples it applies to (default: every sample). */
  samples?: readonly string[];
}

/** The host-side columns of one sample, as zgrad arrays (all flat except `features`). */
export type SampleColumns = {
  /** MET per event `[N]`. */
  met: Array;
  /** Leptonic HT per event: leading muon pT + MET `[N]`. */
  lepHt: Array;
  /** b-tag score of every jet `[J]`. */
  btag: Array;
  /** Index of each jet's event `[J]` (int32), for segment sums. */
  jetEvent: Array;
  /** MVA features `[N, 3]`: n_jet/10, m_j1/20, m_j2/10. */
  features: Array;
  /** Event weight `[N]`. */
  weight: Array;
  /** Per channel: observable, selection (0/1, absent = all), varied observables. */
  channels: Record<string, ChannelColumns>;
  /** Per weight systematic: absolute up and down event weights. */
  weightVar: Record<string, [Array, Array]>;
};

/** A sample's columns for one channel. */
export type ChannelColumns = {
  /** The fit observable `[N]`. */
  obs: Array;
  /** 0/1 hard selection `[N]` (weights are multiplied by it). */
  sel: Array;
  /** Per observable systematic: up and down observable `[N]`. */
  obsVar: Record<string, [Array, Array]>;
};

/** Options of {@link prepareInputs}. */
export interface PrepareOptions {
  /** Channels of the fit. */
  channels: readonly ChannelSpec[];
  /** Systematics (default none). */
  systematics?: readonly SystematicSpec[];
  /**
   * Sample of a process (null drops it). Default: `signal`/`zprime*` → `"signal"`, `ttbar*` →
   * `"ttbar"`, data dropped, any other process its own sample.
   */
  sampleOf?: (process: string) => string | null;
  /** dtype of the float columns (default float32; float64 for gradient checks). */
  dtype?: "float32" | "float64";
}

/** The prepared inputs of the chain. */
export interface DiffInputs {
  /** Sample names, sorted (the workspace's order). */
  samples: string[];
  /** Columns per sample. */
  columns: Record<string, SampleColumns>;
  /** The channels. */
  channels: readonly ChannelSpec[];
  /** The systematics. */
  systematics: readonly SystematicSpec[];
  /** Events per sample. */
  nEvents: Record<string, number>;
}

/**
 * The default process → sample mapping: signal, tt̄ (all decay modes), data dropped, others
 * unchanged.
 *
 * @example
 * ```ts
 * import { defaultSampleOf } from "./inputs.ts";
 * defaultSampleOf("ttbar_semilep"); // "ttbar"
 * ```
 */
export function defaultSampleOf(process: string): string | null {
  if (process === "data") return null;
  if (process === "signal" || process.startsWith("zprime")) return "signal";
  if (process.startsWith("ttbar")) return "ttbar";
  return process;
}

function flatValues(c: Column | undefined, name: string, where: string, n: number): Flat {
  if (c === undefined) throw new Error(`${where}: missing column ${JSON.stringify(name)}`);
  if (isJagged(c)) throw new Error(`${where}: column ${JSON.stringify(name)} must be flat`);
  if (c.length !== n) {
    throw new RangeError(
      `${where}: column ${JSON.stringify(name)} has ${c.length} values, ${n} events`,
    );
  }
  return c;
}

/** Per-process host arrays (plain numbers), before concatenation into a sample. */
interface HostCols {
  met: Float64Array;
  lepHt: Float64Array;
  btag: Float64Array;
  jetCount: Int32Array;
  features: Float64Array;
  weight: Float64Array;
  obs: Record<string, Float64Array>;
  sel: Record<string, Float64Array>;
  obsVar: Record<string, Record<string, [Float64Array, Float64Array]>>;
  weightVar: Record<string, [Float64Array, Float64Array]>;
}

/** Extracts the chain's host columns from one process's events (see the module doc). */
function hostColumns(ev: ProcessEvents, opts: PrepareOptions): HostCols {
  const where = `prepareInputs (${ev.process})`;
  const { nEvents: n, columns: c } = ev.table;
  if (ev.weight.length !== n) {
    throw new RangeError(`${where}: ${ev.weight.length} weights for ${n} events`);
  }
  const met = Float64Array.from(flatValues(c.MET_pt, "MET_pt", where, n));
  const mu = c.Muon_pt;
  if (mu === undefined) throw new Error(`${where}: missing column "Muon_pt"`);
  const lepHt = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const pt = isJagged(mu)
      ? (mu.offsets[i + 1] > mu.offsets[i] ? mu.values[mu.offsets[i]] : 0)
      : mu[i];
    lepHt[i] = pt + met[i];
  }
  const jets = c.Jet_btagDeepB, masses = c.Jet_mass;
  if (jets === undefined || !isJagged(jets)) {
    throw new Error(`${where}: column "Jet_btagDeepB" must be present and jagged`);
  }
  if (masses === undefined || !isJagged(masses)) {
    throw new Error(`${where}: column "Jet_mass" must be present and jagged`);
  }
  if (jets.offsets.length !== n + 1 || masses.offsets.length !== n + 1) {
    throw new RangeError(`${where}: jagged jet columns need ${n + 1} offsets`);
  }
  const jetCount = new Int32Array(n);
  const features = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    const o = jets.offsets[i], k = jets.offsets[i + 1] - o;
    jetCount[i] = k;
    const mo = masses.offsets[i], mk = masses.offsets[i + 1] - mo;
    if (mk !== k) throw new RangeError(`${where}: event ${i} has ${k} b-tag scores, ${mk} masses`);
    features[i * 3] = k / 10;
    features[i * 3 + 1] = k > 0 ? masses.values[mo] / 20 : 0;
    features[i * 3 + 2] = k > 1 ? masses.values[mo + 1] / 10 : 0;
  }
  const btag = Float64Array.from(jets.values.subarray(jets.offsets[0], jets.offsets[n]));
  const out: HostCols = {
    met,
    lepHt,
    btag,
    jetCount,
    features,
    weight: Float64Array.from(ev.weight),
    obs: {},
    sel: {},
    obsVar: {},
    weightVar: {},
  };
  const sample = (opts.sampleOf ?? defaultSampleOf)(ev.process)!;
  const systs = (opts.systematics ?? []).filter((s) => !s.samples || s.samples.includes(sample));
  for (const ch of opts.channels) {
    out.obs[ch.name] = Float64Array.from(flatValues(c[ch.observable], ch.observable, where, n));
    out.sel[ch.name] = ch.selection
      ? Float64Array.from(flatValues(c[ch.selection], ch.selection, where, n), (v) => (v ? 1 : 0))
      : new Float64Array(n).fill(1);
    out.obsVar[ch.name] = {};
    for (const s of systs.filter((s) => s.kind === "observable")) {
      const [u, d] = [`${ch.observable}_${s.name}Up`, `${ch.observable}_${s.name}Down`];
      out.obsVar[ch.name][s.name] = [
        Float64Array.from(flatValues(c[u], u, where, n)),
        Float64Array.from(flatValues(c[d], d, where, n)),
      ];
    }
  }
  for (const s of systs.filter((s) => s.kind === "weight")) {
    const [u, d] = [`weight_${s.name}Up`, `weight_${s.name}Down`];
    const fu = flatValues(c[u], u, where, n), fd = flatValues(c[d], d, where, n);
    out.weightVar[s.name] = [
      out.weight.map((w, i) => w * fu[i]),
      out.weight.map((w, i) => w * fd[i]),
    ];
  }
  return out;
}

function concat(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function checkSpecs(opts: PrepareOptions) {
  if (opts.channels.length === 0) throw new RangeError("prepareInputs: no channels");
  for (const ch of opts.channels) {
    const e = ch.edges;
    if (e.length < 2 || e.some((v, i) => i > 0 && !(v > e[i - 1]))) {
      throw new RangeError(`prepareInputs: channel ${ch.name}: edges must increase (≥ 2 values)`);
    }
  }
  const names = new Set<string>();
  for (const s of opts.systematics ?? []) {
    if (names.has(s.name)) throw new RangeError(`prepareInputs: systematic ${s.name} given twice`);
    names.add(s.name);
    if (s.kind === "norm" && !(s.hi! > 0 && s.lo! > 0)) {
      throw new RangeError(`prepareInputs: norm systematic ${s.name} needs hi > 0 and lo > 0`);
    }
  }
}

/**
 * Packs events into the chain's resident columns, one {@link SampleColumns} per sample (see the
 * module doc for the columns read). Errors name the process and the column.
 *
 * @example
 * ```ts
 * import { prepareInputs } from "./inputs.ts";
 * import { syntheticEvents } from "./synthetic.ts";
 * const inputs = prepareInputs(syntheticEvents({ nPerProcess: 1000, seed: 1 }), {
 *   channels: [{ name: "zprime", observable: "mtt", edges: [200, 1000, 2000, 3000] }],
 * });
 * ```
 */
export function prepareInputs(events: readonly ProcessEvents[], opts: PrepareOptions): DiffInputs {
  checkSpecs(opts);
  const dtype = opts.dtype ?? "float32";
  const sampleOf = opts.sampleOf ?? defaultSampleOf;
  const bySample = new Map<string, HostCols[]>();
  for (const ev of events) {
    if (ev.isData) continue;
    const s = sampleOf(ev.process);
    if (s === null) continue;
    if (!bySample.has(s)) bySample.set(s, []);
    bySample.get(s)!.push(hostColumns(ev, opts));
  }
  if (!bySample.has("signal")) {
    throw new Error(`prepareInputs: no process maps to the sample "signal"`);
  }
  const samples = [...bySample.keys()].sort();
  const f = (x: Float64Array) => array(x, "float64").astype(dtype);
  const columns: Record<string, SampleColumns> = {};
  const nEvents: Record<string, number> = {};
  for (const s of samples) {
    const parts = bySample.get(s)!;
    const counts = concat(parts.map((p) => Float64Array.from(p.jetCount)));
    const n = counts.length;
    const jetEvent = new Int32Array(counts.reduce((a, b) => a + b, 0));
    for (let i = 0, o = 0; i < n; i++) for (let k = 0; k < counts[i]; k++) jetEvent[o++] = i;
    const cat = (g: (p: HostCols) => Float64Array) => f(concat(parts.map(g)));
    const channels: Record<string, ChannelColumns> = {};
    for (const ch of opts.channels) {
      const obsVar: Record<string, [Array, Array]> = {};
      for (const name of Object.keys(parts[0].obsVar[ch.name])) {
        obsVar[name] = [
          cat((p) => p.obsVar[ch.name][name][0]),
          cat((p) => p.obsVar[ch.name][name][1]),
        ];
      }
      channels[ch.name] = {
        obs: cat((p) => p.obs[ch.name]),
        sel: cat((p) => p.sel[ch.name]),
        obsVar,
      };
    }
    const weightVar: Record<string, [Array, Array]> = {};
    for (const name of Object.keys(parts[0].weightVar)) {
      weightVar[name] = [cat((p) => p.weightVar[name][0]), cat((p) => p.weightVar[name][1])];
    }
    columns[s] = {
      met: cat((p) => p.met),
      lepHt: cat((p) => p.lepHt),
      btag: cat((p) => p.btag),
      jetEvent: array(jetEvent, "int32"),
      features: cat((p) => p.features).reshape([n, 3]),
      weight: cat((p) => p.weight),
      channels,
      weightVar,
    };
    nEvents[s] = n;
  }
  return {
    samples,
    columns,
    channels: opts.channels,
    systematics: opts.systematics ?? [],
    nEvents,
  };
}
