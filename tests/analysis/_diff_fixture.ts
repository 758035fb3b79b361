/**
 * Shared set-up of the differentiable-chain tests: synthetic events prepared for one channel
 * with an object (jes), a weight (btagSF) and a normalisation (wjets_xsec) systematic, and a
 * briefly pre-trained MLP.
 */
import { array } from "../../mod.ts";
import { type DiffInputs, prepareInputs } from "../../analysis/diff/inputs.ts";
import { pretrainMva } from "../../analysis/diff/mva.ts";
import { syntheticEvents } from "../../analysis/diff/synthetic.ts";
import type { MlpParams } from "../../nn/mlp.ts";
import type { MvaApply } from "../../analysis/diff/soft.ts";

/** 14 bins of 200 GeV over 200–3000 GeV. */
export const EDGES = Array.from({ length: 15 }, (_, i) => 200 + i * 200);

/** Inputs and an MVA for the tests. */
export async function fixture(
  n: number,
  dtype: "float32" | "float64",
  epochs = 30,
  edges: readonly number[] = EDGES,
): Promise<{ inputs: DiffInputs; apply: MvaApply; nn: MlpParams }> {
  const inputs = prepareInputs(syntheticEvents({ nPerProcess: n, seed: 5 }), {
    channels: [{ name: "zprime", observable: "mtt", edges }],
    systematics: [
      { name: "jes", kind: "observable" },
      { name: "btagSF", kind: "weight" },
      { name: "wjets_xsec", kind: "norm", hi: 1.1, lo: 0.9, samples: ["wjets"] },
    ],
    dtype,
  });
  const mva = await pretrainMva(inputs, { epochs });
  return { inputs, apply: mva.net.apply, nn: mva.params };
}

/** A float64 scalar. */
export const f64 = (v: number) => array(v, "float64");
