/**
 * The Z′→tt̄ physics of the reference framework, as functions over {@link Events}: good-object
 * masks, the baseline and channel selections, the fit observable `mtt` and the ghost observables
 * (the MLP's inputs). The default configuration references these; user configs may reference
 * their own functions of the same shape. Everything is built from zgrad ops and the jagged helpers
 * (segment sums, gathers), so the differentiable path evaluates the same code under `grad`/`jit`.
 *
 * @module
 */
import { abs, type Array, logicalAnd } from "../core/mod.ts";
import type { Events } from "./events.ts";
import { addP4, fromMet, fromPtEtaPhiM, mass, type P4 } from "./fourvec.ts";
import { type Collection, counts, nth, perEventSum } from "./jagged.ts";

type Fields = Readonly<Record<string, Array>>;

/**
 * AND of several bool arrays.
 *
 * @example
 * ```ts
 * import { all } from "./physics.ts";
 * const ok = all(mu.pt.gt(55), mu.tightId.gt(0));
 * ```
 */
export function all(...masks: Array[]): Array {
  if (masks.length === 0) throw new Error("all: needs at least one mask");
  return masks.slice(1).reduce((a, b) => logicalAnd(a, b), masks[0]);
}

/**
 * Good muons: pT > 55 GeV, |η| < 2.4, tight ID, mini-isolation ID > 1 (loose or better).
 *
 * @example
 * ```ts
 * import { goodMuon } from "./physics.ts";
 * const mask = goodMuon(ev.objects.Muon.fields);
 * ```
 */
export function goodMuon(mu: Fields): Array {
  return all(mu.pt.gt(55), abs(mu.eta).lt(2.4), mu.tightId.gt(0), mu.miniIsoId.gt(1));
}

/**
 * Good (b-tagged) jets: jet ID ≥ 4 (tight lepton veto) and DeepCSV b-tag > 0.5.
 *
 * @example
 * ```ts
 * import { goodJet } from "./physics.ts";
 * const mask = goodJet(ev.objects.Jet.fields);
 * ```
 */
export function goodJet(j: Fields): Array {
  return all(j.jetId.ge(4), j.btagDeepB.gt(0.5));
}

/**
 * Good fat jets (top candidates): pT > 500 GeV and ParticleNet top-vs-QCD > 0.5.
 *
 * @example
 * ```ts
 * import { goodFatJet } from "./physics.ts";
 * const mask = goodFatJet(ev.objects.FatJet.fields);
 * ```
 */
export function goodFatJet(fj: Fields): Array {
  return all(fj.pt.gt(500), fj.particleNet_TvsQCD.gt(0.5));
}

/**
 * Baseline selection (on good objects): exactly one muon and at least two jets
 * (the reference's `Zprime_hardcuts_no_fj`).
 *
 * @example
 * ```ts
 * import { baselineSelection } from "./physics.ts";
 * const pass = baselineSelection(goodEvents); // bool [nEvents]
 * ```
 */
export function baselineSelection(ev: Events): Array {
  return all(counts(ev.objects.Muon).eq(1), counts(ev.objects.Jet).ge(2));
}

/**
 * The Z′ channel (on good objects): exactly one muon, at least two jets, at least one fat jet
 * (the reference's `Zprime_hardcuts`).
 *
 * @example
 * ```ts
 * import { zprimeChannel } from "./physics.ts";
 * const pass = zprimeChannel(goodEvents);
 * ```
 */
export function zprimeChannel(ev: Events): Array {
  return all(
    counts(ev.objects.Muon).eq(1),
    counts(ev.objects.Jet).ge(2),
    counts(ev.objects.FatJet).ge(1),
  );
}

/**
 * The k-th object of a collection as a four-vector per event (zeros where absent).
 *
 * @example
 * ```ts
 * import { objectP4 } from "./physics.ts";
 * const leadingJet = objectP4(ev.objects.Jet, 0);
 * ```
 */
export function objectP4(c: Collection, k = 0): P4 {
  const f = c.fields;
  return fromPtEtaPhiM(nth(c, f.pt, k), nth(c, f.eta, k), nth(c, f.phi, k), nth(c, f.mass, k));
}

/**
 * The fit observable: invariant mass of the muon, the leading fat jet, the leading jet and the
 * MET (η = 0, massless), in GeV. Meaningful on events with one of each (the channel selection).
 *
 * @example
 * ```ts
 * import { mtt } from "./physics.ts";
 * const m = mtt(selectedEvents); // [nEvents]
 * ```
 */
export function mtt(ev: Events): Array {
  const o = ev.objects;
  const met = fromMet(ev.event.MET_pt, ev.event.MET_phi);
  return mass(addP4(objectP4(o.Muon, 0), objectP4(o.FatJet, 0), objectP4(o.Jet, 0), met));
}

/**
 * The ghost observables of the reference framework's MVA, per event: number of jets, leading and
 * subleading jet mass and b-tag score (0 when absent), S_T (Σ jet pT + muon pT + MET) and the
 * leptonic H_T (leading muon pT + MET). Computed once per event on the MVA object collections.
 *
 * @example
 * ```ts
 * import { mvaGhostObservables } from "./physics.ts";
 * const g = mvaGhostObservables(mvaEvents); // { n_jet, leading_jet_mass, ... }
 * ```
 */
export function mvaGhostObservables(ev: Events): Record<string, Array> {
  const jets = ev.objects.Jet, mu = ev.objects.Muon;
  const met = ev.event.MET_pt;
  const muPt = nth(mu, mu.fields.pt, 0);
  return {
    n_jet: counts(jets).astype(met.dtype),
    leading_jet_mass: nth(jets, jets.fields.mass, 0),
    subleading_jet_mass: nth(jets, jets.fields.mass, 1),
    leading_jet_btag_score: nth(jets, jets.fields.btagDeepB, 0),
    subleading_jet_btag_score: nth(jets, jets.fields.btagDeepB, 1),
    st: perEventSum(jets, jets.fields.pt).add(muPt).add(met),
    lep_ht: muPt.add(met),
  };
}
