/**
 * `histosys`: a shape uncertainty. The sample's yields move by an interpolated delta δ(α) with
 * δ(0) = 0, δ(+1) = `hi_data` − nominal, δ(−1) = `lo_data` − nominal; α has a unit Gaussian
 * constraint (auxdata 0, init 0, bounds [−5, 5]) and is shared by name (also with a normsys of the
 * same name, as HistFactory's OverallSys + HistoSys pairs are).
 *
 * Interpolation (`modifierSettings.histosys.interpcode`, see ./interp.ts): `code4p` (the
 * default, as pyhf's `Workspace.model()`): linear outside |α| ≤ 1 and, inside, the polynomial
 * α·S + α²·A·(15 − 10α² + 3α⁴), S = (Δ₊ + Δ₋)/2, A = (Δ₊ − Δ₋)/16, smooth at α = 0; `code0`
 * (ROOT's default): piecewise linear; `code2` (pyhf's quadratic) and `code4` (the multiplicative
 * polynomial-exponential on the ratios to the nominal).
 *
 * The deltas use the current nominal input, so a model whose nominal yields are replaced
 * (`Model.withNominals`) keeps `hi_data`/`lo_data` as absolute templates.
 *
 * @module
 */
import { type Array, reshape, take, where } from "../../core/mod.ts";
import {
  Assembler,
  bools,
  f64,
  i32,
  ModelDefinitionError,
  type ModelInputs,
  type ModifierModule,
  type ModifierUse,
  namesInOrder,
  reduceGroups,
  scalarIndex,
  scalarRequirements,
  scalarTermParams,
  usedPairs,
  useMask,
} from "./common.ts";
import type { HistosysModifier } from "../workspace.ts";
import { HISTOSYS_CODES, type HistosysCode, histosysDelta, isMultiplicative } from "./interp.ts";

/**
 * The histosys module: a unit-Gaussian α per name; rates + δ(α) by its code. Its inputs are
 * `histosys.hi` and `histosys.lo`, `[M, S, B]` absolute yields (ignored where a modifier does not
 * act); the deltas are computed on the (modifier, sample) pairs in use and summed per sample.
 *
 * @example
 * ```ts
 * import { histosys } from "./mod.ts";
 * console.log(histosys.type); // "histosys"
 * ```
 */
export const histosys: ModifierModule = {
  type: "histosys",
  requirements: (uses) =>
    scalarRequirements(uses, {
      type: "histosys",
      kind: "normal",
      inits: [0],
      bounds: [[-5, 5]],
      fixed: [false],
      auxdata: [0],
    }),
  build(uses, ctx) {
    if (uses.length === 0) return null;
    const code = (ctx.settings.interpcode ?? "code4p") as HistosysCode;
    if (!HISTOSYS_CODES.includes(code)) {
      throw new ModelDefinitionError(
        "modifierSettings.histosys.interpcode",
        `unsupported interpolation code ${JSON.stringify(code)} (supported: ${
          HISTOSYS_CODES.join(", ")
        })`,
      );
    }
    const names = namesInOrder(uses);
    const S = ctx.layout.samples.length, B = ctx.layout.nbins, M = names.length;
    const hi = new Float64Array(M * S * B), lo = new Float64Array(M * S * B);
    const index = new Map(names.map((n, i) => [n, i]));
    for (const u of uses as readonly ModifierUse<HistosysModifier>[]) {
      const base = (index.get(u.modifier.name)! * S + u.sampleIndex) * B + u.offset;
      hi.set(u.modifier.data.hi_data, base);
      lo.set(u.modifier.data.lo_data, base);
      if (isMultiplicative(code)) {
        // A ratio to a zero nominal is undefined: say which bin instead of returning NaN.
        const b = u.nominal.findIndex((v, j) =>
          v === 0 && (u.modifier.data.hi_data[j] !== 0 || u.modifier.data.lo_data[j] !== 0)
        );
        if (b >= 0) {
          throw new ModelDefinitionError(
            `${u.path}.data`,
            `histosys ${code} interpolates ratios to the nominal, which is 0 in bin ${b} of sample ${
              JSON.stringify(u.sample)
            } (channel ${JSON.stringify(u.channel)}) while a template is not`,
          );
        }
      }
    }
    const idx = names.map((n) => scalarIndex(ctx, n));
    // The interpolation runs on the (modifier, sample) pairs in use, [U, B], not on [M, S, B].
    const pairs = usedPairs(uses.map((u) => [index.get(u.modifier.name)!, u.sampleIndex]), S);
    const U = pairs.m.length;
    const rows = i32(globalThis.Array.from(pairs.m, (m, u) => m * S + pairs.group[u]));
    const sampleOf = i32(pairs.group);
    const { raw } = useMask(uses, names, ctx.layout);
    const pairMask = bools(
      globalThis.Array.from({ length: U * B }, (_, i) => {
        const u = Math.floor(i / B);
        return raw[(pairs.m[u] * S + pairs.group[u]) * B + (i % B)];
      }),
      [U, B],
    );
    const onSample = bools(
      globalThis.Array.from({ length: U * S }, (_, i) => pairs.group[Math.floor(i / S)] === i % S),
      [U, S, 1],
    );
    const pairPars = globalThis.Array.from(pairs.m, (m) => idx[m]);
    const gather = new Assembler().gather("pars", pairPars);
    const pairDeltas = (pars: Array, inputs: ModelInputs) => {
      const alpha = reshape(gather.build({ pars }), [U, 1]);
      // Where a modifier does not act its templates are 0; the nominal there keeps the ratios of
      // the multiplicative codes at 1 (a log of 0 would poison the derivatives through `where`).
      const nom = take(inputs.nominal, sampleOf, 0);
      const at = (x: Array) => where(pairMask, take(reshape(x, [M * S, B]), rows, 0), nom);
      const delta = histosysDelta(
        code,
        alpha,
        at(inputs["histosys.hi"]),
        nom,
        at(inputs["histosys.lo"]),
      );
      return where(pairMask, delta, 0);
    };
    return {
      type: "histosys",
      op: "addition",
      names,
      inputs: { "histosys.hi": f64(hi, [M, S, B]), "histosys.lo": f64(lo, [M, S, B]) },
      apply: (pars: Array, inputs: ModelInputs) =>
        reduceGroups(pairDeltas(pars, inputs), pairs, "sum"),
      terms: (pars: Array, inputs: ModelInputs) =>
        where(onSample, reshape(pairDeltas(pars, inputs), [U, 1, B]), 0),
      termParams: scalarTermParams(pairPars, B),
      interpcode: code,
    };
  },
};
