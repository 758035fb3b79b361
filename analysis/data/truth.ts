/**
 * Parton-level toy physics for the bundled samples: Z′→tt̄ and SM tt̄ in the boosted regime
 * (m_tt above a threshold) with top → Wb and W → ℓν / qq̄′ (τ decays included), and W(→ℓν)+jets at
 * high W pT with a recoiling parton. `detector.ts` turns these partons into NanoAOD-like objects.
 *
 * The spectra are simple closed forms so the fraction of the full cross-section they cover (the
 * "filter efficiency" that sets N_gen) is known exactly: tt̄ m_tt follows a power law above
 * `M_TT_MIN`, W pT a power law above `W_PT_MIN`, the Z′ a Breit–Wigner.
 *
 * @module
 */
import {
  decay2,
  eta,
  fromPtEtaPhiM,
  fromPtYPhiM,
  type P4,
  phi,
  pt,
  scaleMomentum,
} from "./kinematics.ts";
import type { Rng } from "./prng.ts";

/** Parton flavours as far as b-tagging cares. */
export type Flavour = "b" | "c" | "l";

/** A coloured parton that becomes (part of) a jet. */
export interface Parton {
  /** Four-momentum. */
  p: P4;
  /** Quark flavour. */
  flavour: Flavour;
  /** Index of the hadronically decaying top it comes from, or -1. */
  top: number;
  /** True for the two quarks of that top's W. */
  fromW: boolean;
}

/** A muon: prompt (from W or τ) or from a semileptonic b decay inside a jet. */
export interface TruthMuon {
  /** Four-momentum. */
  p: P4;
  /** From a W or τ (true) or a b decay (false). */
  prompt: boolean;
}

/** A truth event: partons, muons, the invisible sum. */
export interface TruthEvent {
  /** Quarks and gluons. */
  partons: Parton[];
  /** Muons at generator level. */
  muons: TruthMuon[];
  /** Sum of neutrino momenta. */
  invisible: P4;
}

/** How each W of a tt̄ pair decays. */
export type TtbarMode = "semilep" | "had" | "dilep" | "inclusive";

/** Masses (GeV). */
export const M_TOP = 172.5, M_W = 80.4, M_B = 4.8;
/** Lower edge of the generated SM tt̄ m_tt spectrum (GeV). */
export const M_TT_MIN = 1000;
/** Power of the tt̄ m_tt tail: dσ/dm ∝ m^-(k+1). */
export const M_TT_POWER = 4.2;
/** Lower edge of the generated W pT spectrum (GeV). */
export const W_PT_MIN = 400;
/** Power of the W pT tail. */
export const W_PT_POWER = 4.0;

/**
 * Fraction of the inclusive tt̄ cross-section with m_tt above `mMin` in this toy spectrum
 * (45% above 500 GeV, falling as m^-4.2).
 *
 * @example
 * ```ts
 * import { ttbarTailFraction } from "./truth.ts";
 * ttbarTailFraction(1000); // ≈ 0.0245
 * ```
 */
export function ttbarTailFraction(mMin = M_TT_MIN): number {
  return 0.45 * Math.pow(mMin / 500, -M_TT_POWER);
}

/** Fraction of the inclusive W(→ℓν)+jets cross-section with W pT above `ptMin` in this toy. */
export function wTailFraction(ptMin = W_PT_MIN): number {
  return 2.4e-3 * Math.pow(ptMin / 200, -W_PT_POWER);
}

const zero = (): P4 => ({ px: 0, py: 0, pz: 0, e: 0 });

function addTo(acc: P4, p: P4): void {
  acc.px += p.px;
  acc.py += p.py;
  acc.pz += p.pz;
  acc.e += p.e;
}

/** A leptonic W decay: ℓ = e, μ, τ equally; τ → μνν (17.4%), eνν (17.8%), hadrons (rest). */
function leptonicW(w: P4, ev: TruthEvent, rng: Rng): void {
  const [lep, nu] = decay2(w, 0, 0, rng);
  addTo(ev.invisible, nu);
  const flavour = rng.choice([1, 1, 1]);
  if (flavour === 0) return; // electron: not stored, not invisible
  if (flavour === 1) {
    ev.muons.push({ p: lep, prompt: true });
    return;
  }
  const mode = rng.choice([0.174, 0.178, 0.648]);
  const z = mode === 2 ? 0.3 + 0.7 * rng.uniform() : rng.beta(2, 1.3);
  const vis = scaleMomentum(lep, z);
  const inv = scaleMomentum(lep, 1 - z);
  addTo(ev.invisible, inv);
  if (mode === 0) ev.muons.push({ p: vis, prompt: true });
  else if (mode === 2) ev.partons.push({ p: vis, flavour: "l", top: -1, fromW: false });
}

function hadronicW(w: P4, top: number, ev: TruthEvent, rng: Rng): void {
  const [q1, q2] = decay2(w, 0, 0, rng);
  const charm = rng.bernoulli(0.5); // W → cs half of the time
  ev.partons.push({ p: q1, flavour: charm ? "c" : "l", top, fromW: true });
  ev.partons.push({ p: q2, flavour: "l", top, fromW: true });
}

