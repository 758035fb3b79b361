/**
 * A toy CMS detector for the bundled samples: truth partons become AK4 jets (ΔR < 0.4 clustering,
 * 10% pT resolution, DeepCSV-like `btagDeepB` by flavour) and AK8 fat jets (ΔR < 0.8 clustering,
 * a ParticleNet-like `particleNet_TvsQCD` high when a jet holds all three quarks of a top), muons
 * get 2% resolution, tight-ID and mini-isolation (worse near jets, bad for muons from b decays), MET is the neutrinos plus jet mismeasurement plus unclustered resolution, and
 * `HLT_TkMu50` turns on at 50 GeV. The output columns have the canonical NanoAOD names and types
 * the ROOT reader produces.
 *
 * @module
 */
import type { EventTable } from "./columns.ts";
import { add, deltaR, eta, fromPtEtaPhiM, mass, type P4, phi, pt } from "./kinematics.ts";
import type { Rng } from "./prng.ts";
import { FlatBuilder, type FlatKind, shareOffsets } from "./table.ts";
import type { Flavour, Parton, TruthEvent } from "./truth.ts";

/** The columns of each collection with their kinds. */
export const COLLECTIONS = {
  Muon: {
    pt: "f32",
    eta: "f32",
    phi: "f32",
    mass: "f32",
    miniIsoId: "u8",
    tightId: "u8",
    charge: "i32",
  },
  Jet: { pt: "f32", eta: "f32", phi: "f32", mass: "f32", btagDeepB: "f32", jetId: "u8" },
  FatJet: { pt: "f32", eta: "f32", phi: "f32", mass: "f32", particleNet_TvsQCD: "f32" },
} as const satisfies Record<string, Record<string, FlatKind>>;

/** A collection name. */
export type Coll = keyof typeof COLLECTIONS;
/** One object's fields of collection `C`. */
export type Fields<C extends Coll> = { [F in keyof (typeof COLLECTIONS)[C]]: number };

/** Flat per-event columns and their kinds. */
export const FLAT = {
  MET_pt: "f32",
  MET_phi: "f32",
  HLT_TkMu50: "u8",
  genWeight: "f32",
  Pileup_nTrueInt: "f32",
  run: "f64",
  luminosityBlock: "f64",
  event: "f64",
} as const satisfies Record<string, FlatKind>;

/** A per-event column name. */
export type FlatName = keyof typeof FLAT;

/**
 * Accumulates reconstructed events into columns.
 *
 * @example
 * ```ts
 * import { EventWriter } from "./detector.ts";
 * const w = new EventWriter();
 * w.finish().nEvents; // 0
 * ```
 */
export class EventWriter {
  private readonly counts = new Map<Coll, FlatBuilder>();
  private readonly fields = new Map<string, FlatBuilder>();
  private readonly flat = new Map<FlatName, FlatBuilder>();
  private n = 0;

  constructor() {
    for (const [c, fs] of Object.entries(COLLECTIONS)) {
      this.counts.set(c as Coll, new FlatBuilder("i32"));
      for (const [f, k] of Object.entries(fs)) this.fields.set(`${c}_${f}`, new FlatBuilder(k));
    }
    for (const [f, k] of Object.entries(FLAT)) this.flat.set(f as FlatName, new FlatBuilder(k));
  }

  /** Appends one event. */
  /** Appends one event: its objects per collection and its flat values. */
  push(
    objects: { [C in Coll]: Fields<C>[] },
    flat: Record<FlatName, number>,
  ): void {
    for (const c of Object.keys(COLLECTIONS) as Coll[]) {
      const list = objects[c] as Record<string, number>[];
      this.counts.get(c)!.push(list.length);
      for (const f of Object.keys(COLLECTIONS[c])) {
        const b = this.fields.get(`${c}_${f}`)!;
        for (const o of list) b.push(o[f]);
      }
    }
    for (const f of Object.keys(FLAT) as FlatName[]) this.flat.get(f)!.push(flat[f]);
    this.n++;
  }

  /** The events as a table (jagged columns of a collection share offsets). */
  finish(): EventTable {
    const columns: EventTable["columns"] = {};
    for (const [c, fs] of Object.entries(COLLECTIONS)) {
      const counts = this.counts.get(c as Coll)!.finish();
      const offsets = new Int32Array(counts.length + 1);
      for (let i = 0; i < counts.length; i++) offsets[i + 1] = offsets[i] + counts[i];
      for (const f of Object.keys(fs)) {
        columns[`${c}_${f}`] = { offsets, values: this.fields.get(`${c}_${f}`)!.finish() };
      }
    }
    for (const f of Object.keys(FLAT) as FlatName[]) columns[f] = this.flat.get(f)!.finish();
    return shareOffsets({ nEvents: this.n, columns });
  }
}

interface Cluster {
  p: P4;
  members: Parton[];
}

/** Greedy cone clustering: partons by decreasing pT join the first cluster within `r`. */
function cluster(partons: readonly Parton[], r: number): Cluster[] {
  const sorted = [...partons].sort((a, b) => pt(b.p) - pt(a.p));
  const out: Cluster[] = [];
  for (const q of sorted) {
    const c = out.find((c) => deltaR(c.p, q.p) < r);
    if (c) {
      c.p = add(c.p, q.p);
      c.members.push(q);
    } else out.push({ p: q.p, members: [q] });
  }
  return out;
}

function flavourOf(c: Cluster): Flavour {
  if (c.members.some((m) => m.flavour === "b")) return "b";
  return c.members.some((m) => m.flavour === "c") ? "c" : "l";
}

