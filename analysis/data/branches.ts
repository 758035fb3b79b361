/**
 * Branch-name fallbacks across NanoAOD versions. Every column the analysis sees has a canonical
 * name (the NanoAODv9 name the reference Z′→tt̄ analysis uses); a file may store it under an older
 * or newer name, and {@link resolveBranches} picks, per file, which stored branch supplies it.
 *
 * MET is a family rule: a canonical `MET_x` is read from the first of `PuppiMET_`, `MET_`, `PFMET_`
 * that has *every* requested `MET_*` member, so `MET_pt` and `MET_phi` always come from the same
 * MET flavour. PuppiMET is preferred because the reference analysis uses it (its default skim is
 * `PuppiMET_pt > 50`); `MET_` (PF MET before v15) and `PFMET_` (its v15 name) follow. To read a
 * specific flavour, request it by its own name (`PuppiMET_pt`, `PFMET_pt`): names without a rule
 * are read as they are.
 *
 * @module
 */

/** One canonical name and the stored names that may supply it, in order of preference. */
export interface NameRule {
  /** The name the analysis uses. */
  canonical: string;
  /** Stored names that may supply it, best first. */
  candidates: readonly string[];
}

/** A family of branches sharing a prefix: `canonicalPrefix + x` ← `prefix + x` for one prefix. */
export interface PrefixRule {
  /** Canonical prefix, e.g. `MET_`. */
  canonicalPrefix: string;
  /** Stored prefixes, best first; one is chosen for all members. */
  prefixes: readonly string[];
}

/** The fallback rules a reader applies. */
export interface Fallbacks {
  /** Single-name rules. */
  names: readonly NameRule[];
  /** Family rules. */
  prefixes: readonly PrefixRule[];
}

/**
 * The default NanoAOD fallbacks (v5 … v15): b-tagging DeepCSV ← DeepJet, particleNet top tagging ←
 * its mass-decorrelated successor or DeepAK8, the muon trigger, and the MET family.
 *
 * @example
 * ```ts
 * import { NANOAOD_FALLBACKS } from "./branches.ts";
 * NANOAOD_FALLBACKS.names.map((r) => r.canonical);
 * ```
 */
export const NANOAOD_FALLBACKS: Fallbacks = {
  names: [
    { canonical: "Jet_btagDeepB", candidates: ["Jet_btagDeepB", "Jet_btagDeepFlavB"] },
    {
      canonical: "FatJet_particleNet_TvsQCD",
      candidates: [
        "FatJet_particleNet_TvsQCD",
        "FatJet_particleNetWithMass_TvsQCD",
        "FatJet_deepTag_TvsQCD",
      ],
    },
    { canonical: "HLT_TkMu50", candidates: ["HLT_TkMu50", "HLT_Mu50"] },
  ],
  prefixes: [{ canonicalPrefix: "MET_", prefixes: ["PuppiMET_", "MET_", "PFMET_"] }],
};

/** A requested name no stored branch could supply. */
export interface MissingBranch {
  /** The canonical name asked for. */
  branch: string;
  /** The stored names looked for. */
  tried: string[];
}

/** Which stored branch supplies each requested canonical name. */
export interface Resolution {
  /** canonical → stored name, for every name that resolved. */
  resolved: Map<string, string>;
  /** Names no stored branch supplies. */
  missing: MissingBranch[];
}

/**
 * Resolves canonical branch names against the branches a file has.
 *
 * @example
 * ```ts
 * import { resolveBranches } from "./branches.ts";
 * const r = resolveBranches(["Jet_btagDeepB", "MET_pt"], new Set(["Jet_btagDeepFlavB", "PuppiMET_pt"]));
 * r.resolved.get("Jet_btagDeepB"); // "Jet_btagDeepFlavB"
 * r.resolved.get("MET_pt"); // "PuppiMET_pt"
 * ```
 */
export function resolveBranches(
  requested: readonly string[],
  available: ReadonlySet<string>,
  fallbacks: Fallbacks = NANOAOD_FALLBACKS,
): Resolution {
  const resolved = new Map<string, string>();
  const missing: MissingBranch[] = [];
  const byPrefix = new Map<PrefixRule, string[]>();
  for (const name of requested) {
    const rule = fallbacks.names.find((r) => r.canonical === name);
    const family = rule
      ? undefined
      : fallbacks.prefixes.find((p) => name.startsWith(p.canonicalPrefix));
    if (family) {
      byPrefix.set(family, [...(byPrefix.get(family) ?? []), name]);
      continue;
    }
    const tried = rule ? [...rule.candidates] : [name];
    const hit = tried.find((c) => available.has(c));
    if (hit) resolved.set(name, hit);
    else missing.push({ branch: name, tried });
  }
  for (const [family, names] of byPrefix) {
    const prefix = family.prefixes.find((p) =>
      names.every((n) => available.has(p + n.slice(family.canonicalPrefix.length)))
    );
    for (const n of names) {
      const member = n.slice(family.canonicalPrefix.length);
      if (prefix) resolved.set(n, prefix + member);
      else missing.push({ branch: n, tried: family.prefixes.map((p) => p + member) });
    }
  }
  return { resolved, missing };
}

/**
 * The branches only simulation has (the reader drops them when reading collision data).
 *
 * @example
 * ```ts
 * import { isMcOnlyBranch } from "./branches.ts";
 * isMcOnlyBranch("genWeight"); // true
 * ```
 */
export function isMcOnlyBranch(name: string): boolean {
  return /^(genWeight|Pileup_|Gen|LHE|PSWeight|psWeight|Generator_|HTXS_|btagWeight_)/.test(name) ||
    /_(genPartIdx|genPartFlav|hadronFlavour|partonFlavour|genJetIdx|genJetAK8Idx)$/.test(name);
}
