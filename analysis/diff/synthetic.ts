/**
 * Synthetic Z′→tt̄-like events for tests and benchmarks of the differentiable chain: EventTable
 * columns with canonical NanoAOD names (`Muon_pt`, `MET_pt`, jagged `Jet_btagDeepB`/`Jet_mass`/
 * `Jet_pt`, `FatJet_pt`/`FatJet_particleNet_TvsQCD`), the fit observable `mtt` with jet-energy-
 * scale-like variations `mtt_jesUp/Down`, a weight variation `weight_btagSFUp/Down`, and
 * per-process weights. Seeded and fast (a JS generator, ~1e6 events/s). Not the bundled physics
 * generator of `analysis/data/`: shapes are only plausible enough that cuts and an MVA matter.
 *
 * @module
 */
import type { Jagged, ProcessEvents } from "../data/columns.ts";

/** Options of {@link syntheticEvents}. */
export interface SyntheticOptions {
  /** Events per process (default 2000). */
  nPerProcess?: number;
  /** Seed (default 1). */
  seed?: number;
  /** Also emit a `data` process (Poisson-free: the sum of the others, weight 1) (default false). */
  withData?: boolean;
}

/** Per-process generation parameters. */
interface Shape {
  /** Expected yield after the skim (sets the weights). */
  yield: number;
  xsec: number;
  met: [number, number];
  muon: [number, number];
  /** Jets: minimum, extra (uniform 0..extra), number of b jets. */
  jets: [number, number, number];
  /** Mean jet mass of the two leading jets. */
  jetMass: number;
  mtt: { peak?: [number, number]; tail?: number };
}

const SHAPES: Record<string, Shape> = {
  signal: {
    yield: 60,
    xsec: 1,
    met: [60, 120],
    muon: [55, 200],
    jets: [2, 3, 2],
    jetMass: 30,
    mtt: { peak: [2000, 150] },
  },
  ttbar_semilep: {
    yield: 3000,
    xsec: 364.31,
    met: [30, 70],
    muon: [55, 70],
    jets: [2, 4, 2],
    jetMass: 25,
    mtt: { tail: 450 },
  },
  ttbar_had: {
    yield: 500,
    xsec: 380.11,
    met: [10, 30],
    muon: [55, 30],
    jets: [3, 4, 2],
    jetMass: 25,
    mtt: { tail: 400 },
  },
  ttbar_lep: {
    yield: 700,
    xsec: 87.33,
    met: [40, 80],
    muon: [55, 80],
    jets: [2, 2, 2],
    jetMass: 20,
    mtt: { tail: 450 },
  },
  wjets: {
    yield: 4000,
    xsec: 61526.7,
    met: [20, 60],
    muon: [55, 60],
    jets: [2, 2, 0],
    jetMass: 10,
    mtt: { tail: 380 },
  },
};

/** mulberry32: a small, fast, seeded uniform generator. */
function rng(seed: number) {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const exp = (mean: number) => -mean * Math.log(u());
  const normal = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return { u, exp, normal };
}

function jagged(counts: Int32Array, values: Float32Array): Jagged {
  const offsets = new Int32Array(counts.length + 1);
  for (let i = 0; i < counts.length; i++) offsets[i + 1] = offsets[i] + counts[i];
  return { offsets, values };
}

