/**
 * Pre-fit and post-fit yields per channel and sample with the uncertainty band of the total —
 * what cabinetry's data/MC plots show. The band is the linearised propagation
 * `σ_b² = J C Jᵀ` with J = ∂ν_b/∂θ (by `jacfwd`); pre-fit C is diagonal in the constraint widths
 * ({@link prefitCovariance}), post-fit C is the fit's covariance.
 *
 * Each sample's yield is its term of the sum ν_b = Σ_s ν_sb. Every HistFactory modifier acts on a
 * sample's nominal and histosys templates linearly (multiplicative factors; additive or
 * ratio-based deltas that scale with the templates), so ν_sb is homogeneous of degree 1 in sample
 * s's (nominal, hi, lo) and equals ∂ν_b/∂λ_s at λ = 1 when those templates are scaled by λ_s
 * (Euler). One `jacfwd` over λ gives every sample, and no template is set to zero, so
 * ratio-based interpolation codes never see 0/0.
 *
 * @module
 */
import { type Array, array, ones, reshape } from "../core/mod.ts";
import { jacfwd } from "../ad/api.ts";
import { prefitConstraints } from "./fisher.ts";
import type { FitResult } from "./fit.ts";
import type { Model } from "./model.ts";

/**
 * Per channel: yields per sample and the total with its uncertainty, per bin.
 *
 * @example
 * ```ts
 * import type { ChannelYields } from "./yields.ts";
 * const total = (y: ChannelYields) => y.total.reduce((a, b) => a + b, 0);
 * ```
 */
export interface ChannelYields {
  /** Expected yields per sample (every sample of the model; 0 where it is absent). */
  samples: Record<string, number[]>;
  /** Their sum. */
  total: number[];
  /** Uncertainty of the total (1σ, linearised). */
  uncertainty: number[];
}

/** The model inputs holding sample templates, with the axis of their sample dimension. */
const TEMPLATE_INPUTS = ["nominal", "histosys.hi", "histosys.lo"] as const;

/** ν_sb for every sample: `[B, S]`, by ∂ν/∂λ at λ = 1 (see the module doc). */
function perSample(model: Model, p: Array): Float64Array {
  const S = model.samples.length;
  const scaled = (lam: Array) => {
    const inputs: Record<string, Array> = {};
    for (const k of TEMPLATE_INPUTS) {
      const x = model.inputs[k];
      if (!x) continue;
      // [S, B] or [M, S, B]: λ broadcast along the sample axis (second from last).
      inputs[k] = x.mul(reshape(lam, [S, 1]));
    }
    return model.withInputs(inputs).expectedMain(p);
  };
  return jacfwd(scaled)(ones([S], "float64")).dataSync() as Float64Array;
}

/**
 * Expected main-data yields per channel and sample at `pars`, and the total's uncertainty from
 * the covariance `cov` (linearised: `σ_b² = Σ_ik J_bi C_ik J_bk`). At an interpolation kink
 * (code0/code1 at α = 0, e.g. pre-fit) J is the one-sided derivative `jacfwd` takes there.
 *
 * @example
 * ```ts
 * import { fit, yieldsAt } from "./mod.ts";
 * const f = fit(model.observed, model);
 * const postfit = yieldsAt(model, f.bestfit, f.covariance);
 * console.log(postfit.SR.total, postfit.SR.uncertainty);
 * ```
 */
export function yieldsAt(
  model: Model,
  pars: readonly number[],
  cov: readonly (readonly number[])[],
): Record<string, ChannelYields> {
  const P = model.npars, B = model.nMain, S = model.samples.length;
  if (pars.length !== P) {
    throw new RangeError(`yieldsAt: ${pars.length} parameter values for ${P} parameters`);
  }
  if (cov.length !== P || cov.some((r) => r.length !== P)) {
    throw new RangeError(`yieldsAt: the covariance must be ${P} × ${P}`);
  }
  const p = array(pars as number[], "float64");
  const bySample = perSample(model, p); // [B, S]
  const total = model.expectedMain(p).dataSync();
  const J = jacfwd((x: Array) => model.expectedMain(x))(p).dataSync(); // [B, P]
  const variance = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let v = 0;
    for (let i = 0; i < P; i++) {
      const ji = J[b * P + i];
      if (ji === 0) continue;
      for (let k = 0; k < P; k++) v += ji * cov[i][k] * J[b * P + k];
    }
    variance[b] = Math.max(0, v);
  }
  const out: Record<string, ChannelYields> = {};
  let offset = 0;
  for (const c of model.channels) {
    const nb = model.channelNbins[c];
    const samples: Record<string, number[]> = {};
    model.samples.forEach((s, k) => {
      samples[s] = globalThis.Array.from({ length: nb }, (_, j) => bySample[(offset + j) * S + k]);
    });
    out[c] = {
      samples,
      total: globalThis.Array.from(total.subarray(offset, offset + nb)),
      uncertainty: globalThis.Array.from(variance.subarray(offset, offset + nb), Math.sqrt),
    };
    offset += nb;
  }
  return out;
}

/**
 * The pre-fit covariance: diagonal in the constraint widths (0 for unconstrained parameters,
 * which pre-fit plots show at their nominal value).
 *
 * @example
 * ```ts
 * import { prefitCovariance } from "./mod.ts";
 * const C0 = prefitCovariance(model);
 * ```
 */
export function prefitCovariance(model: Model): number[][] {
  const widths = prefitConstraints(model).map((c) => (c ? c.width : 0));
  return widths.map((w, i) => widths.map((_, k) => (i === k ? w * w : 0)));
}

/**
 * Pre-fit (suggested initial values, {@link prefitCovariance}) and post-fit (`fit`'s best fit and
 * covariance) yields per channel, and the observed main data per channel.
 *
 * @example
 * ```ts
 * import { fit, prePostFitYields } from "./mod.ts";
 * const y = prePostFitYields(model, fit(model.observed, model));
 * console.log(y.prefit.SR.total, y.postfit.SR.total, y.data.SR);
 * ```
 */
export function prePostFitYields(model: Model, fit: FitResult): {
  prefit: Record<string, ChannelYields>;
  postfit: Record<string, ChannelYields>;
  data: Record<string, number[]>;
} {
  const data = model.splitChannels(model.mainData(model.observed));
  return {
    prefit: yieldsAt(model, model.suggestedInit, prefitCovariance(model)),
    postfit: yieldsAt(model, fit.bestfit, fit.covariance),
    data: Object.fromEntries(
      Object.entries(data).map(([c, a]) => [c, globalThis.Array.from(a.dataSync())]),
    ),
  };
}
