/**
 * Models shared by the stats tests.
 */
import { fromPyhf, type Model } from "../../stats/mod.ts";

/** A two-channel model using every modifier type (code4 / code4p interpolation). */
export function everyModifierModel(): Model {
  const ws = {
    channels: [
      {
        name: "sr",
        samples: [
          {
            name: "sig",
            data: [4, 9, 6],
            modifiers: [
              { name: "mu", type: "normfactor", data: null },
              { name: "lumi", type: "lumi", data: null },
              { name: "stat_sr", type: "staterror", data: [0.5, 0.8, 0.6] },
            ],
          },
          {
            name: "bkg",
            data: [30, 25, 12],
            modifiers: [
              { name: "jes", type: "normsys", data: { hi: 1.08, lo: 0.9 } },
              {
                name: "shape",
                type: "histosys",
                data: { hi_data: [33, 26, 11], lo_data: [28, 24, 12.5] },
              },
              { name: "stat_sr", type: "staterror", data: [2, 1.5, 1] },
              { name: "lumi", type: "lumi", data: null },
            ],
          },
        ],
      },
      {
        name: "cr",
        samples: [{
          name: "bkg",
          data: [100, 80],
          modifiers: [
            { name: "jes", type: "normsys", data: { hi: 1.05, lo: 0.93 } },
            { name: "uncorr", type: "shapesys", data: [8, 7] },
            { name: "sf", type: "shapefactor", data: null },
          ],
        }],
      },
    ],
    observations: [{ name: "sr", data: [38, 36, 17] }, { name: "cr", data: [104, 77] }],
    measurements: [{
      name: "m",
      config: { poi: "mu", parameters: [{ name: "lumi", auxdata: [1], sigmas: [0.02] }] },
    }],
    version: "1.0.0",
  };
  return fromPyhf(ws, {
    modifierSettings: { normsys: { interpcode: "code4" }, histosys: { interpcode: "code4p" } },
  });
}
