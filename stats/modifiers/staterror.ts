/**
 * `staterror`: Barlow–Beeston-lite MC statistical uncertainties. All samples declaring the same
 * staterror name share one factor γ_b per bin, with a Gaussian constraint N(1 | γ_b, σ_b) whose
 * width is the combined relative uncertainty of those samples, as pyhf computes it:
 * σ_b = √(Σ_s δ_{s,b}²) / Σ_s ν_{s,b}, sums over the samples declaring the modifier. Bins with
 * σ_b = 0 keep a fixed γ = 1 (σ set to 1). Default inits 1, bounds [1e−10, 10], auxdata 1.
 *
 * The name usually covers one channel (`staterror_<channel>`), but may cover several as long as
 * every sample using it does so in the same channels (pyhf's requirement).
 *
 * σ is recomputed from the inputs (`nominal`, `staterror.unc`), so replaced yields
 * (`Model.withNominals`) move the constraint; which bins are fixed is decided from the workspace.
 *
 * @module
 */
import { type Array, matmul, reshape, sqrt, where } from "../../core/mod.ts";
import {
  Assembler,
  bools,
  f64,
  type Layout,
  ModelDefinitionError,
  type ModelInputs,
  type ModifierModule,
  type ModifierUse,
  type ParamRequirement,
  perBinFactor,
  type PerBinSpec,
  product0,
} from "./common.ts";
import type { StaterrorModifier } from "../workspace.ts";

interface Group {
  name: string;
  uses: ModifierUse<StaterrorModifier>[];
  bins: number[]; // masked global bins, ascending
  sigmas: number[]; // per masked bin, 1 where fixed
  fixed: boolean[];
}

/** Groups uses by name (sorted, pyhf's order) and computes pyhf's per-bin relative widths. */
function groups(uses: readonly ModifierUse[], layout: Layout): Group[] {
  const byName = new Map<string, ModifierUse<StaterrorModifier>[]>();
  for (const u of uses as readonly ModifierUse<StaterrorModifier>[]) {
    if (!byName.has(u.modifier.name)) byName.set(u.modifier.name, []);
    byName.get(u.modifier.name)!.push(u);
  }
  return [...byName.keys()].sort().map((name) => {
    const us = byName.get(name)!;
    const channelsOf = new Map<string, Set<string>>();
    for (const u of us) {
      if (!channelsOf.has(u.sample)) channelsOf.set(u.sample, new Set());
      channelsOf.get(u.sample)!.add(u.channel);
    }
    const ref = [...channelsOf.values()][0];
    for (const u of us) {
      const cs = channelsOf.get(u.sample)!;
      if (cs.size !== ref.size || [...cs].some((c) => !ref.has(c))) {
        throw new ModelDefinitionError(
          u.path,
          `staterror ${JSON.stringify(name)} acts on sample ${
            JSON.stringify(u.sample)
          } in channels ` +
            `[${[...cs].join(", ")}] but on other samples in [${[...ref].join(", ")}]; ` +
            `every sample must use it in the same channels`,
        );
      }
    }
    const B = layout.nbins;
    const nomSum = new Float64Array(B), uncSq = new Float64Array(B);
    const masked = new Uint8Array(B);
    for (const u of us) {
      for (let j = 0; j < u.nbins; j++) {
        nomSum[u.offset + j] += u.nominal[j];
        masked[u.offset + j] = 1;
      }
    }
    for (const u of us) {
      for (let j = 0; j < u.nbins; j++) {
        const b = u.offset + j;
        if (nomSum[b] > 0) uncSq[b] += (u.modifier.data[j] / nomSum[b]) ** 2;
      }
    }
    const bins = [...masked.keys()].filter((b) => masked[b]);
    const raw = bins.map((b) => Math.sqrt(uncSq[b]));
    return {
      name,
      uses: us,
      bins,
      fixed: raw.map((s) => s === 0),
      sigmas: raw.map((s) => (s === 0 ? 1 : s)),
    };
  });
}

/**
 * The staterror module: Gaussian-constrained per-bin γ shared by the samples declaring it;
 * rates × γ_b. Input `staterror.unc` is the `[M, S, B]` absolute uncertainty.
 *
 * @example
 * ```ts
 * import { staterror } from "./mod.ts";
 * console.log(staterror.type); // "staterror"
 * ```
 */
export const staterror: ModifierModule = {
  type: "staterror",
  requirements(uses, layout) {
    const out = new Map<string, ParamRequirement>();
    for (const g of groups(uses, layout)) {
      const n = g.bins.length;
      out.set(g.name, {
        type: "staterror",
        path: g.uses[0].path,
        kind: "normal",
        n,
        isScalar: false,
        inits: new globalThis.Array(n).fill(1),
        bounds: new globalThis.Array(n).fill([1e-10, 10]),
        fixed: g.fixed,
        auxdata: new globalThis.Array(n).fill(1),
        sigmas: g.sigmas,
      });
    }
    return out;
  },
  build(uses, ctx) {
    if (uses.length === 0) return null;
    const { layout } = ctx;
    const S = layout.samples.length, B = layout.nbins;
    const gs = groups(uses, layout);
    const M = gs.length;
    const unc = new Float64Array(M * S * B);
    const include = new Float64Array(M * S);
    const fixedCell = new Uint8Array(M * B).fill(1); // cells outside a modifier count as fixed
    const sigmaIndex = new Assembler();
    const specs: PerBinSpec[] = gs.map((g, m) => {
      const p = ctx.params.get(g.name)!;
      const spec = { paramOfBin: new Int32Array(B).fill(-1), sampleMask: new Uint8Array(S * B) };
      g.bins.forEach((b, k) => {
        spec.paramOfBin[b] = p.start + k;
        if (!g.fixed[k]) fixedCell[m * B + b] = 0;
        sigmaIndex.take("sigma", m * B + b);
      });
      for (const u of g.uses) {
        include[m * S + u.sampleIndex] = 1;
        unc.set(u.modifier.data, (m * S + u.sampleIndex) * B + u.offset);
        for (let j = 0; j < u.nbins; j++) spec.sampleMask[u.sampleIndex * B + u.offset + j] = 1;
      }
      return spec;
    });
    const factor = perBinFactor(specs, layout);
    const includeArr = f64(include, [M, S]);
    const fixedArr = bools(fixedCell, [M, B]);
    return {
      type: "staterror",
      op: "multiplication",
      names: gs.map((g) => g.name),
      inputs: { "staterror.unc": f64(unc, [M, S, B]) },
      apply: (pars: Array) => product0(factor.terms(pars)),
      terms: factor.terms,
      termParams: factor.termParams,
      dynamicConstraint: {
        field: "sigmas",
        params: gs.map((g) => ({ name: g.name, n: g.bins.length })),
        compute(inputs: ModelInputs) {
          const nomSum = matmul(includeArr, inputs.nominal); // [M, B]
          const uncSq = inputs["staterror.unc"].square().sum(1); // [M, B]
          const pos = nomSum.gt(0);
          const rel2 = where(pos, uncSq.div(where(pos, nomSum, 1).square()), 0);
          // Double where: fixed cells (σ = 0 in the workspace) never reach sqrt'(0).
          const sigma = where(fixedArr, 1, sqrt(where(fixedArr, 1, rel2)));
          return sigmaIndex.build({ sigma: reshape(sigma, [M * B]) });
        },
      },
    };
  },
};