function isr(ev: TruthEvent, rng: Rng, mean: number): void {
  const n = rng.poisson(mean);
  for (let i = 0; i < n; i++) {
    const p = fromPtEtaPhiM(
      20 + rng.exponential(45),
      1.8 * rng.normal(),
      2 * Math.PI * rng.uniform(),
      0,
    );
    const flavour: Flavour = rng.bernoulli(0.02) ? "b" : rng.bernoulli(0.05) ? "c" : "l";
    ev.partons.push({ p, flavour, top: -1, fromW: false });
  }
}

/** Semileptonic b decays: 12% of b quarks give a muon carrying 5–35% of their momentum. */
function bMuons(ev: TruthEvent, rng: Rng): void {
  for (const q of ev.partons) {
    if (q.flavour !== "b" || !rng.bernoulli(0.12)) continue;
    const z = 0.05 + 0.3 * rng.uniform();
    const p = fromPtEtaPhiM(
      z * pt(q.p),
      eta(q.p) + 0.05 * rng.normal(),
      phi(q.p) + 0.05 * rng.normal(),
      0.106,
    );
    ev.muons.push({ p, prompt: false });
  }
}

/** Relativistic Breit–Wigner mass in [lo, hi] (by inversion of the Cauchy CDF in m²). */
function breitWigner(m0: number, width: number, lo: number, hi: number, rng: Rng): number {
  const g = m0 * width;
  const a = Math.atan((lo * lo - m0 * m0) / g), b = Math.atan((hi * hi - m0 * m0) / g);
  const t = a + (b - a) * rng.uniform();
  return Math.sqrt(m0 * m0 + g * Math.tan(t));
}

/** Options of a tt̄ event. */
export interface TtbarOptions {
  /** How the two W bosons decay. */
  mode: TtbarMode;
  /** Z′ mass and relative width; absent for SM tt̄ (power-law m_tt above M_TT_MIN). */
  resonance?: { mass: number; width: number };
}

/**
 * One tt̄ event (SM or from a Z′).
 *
 * @example
 * ```ts
 * import { ttbarEvent } from "./truth.ts";
 * import { Rng } from "./prng.ts";
 * const ev = ttbarEvent({ mode: "semilep" }, new Rng(1));
 * ```
 */
export function ttbarEvent(opts: TtbarOptions, rng: Rng): TruthEvent {
  const mtt = opts.resonance
    ? breitWigner(opts.resonance.mass, opts.resonance.width, 700, 3500, rng)
    : M_TT_MIN * Math.pow(1 - rng.uniform(), -1 / M_TT_POWER);
  const sys = fromPtYPhiM(
    rng.exponential(40),
    0.6 * rng.normal(),
    2 * Math.PI * rng.uniform(),
    mtt,
  );
  const [t1, t2] = decay2(sys, M_TOP, M_TOP, rng);
  const ev: TruthEvent = { partons: [], muons: [], invisible: zero() };
  const leptonic = opts.mode === "semilep"
    ? (rng.bernoulli(0.5) ? [true, false] : [false, true])
    : opts.mode === "dilep"
    ? [true, true]
    : opts.mode === "had"
    ? [false, false]
    : [rng.bernoulli(0.324), rng.bernoulli(0.324)];
  [t1, t2].forEach((t, k) => {
    const [w, b] = decay2(t, M_W, M_B, rng);
    ev.partons.push({ p: b, flavour: "b", top: leptonic[k] ? -1 : k, fromW: false });
    if (leptonic[k]) leptonicW(w, ev, rng);
    else hadronicW(w, k, ev, rng);
  });
  isr(ev, rng, 1.2);
  bMuons(ev, rng);
  return ev;
}

/**
 * One W(→ℓν)+jets event with W pT above `W_PT_MIN` and a recoiling parton.
 *
 * @example
 * ```ts
 * import { wjetsEvent } from "./truth.ts";
 * import { Rng } from "./prng.ts";
 * const ev = wjetsEvent(new Rng(1));
 * ```
 */
export function wjetsEvent(rng: Rng): TruthEvent {
  const ptW = W_PT_MIN * Math.pow(1 - rng.uniform(), -1 / W_PT_POWER);
  const phiW = 2 * Math.PI * rng.uniform() - Math.PI;
  const w = fromPtYPhiM(ptW, 1.0 * rng.normal(), phiW, M_W);
  const ev: TruthEvent = { partons: [], muons: [], invisible: zero() };
  leptonicW(w, ev, rng);
  const recoil = fromPtEtaPhiM(
    ptW * Math.abs(1 + 0.12 * rng.normal()),
    1.3 * rng.normal(),
    phiW + Math.PI + 0.25 * rng.normal(),
    0,
  );
  const f = rng.uniform();
  const flavour: Flavour = f < 0.05 ? "b" : f < 0.15 ? "c" : "l";
  ev.partons.push({ p: recoil, flavour, top: -1, fromW: false });
  if (flavour === "b") {
    // W+bb̄: the second b close by (gluon splitting).
    const p2 = fromPtEtaPhiM(
      0.4 * ptW * rng.uniform(),
      1.3 * rng.normal(),
      phiW + Math.PI + 0.6 * rng.normal(),
      0,
    );
    ev.partons.push({ p: p2, flavour: "b", top: -1, fromW: false });
  }
  isr(ev, rng, 1.4);
  bMuons(ev, rng);
  return ev;
}
