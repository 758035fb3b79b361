/**
 * Four-vectors for the bundled event generator: construction from (pT, η, φ, m), boosts, isotropic
 * two-body decays, and the collider coordinates NanoAOD stores.
 *
 * @module
 */
import type { Rng } from "./prng.ts";

/** A four-momentum (GeV). */
export interface P4 {
  /** x momentum. */
  px: number;
  /** y momentum. */
  py: number;
  /** z momentum (along the beam). */
  pz: number;
  /** Energy. */
  e: number;
}

/**
 * A four-vector from collider coordinates.
 *
 * @example
 * ```ts
 * import { fromPtEtaPhiM, mass } from "./kinematics.ts";
 * mass(fromPtEtaPhiM(100, 0.5, 1, 172.5)); // ≈ 172.5
 * ```
 */
export function fromPtEtaPhiM(pt: number, eta: number, phi: number, m: number): P4 {
  const px = pt * Math.cos(phi);
  const py = pt * Math.sin(phi);
  const pz = pt * Math.sinh(eta);
  return { px, py, pz, e: Math.sqrt(px * px + py * py + pz * pz + m * m) };
}

/** Sum of four-vectors. */
export function add(...ps: P4[]): P4 {
  const s = { px: 0, py: 0, pz: 0, e: 0 };
  for (const p of ps) {
    s.px += p.px;
    s.py += p.py;
    s.pz += p.pz;
    s.e += p.e;
  }
  return s;
}

/** Transverse momentum. */
export function pt(p: P4): number {
  return Math.sqrt(p.px * p.px + p.py * p.py);
}

/** Pseudorapidity (±20 along the beam). */
export function eta(p: P4): number {
  const t = pt(p);
  if (t === 0) return p.pz >= 0 ? 20 : -20;
  return Math.asinh(p.pz / t);
}

/** Azimuth in (−π, π]. */
export function phi(p: P4): number {
  return Math.atan2(p.py, p.px);
}

/** Invariant mass (0 for slightly space-like vectors from rounding). */
export function mass(p: P4): number {
  const m2 = p.e * p.e - p.px * p.px - p.py * p.py - p.pz * p.pz;
  return m2 > 0 ? Math.sqrt(m2) : 0;
}

/** ΔR = √(Δη² + Δφ²). */
export function deltaR(a: P4, b: P4): number {
  let dphi = Math.abs(phi(a) - phi(b));
  if (dphi > Math.PI) dphi = 2 * Math.PI - dphi;
  const deta = eta(a) - eta(b);
  return Math.sqrt(deta * deta + dphi * dphi);
}

/** `p` (given in the rest frame of `frame`) boosted into the frame where `frame` moves. */
export function boost(p: P4, frame: P4): P4 {
  const bx = frame.px / frame.e, by = frame.py / frame.e, bz = frame.pz / frame.e;
  const b2 = bx * bx + by * by + bz * bz;
  if (b2 <= 0) return { ...p };
  const g = 1 / Math.sqrt(1 - b2);
  const bp = bx * p.px + by * p.py + bz * p.pz;
  const g2 = (g - 1) / b2;
  return {
    px: p.px + g2 * bp * bx + g * bx * p.e,
    py: p.py + g2 * bp * by + g * by * p.e,
    pz: p.pz + g2 * bp * bz + g * bz * p.e,
    e: g * (p.e + bp),
  };
}

/**
 * An isotropic two-body decay of `parent` into masses `m1`, `m2` (lab-frame daughters).
 *
 * @example
 * ```ts
 * import { decay2, fromPtEtaPhiM } from "./kinematics.ts";
 * import { Rng } from "./prng.ts";
 * const [w, b] = decay2(fromPtEtaPhiM(500, 0, 0, 172.5), 80.4, 4.8, new Rng(1));
 * ```
 */
export function decay2(parent: P4, m1: number, m2: number, rng: Rng): [P4, P4] {
  const M = mass(parent);
  const s = (M * M - (m1 + m2) ** 2) * (M * M - (m1 - m2) ** 2);
  const p = s > 0 ? Math.sqrt(s) / (2 * M) : 0;
  const cos = 2 * rng.uniform() - 1;
  const sin = Math.sqrt(1 - cos * cos);
  const ph = 2 * Math.PI * rng.uniform();
  const dx = p * sin * Math.cos(ph), dy = p * sin * Math.sin(ph), dz = p * cos;
  const d1 = { px: dx, py: dy, pz: dz, e: Math.sqrt(p * p + m1 * m1) };
  const d2 = { px: -dx, py: -dy, pz: -dz, e: Math.sqrt(p * p + m2 * m2) };
  return [boost(d1, parent), boost(d2, parent)];
}

/** A particle of mass `m` with transverse momentum `ptv`, rapidity `y` and azimuth `ph`. */
export function fromPtYPhiM(ptv: number, y: number, ph: number, m: number): P4 {
  const mt = Math.sqrt(ptv * ptv + m * m);
  return {
    px: ptv * Math.cos(ph),
    py: ptv * Math.sin(ph),
    pz: mt * Math.sinh(y),
    e: mt * Math.cosh(y),
  };
}

/** `p` with its momentum scaled by `f` at fixed mass. */
export function scaleMomentum(p: P4, f: number): P4 {
  const m = mass(p);
  const px = p.px * f, py = p.py * f, pz = p.pz * f;
  return { px, py, pz, e: Math.sqrt(px * px + py * py + pz * pz + m * m) };
}