function generate(process: string, s: Shape, n: number, seed: number): ProcessEvents {
  const r = rng(seed);
  const met = new Float32Array(n), muon = new Float32Array(n), mtt = new Float32Array(n);
  const up = new Float32Array(n), down = new Float32Array(n);
  const wUp = new Float32Array(n), wDown = new Float32Array(n);
  const counts = new Int32Array(n);
  for (let i = 0; i < n; i++) counts[i] = s.jets[0] + Math.floor(r.u() * (s.jets[1] + 1));
  const nJets = counts.reduce((a, b) => a + b, 0);
  const btag = new Float32Array(nJets),
    mass = new Float32Array(nJets),
    pt = new Float32Array(nJets);
  const fat = new Int32Array(n).fill(1);
  const fatPt = new Float32Array(n), fatTag = new Float32Array(n);
  let j = 0;
  for (let i = 0; i < n; i++) {
    met[i] = s.met[0] + r.exp(s.met[1]);
    muon[i] = s.muon[0] + r.exp(s.muon[1]);
    const m = s.mtt.peak ? s.mtt.peak[0] + s.mtt.peak[1] * r.normal() : 200 + r.exp(s.mtt.tail!);
    mtt[i] = Math.max(m, 200);
    const scale = 0.03 * (1 + 0.5 * r.u());
    up[i] = mtt[i] * (1 + scale);
    down[i] = mtt[i] * (1 - scale);
    let nb = 0;
    for (let k = 0; k < counts[i]; k++, j++) {
      const isB = k < s.jets[2] ? r.u() < 0.8 : r.u() < 0.05;
      btag[j] = isB ? 1 - 0.5 * r.u() ** 2 : 0.45 * r.u() ** 2;
      nb += btag[j] > 0.5 ? 1 : 0;
      mass[j] = Math.max(2, (k < 2 ? s.jetMass : 8) * (0.6 + 0.8 * r.u()));
      pt[j] = 30 + r.exp(k === 0 ? 150 : 60);
    }
    wUp[i] = 1 + 0.04 * nb;
    wDown[i] = 1 - 0.04 * nb;
    fatPt[i] = 500 + r.exp(s.mtt.peak ? 400 : 150);
    fatTag[i] = s.jets[2] > 0 ? 0.5 + 0.5 * r.u() : r.u();
  }
  // Jets sorted by pT within each event, as NanoAOD: sort indices per event.
  let o = 0;
  for (let i = 0; i < n; i++) {
    const k = counts[i];
    const idx = Array.from({ length: k }, (_, t) => o + t).sort((a, b) => pt[b] - pt[a]);
    const [b2, m2, p2] = [idx.map((t) => btag[t]), idx.map((t) => mass[t]), idx.map((t) => pt[t])];
    for (let t = 0; t < k; t++) [btag[o + t], mass[o + t], pt[o + t]] = [b2[t], m2[t], p2[t]];
    o += k;
  }
  const lumi = 16400;
  const nGen = (s.xsec * lumi * n) / s.yield; // so that σ·L/N_gen · n = the target yield
  const weight = new Float64Array(n).fill((s.xsec * lumi) / nGen);
  const ones = new Int32Array(n).fill(1);
  return {
    process,
    isData: false,
    table: {
      nEvents: n,
      columns: {
        MET_pt: met,
        Muon_pt: jagged(ones, muon),
        Jet_btagDeepB: jagged(counts, btag),
        Jet_mass: jagged(counts, mass),
        Jet_pt: jagged(counts, pt),
        FatJet_pt: jagged(fat, fatPt),
        FatJet_particleNet_TvsQCD: jagged(fat, fatTag),
        mtt,
        mtt_jesUp: up,
        mtt_jesDown: down,
        weight_btagSFUp: wUp,
        weight_btagSFDown: wDown,
      },
    },
    weight,
    xsec: s.xsec,
    nGen,
    files: [`synthetic:${process}:${seed}`],
  };
}

/**
 * Synthetic events for signal (Z′, mtt peak at 2 TeV), tt̄ semileptonic / hadronic / dileptonic
 * and W+jets, with weights `σ·L/N_gen` (L = 16400 /pb) scaled to plausible post-skim yields.
 *
 * @example
 * ```ts
 * import { syntheticEvents } from "./synthetic.ts";
 * const events = syntheticEvents({ nPerProcess: 1000, seed: 3 });
 * console.log(events.map((e) => e.process)); // signal, ttbar_semilep, ...
 * ```
 */
export function syntheticEvents(opts: SyntheticOptions = {}): ProcessEvents[] {
  const { nPerProcess = 2000, seed = 1 } = opts;
  const out = Object.entries(SHAPES).map(([p, s], k) =>
    generate(p, s, nPerProcess, seed * 7919 + k * 104729)
  );
  if (opts.withData) {
    const d = generate("wjets", SHAPES.wjets, nPerProcess, seed + 17);
    out.push({
      ...d,
      process: "data",
      isData: true,
      weight: new Float64Array(nPerProcess).fill(1),
    });
  }
  return out;
}
