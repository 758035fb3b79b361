/**
 * Small seeded synthetic NanoAOD-like events for the analysis tests (until the data path's bundled
 * generator is merged): the canonical column names, jagged collections as offsets + values, and
 * kinematics that put some events through the default selection (signal with harder fat jets).
 */
import type { EventTable, Flat, Jagged, ProcessEvents } from "../../analysis/data/columns.ts";

/** mulberry32: a tiny seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind = "signal" | "ttbar" | "wjets";

interface ObjSpec {
  n: () => number;
  fields: Record<string, { make: () => number; type: "f32" | "i32" | "u8" }>;
}

function jagged(nEvents: number, spec: ObjSpec, prefix: string): Record<string, Jagged> {
  const offsets = new Int32Array(nEvents + 1);
  const vals: Record<string, number[]> = Object.fromEntries(
    Object.keys(spec.fields).map((k) => [k, []]),
  );
  for (let i = 0; i < nEvents; i++) {
    const n = spec.n();
    const rows: Record<string, number[]> = Object.fromEntries(
      Object.keys(spec.fields).map((k) => [k, []]),
    );
    for (let j = 0; j < n; j++) {
      for (const [k, f] of Object.entries(spec.fields)) rows[k].push(f.make());
    }
    // NanoAOD orders collections by decreasing pT.
    const order = rows.pt.map((_, j) => j).sort((a, b) => rows.pt[b] - rows.pt[a]);
    for (const k of Object.keys(spec.fields)) for (const j of order) vals[k].push(rows[k][j]);
    offsets[i + 1] = offsets[i] + n;
  }
  const out: Record<string, Jagged> = {};
  for (const [k, f] of Object.entries(spec.fields)) {
    const v: Flat = f.type === "f32"
      ? Float32Array.from(vals[k])
      : f.type === "i32"
      ? Int32Array.from(vals[k])
      : Uint8Array.from(vals[k]);
    out[`${prefix}_${k}`] = { offsets, values: v };
  }
  return out;
}

/** A synthetic event table of `nEvents` events of a kind. */
export function syntheticTable(kind: Kind, nEvents: number, seed: number): EventTable {
  const r = rng(seed);
  const exp = (mean: number) => -mean * Math.log(1 - r());
  const gauss = (mu: number, s: number) =>
    mu + s * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const uni = (a: number, b: number) => a + (b - a) * r();
  const top = kind !== "wjets";
  const columns: EventTable["columns"] = {
    ...jagged(nEvents, {
      n: () => (r() < 0.85 ? 1 : r() < 0.5 ? 0 : 2),
      fields: {
        pt: { make: () => 45 + exp(kind === "signal" ? 150 : 70), type: "f32" },
        eta: { make: () => uni(-2.6, 2.6), type: "f32" },
        phi: { make: () => uni(-Math.PI, Math.PI), type: "f32" },
        mass: { make: () => 0.1057, type: "f32" },
        miniIsoId: { make: () => 1 + Math.floor(4 * r()), type: "u8" },
        tightId: { make: () => (r() < 0.9 ? 1 : 0), type: "u8" },
        charge: { make: () => (r() < 0.5 ? -1 : 1), type: "i32" },
      },
    }, "Muon"),
    ...jagged(nEvents, {
      n: () => 1 + Math.floor(5 * r()),
      fields: {
        pt: { make: () => 30 + exp(kind === "signal" ? 250 : 90), type: "f32" },
        eta: { make: () => uni(-2.4, 2.4), type: "f32" },
        phi: { make: () => uni(-Math.PI, Math.PI), type: "f32" },
        mass: { make: () => 4 + exp(12), type: "f32" },
        btagDeepB: { make: () => (top && r() < 0.6 ? uni(0.5, 1) : uni(0, 0.7)), type: "f32" },
        jetId: { make: () => (r() < 0.85 ? 6 : 2), type: "i32" },
      },
    }, "Jet"),
    ...jagged(nEvents, {
      n: () => Math.floor(3 * r()),
      fields: {
        pt: {
          make: () => kind === "signal" ? gauss(850, 200) : 350 + exp(top ? 220 : 160),
          type: "f32",
        },
        eta: { make: () => uni(-2, 2), type: "f32" },
        phi: { make: () => uni(-Math.PI, Math.PI), type: "f32" },
        mass: { make: () => (top ? gauss(172, 18) : 40 + exp(40)), type: "f32" },
        particleNet_TvsQCD: { make: () => (top ? uni(0.3, 1) : uni(0, 0.8)), type: "f32" },
      },
    }, "FatJet"),
  };
  const met = new Float32Array(nEvents), metPhi = new Float32Array(nEvents);
  const hlt = new Uint8Array(nEvents), gw = new Float32Array(nEvents);
  for (let i = 0; i < nEvents; i++) {
    met[i] = 50 + exp(kind === "signal" ? 200 : 80);
    metPhi[i] = uni(-Math.PI, Math.PI);
    hlt[i] = 1;
    gw[i] = r() < 0.95 ? 1 : -1;
  }
  columns.MET_pt = met;
  columns.MET_phi = metPhi;
  columns.HLT_TkMu50 = hlt;
  columns.genWeight = gw;
  return { nEvents, columns };
}