/** DeepCSV-like discriminant: b-jets mostly high, c-jets in between, light jets near 0. */
function btag(f: Flavour, rng: Rng): number {
  if (f === "b") return rng.beta(2.5, 1.2);
  if (f === "c") return rng.beta(1.3, 3.5);
  return rng.beta(0.5, 5);
}

/** ParticleNet-like top-vs-QCD score from how much of a hadronic top the fat jet holds. */
function topScore(c: Cluster, rng: Rng): number {
  const byTop = new Map<number, Parton[]>();
  for (const m of c.members) if (m.top >= 0) byTop.set(m.top, [...(byTop.get(m.top) ?? []), m]);
  let best = 0;
  for (const ms of byTop.values()) best = Math.max(best, ms.length);
  if (best >= 3) return rng.beta(3, 1.3);
  if (best === 2) return rng.beta(1.8, 2.5);
  return rng.beta(0.9, 4);
}

function miniIso(isolated: boolean, rng: Rng): number {
  // miniIsoId: 1 loose, 2 medium, 3 tight, 4 very tight (0: fails loose).
  return isolated
    ? 1 + rng.choice([0.04, 0.06, 0.15, 0.75])
    : rng.choice([0.55, 0.35, 0.06, 0.03, 0.01]);
}

/** Flat columns of one event that the detector does not decide. */
export interface EventIds {
  /** Generator weight (its sign enters event weights). */
  genWeight: number;
  /** Run number. */
  run: number;
  /** Luminosity section. */
  luminosityBlock: number;
  /** Event number. */
  event: number;
}

/**
 * Reconstructs one truth event and appends it to `w`.
 *
 * @example
 * ```ts
 * import { EventWriter, reconstruct } from "./detector.ts";
 * import { ttbarEvent } from "./truth.ts";
 * import { Rng } from "./prng.ts";
 * const rng = new Rng(1), w = new EventWriter();
 * reconstruct(ttbarEvent({ mode: "semilep" }, rng), rng, w, { genWeight: 1, run: 1, luminosityBlock: 1, event: 1 });
 * ```
 */
export function reconstruct(ev: TruthEvent, rng: Rng, w: EventWriter, ids: EventIds): void {
  // Unclustered MET resolution grows with activity (pileup and HT).
  const pileup = Math.min(75, Math.max(1, 27 + 9 * rng.normal()));
  const met = { px: ev.invisible.px, py: ev.invisible.py };
  const jets: Fields<"Jet">[] = [];
  const jetP4: P4[] = [];
  const muons: Fields<"Muon">[] = [];
  let ht = 0;
  for (const c of cluster(ev.partons, 0.4)) {
    const t = pt(c.p);
    if (t < 10) continue;
    const f = flavourOf(c);
    const scale = Math.max(0.3, 0.98 + 0.1 * rng.normal());
    const recoPt = t * scale;
    met.px -= (scale - 1) * c.p.px;
    met.py -= (scale - 1) * c.p.py;
    const e = eta(c.p);
    if (recoPt < 20 || Math.abs(e) > 2.5) continue;
    ht += recoPt;
    const m = Math.max(0.5, mass(c.p) * scale + 0.05 * recoPt * rng.uniform());
    jets.push({
      pt: recoPt,
      eta: e,
      phi: phi(c.p),
      mass: m,
      btagDeepB: btag(f, rng),
      jetId: rng.choice([0.01, 0, 0.02, 0, 0, 0, 0.97]),
    });
    jetP4.push(fromPtEtaPhiM(recoPt, e, phi(c.p), m));
  }
  const fatJets: Fields<"FatJet">[] = [];
  for (const c of cluster(ev.partons, 0.8)) {
    const t = pt(c.p) * Math.max(0.3, 0.98 + 0.08 * rng.normal());
    const e = eta(c.p);
    if (t < 200 || Math.abs(e) > 2.4) continue;
    const qcdMass = 0.08 * t * rng.gamma(2) / 2;
    const m = c.members.length > 1 ? mass(c.p) * (1 + 0.08 * rng.normal()) : qcdMass;
    fatJets.push({
      pt: t,
      eta: e,
      phi: phi(c.p),
      mass: Math.max(1, m),
      particleNet_TvsQCD: topScore(c, rng),
    });
  }
  let maxMuPt = 0;
  for (const { p, prompt } of ev.muons) {
    const t = pt(p) * (1 + 0.02 * rng.normal());
    const e = eta(p);
    if (t < 3 || Math.abs(e) > 2.4) continue;
    const nearJet = jetP4.some((j) => pt(j) > 30 && deltaR(j, p) < 0.4);
    muons.push({
      pt: t,
      eta: e,
      phi: phi(p),
      mass: 0.1057,
      miniIsoId: miniIso(prompt && (!nearJet || rng.bernoulli(0.5)), rng),
      tightId: rng.bernoulli(prompt ? 0.98 : 0.85) ? 1 : 0,
      charge: rng.bernoulli(0.5) ? 1 : -1,
    });
    maxMuPt = Math.max(maxMuPt, t);
  }
  const sigma = 12 + 0.3 * pileup + 0.02 * ht;
  met.px += sigma * rng.normal();
  met.py += sigma * rng.normal();
  const byPt = <T extends { pt: number }>(a: T, b: T) => b.pt - a.pt;
  w.push({ Muon: muons.sort(byPt), Jet: jets.sort(byPt), FatJet: fatJets.sort(byPt) }, {
    MET_pt: Math.hypot(met.px, met.py),
    MET_phi: Math.atan2(met.py, met.px),
    HLT_TkMu50: rng.uniform() < 0.95 / (1 + Math.exp(-(maxMuPt - 52) / 1.5)) ? 1 : 0,
    Pileup_nTrueInt: pileup,
    ...ids,
  });
}
