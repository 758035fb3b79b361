/**
 * The default configuration: the reference framework's Z′→tt̄ setup (2016 CMS Open Data, 16.4 fb⁻¹)
 * in zgrad's blocks. User configs (`--config`) are merged over it key by key (arrays and functions
 * are replaced whole), and `general.*`, `preprocess.*`, `statistics.*` can be overridden on the
 * command line.
 *
 * @module
 */
import { abs } from "../../core/mod.ts";
import type { Events } from "../events.ts";
import { nth } from "../jagged.ts";
import {
  baselineSelection,
  goodFatJet,
  goodJet,
  goodMuon,
  mtt,
  mvaGhostObservables,
  zprimeChannel,
} from "../physics.ts";
import type { Config } from "./schema.ts";

/** The tt̄ processes of the bundled fileset. */
const TTBAR = ["ttbar_semilep", "ttbar_had", "ttbar_lep"];

/** |η| of the (single) good muon. */
function muonAbsEta(ev: Events): ReturnType<typeof abs> {
  const mu = ev.objects.Muon;
  return abs(nth(mu, mu.fields.eta, 0));
}

/**
 * A muon-ID-scale-factor-like event weight: SF = 0.99 − 0.01 |η| with an uncertainty of
 * 0.005 + 0.005 |η| (the shape of the 2016 tight-ID SFs; a stand-in where no correctionlib file is
 * read). `up`/`down` return the varied SF that replaces the nominal one.
 *
 * @example
 * ```ts
 * import { muonIdSf } from "./defaults.ts";
 * const w = muonIdSf.nominal(selectedEvents);
 * ```
 */
export const muonIdSf = {
  /** Nominal scale factor per event. */
  nominal: (ev: Events) => muonAbsEta(ev).mul(-0.01).add(0.99),
  /** SF + uncertainty. */
  up: (ev: Events) => muonAbsEta(ev).mul(-0.005).add(0.995),
  /** SF − uncertainty. */
  down: (ev: Events) => muonAbsEta(ev).mul(-0.015).add(0.985),
};

/**
 * The default configuration.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "./defaults.ts";
 * console.log(DEFAULT_CONFIG.general.lumi); // 16400
 * ```
 */