/** One synthetic process, weighted as the data path does: sign(genWeight)·σ·L/N_gen. */
export function syntheticProcess(
  process: string,
  kind: Kind,
  nEvents: number,
  seed: number,
  opts: { xsec?: number; lumi?: number; isData?: boolean } = {},
): ProcessEvents {
  const table = syntheticTable(kind, nEvents, seed);
  const xsec = opts.xsec ?? 1;
  const lumi = opts.lumi ?? 16400;
  const gw = table.columns.genWeight as Float32Array;
  const weight = opts.isData
    ? new Float64Array(nEvents).fill(1)
    : Float64Array.from(gw, (g) => Math.sign(g) * xsec * lumi / nEvents);
  return {
    process,
    isData: opts.isData ?? false,
    table,
    weight,
    xsec,
    nGen: nEvents,
    files: [`synthetic://${process}/${seed}`],
  };
}

/**
 * A small synthetic dataset: signal, tt̄ (semileptonic) and W+jets with `mcFactor`× as many MC
 * events as pseudo-data events, and pseudo-data drawn from independent tables of the background
 * generators with the MC's expected rates (unit weights).
 */
export function syntheticDataset(n = 400, seed = 1, mcFactor = 4): ProcessEvents[] {
  // Cross-sections (pb) giving data-sized tables of n events per-event rates σL/n of about 0.5.
  const xs = (w: number) => w * n / 16400;
  const m = n * mcFactor;
  return [
    syntheticProcess("signal", "signal", m, seed, { xsec: xs(0.1) }),
    syntheticProcess("ttbar_semilep", "ttbar", m, seed + 1, { xsec: xs(0.6) }),
    syntheticProcess("wjets", "wjets", m, seed + 2, { xsec: xs(0.5) }),
    mixData(
      [syntheticTable("ttbar", n, seed + 10), syntheticTable("wjets", n, seed + 11)],
      [xs(0.6), xs(0.5)],
      seed + 12,
    ),
  ];
}

/** Pseudo-data: events drawn from tables with probabilities ∝ rate (rate·L/N per event). */
function mixData(tables: EventTable[], xsecs: number[], seed: number): ProcessEvents {
  const r = rng(seed);
  const parts: { t: EventTable; i: number }[] = [];
  tables.forEach((t, k) => {
    const p = Math.min(1, xsecs[k] * 16400 / t.nEvents);
    for (let i = 0; i < t.nEvents; i++) if (r() < p) parts.push({ t, i });
  });
  const columns: EventTable["columns"] = {};
  for (const name of Object.keys(tables[0].columns)) {
    const first = tables[0].columns[name];
    if ("offsets" in first) {
      const offsets = new Int32Array(parts.length + 1);
      const vals: number[] = [];
      parts.forEach(({ t, i }, k) => {
        const c = t.columns[name] as Jagged;
        for (let j = c.offsets[i]; j < c.offsets[i + 1]; j++) vals.push(c.values[j]);
        offsets[k + 1] = vals.length;
      });
      const Ctor = first.values.constructor as Float32ArrayConstructor;
      columns[name] = { offsets, values: Ctor.from(vals) };
    } else {
      const Ctor = first.constructor as Float32ArrayConstructor;
      columns[name] = Ctor.from(parts.map(({ t, i }) => (t.columns[name] as Flat)[i]));
    }
  }
  const table = { nEvents: parts.length, columns };
  return {
    process: "data",
    isData: true,
    table,
    weight: new Float64Array(parts.length).fill(1),
    xsec: 0,
    nGen: parts.length,
    files: [`synthetic://data/${seed}`],
  };
}

/** A user-config fragment with a coarser mtt binning (fewer staterror parameters: faster fits). */
export function coarseBinning(
  channel: import("../../analysis/config/schema.ts").ChannelConfig,
  bins = 8,
): Record<string, unknown> {
  return {
    channels: [{
      ...channel,
      observables: channel.observables.map((o) => ({
        ...o,
        binning: { low: 200, high: 3000, bins },
      })),
    }],
  };
}
