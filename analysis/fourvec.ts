/**
 * Four-vectors as zgrad arrays (Cartesian px, py, pz, E), built from the (pT, η, φ, m) of NanoAOD,
 * summed and reduced to invariant mass and pT. Elementwise zgrad ops only, so the same code runs
 * eagerly, under `grad`/`vmap` and inside `jit`.
 *
 * @module
 */
import { type Array, type ArrayLike, asArray, cos, exp, maximum, sin, sqrt } from "../core/mod.ts";

/**
 * A four-momentum per event (or per object): each component is an array of the same shape.
 *
 * @example
 * ```ts
 * import { array } from "../core/mod.ts";
 * import { fromPtEtaPhiM, mass } from "./fourvec.ts";
 * const p: import("./fourvec.ts").P4 = fromPtEtaPhiM(array([50]), 0, 0, 0);
 * ```
 */
export interface P4 {
  /** x momentum. */
  px: Array;
  /** y momentum. */
  py: Array;
  /** z momentum. */
  pz: Array;
  /** Energy. */
  e: Array;
}

/**
 * (pT, η, φ, m) → (px, py, pz, E): px = pT cos φ, py = pT sin φ, pz = pT sinh η,
 * E = √(pT² cosh² η + m²).
 *
 * @example
 * ```ts
 * import { array } from "../core/mod.ts";
 * import { fromPtEtaPhiM } from "./fourvec.ts";
 * const mu = fromPtEtaPhiM(array([60], "float64"), array([0.5], "float64"), 0, 0.105);
 * ```
 */
export function fromPtEtaPhiM(pt: ArrayLike, eta: ArrayLike, phi: ArrayLike, m: ArrayLike): P4 {
  const ptA = asArray(pt), etaA = asArray(eta), phiA = asArray(phi), mA = asArray(m);
  const ep = exp(etaA), em = exp(etaA.neg());
  const pz = ptA.mul(ep.sub(em).mul(0.5)); // pT sinh η
  const pAbs = ptA.mul(ep.add(em).mul(0.5)); // |p| = pT cosh η
  return {
    px: ptA.mul(cos(phiA)),
    py: ptA.mul(sin(phiA)),
    pz,
    e: sqrt(pAbs.square().add(mA.square())),
  };
}

/**
 * A transverse vector (e.g. MET) as a massless four-vector with η = 0: (pT cos φ, pT sin φ, 0, pT).
 *
 * @example
 * ```ts
 * import { array } from "../core/mod.ts";
 * import { fromMet } from "./fourvec.ts";
 * const met = fromMet(array([80], "float64"), array([1.2], "float64"));
 * ```
 */
export function fromMet(pt: ArrayLike, phi: ArrayLike): P4 {
  const ptA = asArray(pt), phiA = asArray(phi);
  return { px: ptA.mul(cos(phiA)), py: ptA.mul(sin(phiA)), pz: ptA.mul(0), e: ptA };
}

/**
 * Sum of four-vectors.
 *
 * @example
 * ```ts
 * import { addP4 } from "./fourvec.ts";
 * const total = addP4(muon, fatJet, jet, met);
 * ```
 */
export function addP4(...ps: P4[]): P4 {
  if (ps.length === 0) throw new Error("addP4: needs at least one four-vector");
  return ps.slice(1).reduce((a, b) => ({
    px: a.px.add(b.px),
    py: a.py.add(b.py),
    pz: a.pz.add(b.pz),
    e: a.e.add(b.e),
  }), ps[0]);
}

/**
 * Invariant mass √max(E² − |p|², 0) (clamped at 0 against rounding for massless systems).
 *
 * @example
 * ```ts
 * import { mass } from "./fourvec.ts";
 * const mtt = mass(total);
 * ```
 */
export function mass(p: P4): Array {
  const m2 = p.e.square().sub(p.px.square()).sub(p.py.square()).sub(p.pz.square());
  return sqrt(maximum(m2, 0));
}

/**
 * Transverse momentum √(px² + py²).
 *
 * @example
 * ```ts
 * import { pt } from "./fourvec.ts";
 * const ptTT = pt(total);
 * ```
 */
export function pt(p: P4): Array {
  return sqrt(p.px.square().add(p.py.square()));
}