export const DEFAULT_CONFIG: Config = {
  general: {
    lumi: 16400,
    weightsBranch: "genWeight",
    analysis: "diff",
    maxFiles: -1,
    runPreprocessing: true,
    runHistogramming: true,
    runStatistics: true,
    runSystematics: true,
    runMvaTraining: true,
    readFromCache: true,
    outputDir: "outputs/zprime",
    cacheDir: "outputs/cache",
    fileset: null,
    bundledEvents: 100_000,
    processes: null,
    channels: null,
    device: "cpu",
    onError: "fail",
  },
  preprocess: {
    branches: {
      Muon: ["pt", "eta", "phi", "mass", "miniIsoId", "tightId", "charge"],
      FatJet: ["particleNet_TvsQCD", "pt", "eta", "phi", "mass"],
      Jet: ["btagDeepB", "jetId", "pt", "eta", "phi", "mass"],
      MET: ["pt", "phi"],
      HLT: ["TkMu50"],
      event: ["genWeight"],
    },
    skim: [
      { branch: "HLT_TkMu50", op: "==", value: 1 },
      { branch: "MET_pt", op: ">", value: 50 },
    ],
  },
  goodObjectMasks: {
    analysis: [
      { object: "Muon", function: goodMuon },
      { object: "Jet", function: goodJet },
      { object: "FatJet", function: goodFatJet },
    ],
    mva: [
      { object: "Muon", function: goodMuon },
      { object: "FatJet", function: goodFatJet },
    ],
  },
  baselineSelection: {
    function: baselineSelection,
    description: "exactly 1 good muon, ≥ 2 good jets",
  },
  channels: [
    {
      name: "Zprime_channel",
      selection: {
        function: zprimeChannel,
        description: "exactly 1 good muon, ≥ 2 good jets, ≥ 1 good fat jet",
      },
      observables: [
        {
          name: "mtt",
          binning: { low: 200, high: 3000, bins: 20 },
          label: "m(tt̄) [GeV]",
          function: mtt,
        },
      ],
      fitObservable: "mtt",
      useInDiff: true,
    },
  ],
  ghostObservables: [
    {
      names: [
        "n_jet",
        "leading_jet_mass",
        "subleading_jet_mass",
        "leading_jet_btag_score",
        "subleading_jet_btag_score",
        "st",
        "lep_ht",
      ],
      collections: "mva",
      function: mvaGhostObservables,
    },
  ],
  corrections: [
    {
      name: "muon_id_sf",
      type: "event",
      op: "mult",
      function: muonIdSf.nominal,
      upFunction: muonIdSf.up,
      downFunction: muonIdSf.down,
    },
  ],
  systematics: [
    {
      name: "jet_energy_scale",
      type: "object",
      op: "mult",
      targets: [["Jet", "pt"], ["Jet", "mass"], ["FatJet", "pt"], ["FatJet", "mass"]],
      upFunction: () => 1.03,
      downFunction: () => 0.97,
    },
    { name: "ttbar_norm", type: "normalisation", up: 1.05, down: 0.95, processes: TTBAR },
    { name: "wjets_norm", type: "normalisation", up: 1.1, down: 0.9, processes: ["wjets"] },
  ],
  mva: [
    {
      name: "wjets_vs_ttbar_nn",
      useInDiff: true,
      epochs: 1000,
      learningRate: 0.02,
      seed: 42,
      validationSplit: 0.2,
      batchSize: null,
      hiddenLayers: [16, 16],
      activation: "tanh",
      classes: ["wjets", { ttbar: TTBAR }],
      balanceStrategy: "undersample",
      features: [
        {
          name: "n_jet",
          label: "N_jets",
          function: (ev) => ev.ghost.n_jet,
          scale: (x) => x.div(10),
          binning: "0,10,10",
        },
        {
          name: "leading_jet_mass",
          label: "m_j1 [GeV]",
          function: (ev) => ev.ghost.leading_jet_mass,
          scale: (x) => x.div(20),
          binning: "0,100,50",
        },
        {
          name: "subleading_jet_mass",
          label: "m_j2 [GeV]",
          function: (ev) => ev.ghost.subleading_jet_mass,
          scale: (x) => x.div(10),
          binning: "0,50,25",
        },
      ],
      gradOptimisation: { optimise: true, learningRate: 5e-4 },
    },
  ],
  optimisation: {
    optimise: true,
    maxIterations: 50,
    optimiser: "adam",
    params: { metThreshold: 50, btagThreshold: 0.5, lepHtThreshold: 150, kdeBandwidth: 10 },
    clamps: {
      metThreshold: [20, 150],
      btagThreshold: [0, 3],
      lepHtThreshold: [50, 300],
      kdeBandwidth: [1, 50],
    },
    learningRates: {
      metThreshold: 1.0,
      btagThreshold: 0.01,
      lepHtThreshold: 1.0,
      kdeBandwidth: 0.1,
      nn: 5e-4,
    },
    softSelection: null,
  },
  statistics: {
    measurement: "zprime",
    poi: "mu",
    signal: ["signal"],
    lumiUncertainty: 0.025,
    staterror: true,
    shapeSystematics: "split",
    interpolation: "pyhf",
    testStat: "qtilde",
    muTest: 1,
    clsLevel: 0.05,
    workspaceFile: "workspace.json",
  },
  plotting: {
    enabled: true,
    png: false,
    processColors: {
      signal: "#DABFFF",
      ttbar_semilep: "#907AD6",
      ttbar_had: "#2C2A4A",
      ttbar_lep: "#7FDEFF",
      wjets: "#72A1E5",
    },
    processLabels: {
      signal: "Z′ → tt̄",
      ttbar_semilep: "tt̄ (lepton+jets)",
      ttbar_had: "tt̄ (hadronic)",
      ttbar_lep: "tt̄ (leptonic)",
      wjets: "W+jets",
    },
    processOrder: ["ttbar_had", "ttbar_lep", "ttbar_semilep", "wjets", "signal"],
  },
};
