/**
 * Ready-made one-channel models, as `pyhf.simplemodels`, whose yields may be zgrad arrays —
 * including values being differentiated (a network's output, a KDE histogram): the model is built
 * from the structure and its inputs are then replaced, so gradients flow from every method of the
 * model back to these arrays.
 *
 * @module
 */
import { Array, array, type ArrayLike, DeviceArray } from "../core/mod.ts";
import type { Model } from "./model.ts";
import { fromPyhf } from "./from_pyhf.ts";

function f64(x: ArrayLike, what: string): Array {
  const a = x instanceof Array ? x : array(x, "float64");
  const b = a.dtype === "float64" ? a : a.astype("float64");
  if (b.ndim !== 1) {
    throw new RangeError(`${what}: expected a 1-D array of yields, got shape [${b.shape}]`);
  }
  return b;
}

/** Concrete values to build the structure with (ones when the array is being traced). */
function placeholder(a: Array): number[] {
  return a instanceof DeviceArray
    ? globalThis.Array.from(a.dataSync())
    : new globalThis.Array(a.shape[0]).fill(1);
}

function sameLength(arrays: [Array, string][]): number {
  const n = arrays[0][0].shape[0];
  for (const [a, name] of arrays) {
    if (a.shape[0] !== n) {
      throw new RangeError(`${name}: expected ${n} bins (as ${arrays[0][1]}), got ${a.shape[0]}`);
    }
  }
  return n;
}

/**
 * pyhf's `uncorrelated_background`: channel `singlechannel` with a `signal` sample scaled by
 * `mu` and a `background` sample with per-bin uncertainties `bkgUncertainty` (shapesys
 * `uncorr_bkguncrt`, Poisson-constrained). The observed data are the background (the model has
 * no observations of its own; pass data to its methods). Which bins are fixed (zero background or
 * uncertainty) is decided from the values when they are concrete, and all bins are free when the
 * arrays are being traced.
 *
 * @example
 * ```ts
 * import { array, grad } from "../mod.ts";
 * import { uncorrelatedBackground } from "./mod.ts";
 * const f = (s: any) => {
 *   const m = uncorrelatedBackground(s, [50, 52], [3, 7]);
 *   return m.nll(m.init(), m.data(array([55, 60], "float64")));
 * };
 * grad(f)(array([12, 11], "float64"));
 * ```
 */
export function uncorrelatedBackground(
  signal: ArrayLike,
  bkg: ArrayLike,
  bkgUncertainty: ArrayLike,
): Model {
  const s = f64(signal, "signal"), b = f64(bkg, "bkg"), u = f64(bkgUncertainty, "bkgUncertainty");
  sameLength([[s, "signal"], [b, "bkg"], [u, "bkgUncertainty"]]);
  const bp = placeholder(b);
  const base = fromPyhf({
    channels: [{
      name: "singlechannel",
      samples: [
        {
          name: "signal",
          data: placeholder(s),
          modifiers: [{ name: "mu", type: "normfactor", data: null }],
        },
        {
          name: "background",
          data: bp,
          modifiers: [{ name: "uncorr_bkguncrt", type: "shapesys", data: placeholder(u) }],
        },
      ],
    }],
    observations: [{ name: "singlechannel", data: bp }],
    measurements: [{ name: "Measurement", config: { poi: "mu", parameters: [] } }],
    version: "1.0.0",
  });
  return base.withSamples({
    singlechannel: {
      signal: { data: s },
      background: { data: b, modifiers: { uncorr_bkguncrt: u } },
    },
  });
}

/**
 * pyhf's `correlated_background`: channel `single_channel` with a `signal` sample scaled by `mu`
 * and a `background` sample with a histosys `correlated_bkg_uncertainty` whose ±1σ templates are
 * `bkgUp` / `bkgDown` (code0 interpolation unless `interpcode` says otherwise).
 *
 * @example
 * ```ts
 * import { correlatedBackground } from "./mod.ts";
 * const m = correlatedBackground([12, 11], [50, 52], [55, 60], [45, 44]);
 * console.log(m.parNames); // ["correlated_bkg_uncertainty", "mu"]
 * ```
 */
export function correlatedBackground(
  signal: ArrayLike,
  bkg: ArrayLike,
  bkgUp: ArrayLike,
  bkgDown: ArrayLike,
  opts: { interpcode?: "code0" | "code4p" } = {},
): Model {
  const s = f64(signal, "signal"), b = f64(bkg, "bkg");
  const up = f64(bkgUp, "bkgUp"), dn = f64(bkgDown, "bkgDown");
  sameLength([[s, "signal"], [b, "bkg"], [up, "bkgUp"], [dn, "bkgDown"]]);
  const bp = placeholder(b);
  const base = fromPyhf({
    channels: [{
      name: "single_channel",
      samples: [
        {
          name: "signal",
          data: placeholder(s),
          modifiers: [{ name: "mu", type: "normfactor", data: null }],
        },
        {
          name: "background",
          data: bp,
          modifiers: [{
            name: "correlated_bkg_uncertainty",
            type: "histosys",
            data: { hi_data: placeholder(up), lo_data: placeholder(dn) },
          }],
        },
      ],
    }],
    observations: [{ name: "single_channel", data: bp }],
    measurements: [{ name: "Measurement", config: { poi: "mu", parameters: [] } }],
    version: "1.0.0",
  }, { modifierSettings: { histosys: { interpcode: opts.interpcode ?? "code0" } } });
  return base.withSamples({
    single_channel: {
      signal: { data: s },
      background: {
        data: b,
        modifiers: { correlated_bkg_uncertainty: { hi_data: up, lo_data: dn } },
      },
    },
  });
}
