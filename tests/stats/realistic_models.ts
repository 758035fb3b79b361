/**
 * Deterministic pyhf workspaces shaped like real analyses, for the convergence tests and the
 * benchmark: a falling background with a signal bump, `nNormsys` normsys and `nHistosys` histosys
 * nuisances on the background (and a few on the signal), optional per-bin staterror, and
 * observations drawn near the expectation by a fixed pseudo-random sequence (no PRNG state is
 * shared with anything else, so every run builds the same workspace).
 */

/** Options of {@link realisticWorkspace}. */
export interface RealisticOptions {
  /** Bins (one channel). */
  bins: number;
  /** normsys nuisances. */
  nNormsys?: number;
  /** histosys nuisances. */
  nHistosys?: number;
  /** A per-bin staterror on the background of every bin. */
  staterror?: boolean;
  /** Bins of a second channel `cr` (background only, with per-bin staterror); default 0. */
  crBins?: number;
  /** Seed of the pseudo-random sequence. */
  seed?: number;
  /** Signal strength injected into the observations. */
  muTrue?: number;
}

/** A small linear congruential generator: deterministic numbers in [0, 1). */
function lcg(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/**
 * A one-channel pyhf workspace (see the module doc); parameters: `mu`, then the nuisances.
 *
 * @example
 * ```ts
 * const ws = realisticWorkspace({ bins: 20, nNormsys: 50 });
 * ```
 */
export function realisticWorkspace(o: RealisticOptions): Record<string, unknown> {
  const rnd = lcg(o.seed ?? 1);
  const B = o.bins;
  const bkg = Array.from({ length: B }, (_, b) => 200 * Math.exp(-3 * b / B) + 5);
  const sig = Array.from(
    { length: B },
    (_, b) => 12 * Math.exp(-0.5 * ((b - 0.6 * B) / Math.max(1, 0.08 * B)) ** 2),
  );
  const bkgMods: Record<string, unknown>[] = [];
  const sigMods: Record<string, unknown>[] = [{ name: "mu", type: "normfactor", data: null }];
  for (let k = 0; k < (o.nNormsys ?? 0); k++) {
    const up = 0.01 + 0.08 * rnd(), asym = 0.7 + 0.6 * rnd();
    const m = { name: `norm_${k}`, type: "normsys", data: { hi: 1 + up, lo: 1 - up * asym } };
    (k % 10 === 3 ? sigMods : bkgMods).push(m);
  }
  for (let k = 0; k < (o.nHistosys ?? 0); k++) {
    const amp = 0.01 + 0.05 * rnd(), tilt = 2 * rnd() - 1, asym = 0.6 + 0.8 * rnd();
    const hi = bkg.map((v, b) => v * (1 + amp * (1 + tilt * (2 * b / B - 1))));
    const lo = bkg.map((v, b) => v * (1 - asym * amp * (1 + tilt * (2 * b / B - 1))));
    bkgMods.push({ name: `shape_${k}`, type: "histosys", data: { hi_data: hi, lo_data: lo } });
  }
  if (o.staterror) {
    bkgMods.push({ name: "staterror_sr", type: "staterror", data: bkg.map((v) => 0.05 * v) });
  }
  const crB = o.crBins ?? 0;
  const crBkg = Array.from({ length: crB }, (_, b) => 400 * Math.exp(-2 * b / Math.max(1, crB)));
  const crMods: Record<string, unknown>[] = bkgMods
    .filter((m) => m.type === "normsys")
    .map((m) => ({ ...m }));
  crMods.push({ name: "staterror_cr", type: "staterror", data: crBkg.map((v) => 0.04 * v) });
  const mu = o.muTrue ?? 0.5;
  const obs = bkg.map((v, b) => {
    const lam = v + mu * sig[b];
    return Math.max(0, Math.round(lam + Math.sqrt(lam) * (2 * rnd() - 1) * 1.2));
  });
  return {
    channels: [
      {
        name: "sr",
        samples: [
          { name: "background", data: bkg, modifiers: bkgMods },
          { name: "signal", data: sig, modifiers: sigMods },
        ],
      },
      ...(crB
        ? [{ name: "cr", samples: [{ name: "background", data: crBkg, modifiers: crMods }] }]
        : []),
    ],
    observations: [
      { name: "sr", data: obs },
      ...(crB
        ? [{ name: "cr", data: crBkg.map((v) => Math.round(v + Math.sqrt(v) * (2 * rnd() - 1))) }]
        : []),
    ],
    measurements: [{ name: "meas", config: { poi: "mu", parameters: [] } }],
    version: "1.0.0",
  };
}
