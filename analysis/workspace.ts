/**
 * The pyhf JSON workspace of the non-differentiable path, from the fit observable's histograms:
 * one channel per analysis channel, one sample per MC process (data is the observation), and the
 * modifiers a pyhf user would write —
 *
 * - `mu` (normfactor) on the signal samples: the parameter of interest;
 * - `lumi` on every MC sample, constrained by `statistics.lumiUncertainty` in the measurement;
 * - `staterror_<channel>` (Barlow–Beeston lite) from Σw² of every MC sample;
 * - `normsys` for each `normalisation` systematic (e.g. tt̄ 5 %, W+jets 10 %);
 * - each shape systematic (object- or event-level up/down histograms) either split, as cabinetry
 *   does, into a `normsys` (the yield ratios) plus a `histosys` of the same name (the
 *   yield-normalised shapes) — `statistics.shapeSystematics = "split"`, the default — or one
 *   `histosys` with the up/down histograms as they are (`"histosys"`). Both share one nuisance
 *   parameter per systematic across samples and channels.
 *
 * Negative bin contents (negative generator weights) are set to 0 and reported in `warnings`.
 *
 * @module
 */
import type { Modifier, Sample, Workspace } from "../stats/mod.ts";
import type { Config } from "./config/schema.ts";
import type { Hist, ProcessHistograms } from "./histograms.ts";
import { activeChannels } from "./selection.ts";
import { shapeSystematicNames } from "./variations.ts";

/**
 * A built workspace and what was adjusted on the way.
 *
 * @example
 * ```ts
 * import { buildWorkspace } from "./workspace.ts";
 * const { workspace, warnings } = buildWorkspace(histograms, cfg);
 * ```
 */
export interface BuiltWorkspace {
  /** The pyhf JSON workspace. */
  workspace: Workspace;
  /** Adjustments (negative bins set to 0, no data, skipped modifiers). */
  warnings: string[];
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * Builds the workspace from per-process histograms (see the module doc for the modifiers).
 *
 * @example
 * ```ts
 * import { buildWorkspace } from "./workspace.ts";
 * import { fromPyhf } from "../stats/mod.ts";
 * const model = fromPyhf(buildWorkspace(histograms, cfg).workspace);
 * ```
 */
export function buildWorkspace(hists: readonly ProcessHistograms[], cfg: Config): BuiltWorkspace {
  const st = cfg.statistics;
  const warnings: string[] = [];
  const mc = hists.filter((h) => !h.isData);
  const data = hists.filter((h) => h.isData);
  if (mc.length === 0) throw new Error("workspace: no MC process to build samples from");
  if (!mc.some((h) => st.signal.includes(h.process))) {
    throw new Error(
      `workspace: no signal sample (statistics.signal = ${JSON.stringify(st.signal)}, ` +
        `processes: ${mc.map((h) => h.process).join(", ")})`,
    );
  }
  const clamp = (xs: readonly number[], what: string): number[] => {
    if (xs.some((x) => x < 0)) warnings.push(`${what}: negative bins set to 0`);
    return xs.map((x) => Math.max(0, x));
  };
  const channels: Workspace["channels"] = [];
  const observations: Workspace["observations"] = [];
  for (const ch of activeChannels(cfg)) {
    const obs = ch.fitObservable;
    const samples: Sample[] = [];
    for (const h of mc) {
      const byVar = h.hists[ch.name][obs];
      const nom = clamp(byVar.nominal.sumw, `${ch.name}/${h.process}`);
      samples.push({
        name: h.process,
        data: nom,
        modifiers: sampleModifiers(h, byVar, nom, ch.name, cfg, warnings),
      });
    }
    channels.push({ name: ch.name, samples });
    let observed: number[];
    if (data.length > 0) {
      observed = data.map((d) => d.hists[ch.name][obs].nominal.sumw)
        .reduce((a, b) => a.map((x, i) => x + b[i]));
    } else {
      warnings.push(
        `${ch.name}: no data process; observations are the background-only Asimov data`,
      );
      observed = samples.filter((s) => !st.signal.includes(s.name))
        .map((s) => s.data).reduce((a, b) => a.map((x, i) => x + b[i]), nom0(samples));
    }
    const mcTotal = samples.map((s) => s.data).reduce((a, b) => a.map((x, i) => x + b[i]));
    observed.forEach((n, b) => {
      if (n > 0 && mcTotal[b] <= 0) {
        warnings.push(
          `${ch.name}: bin ${b} has ${n} observed events but no MC: the likelihood is zero ` +
            `there (choose a coarser binning or more MC)`,
        );
      }
    });
    observations.push({ name: ch.name, data: observed });
  }
  const parameters: Workspace["measurements"][number]["config"]["parameters"] = [];
  if (st.lumiUncertainty > 0) {
    const s = st.lumiUncertainty;
    parameters.push({
      name: "lumi",
      auxdata: [1],
      sigmas: [s],
      bounds: [[Math.max(0, 1 - 5 * s), 1 + 5 * s]],
      inits: [1],
    });
  }
  const workspace: Workspace = {
    version: "1.0.0",
    channels,
    observations,
    measurements: [{ name: st.measurement, config: { poi: st.poi, parameters } }],
  };
  return { workspace, warnings };
}

function nom0(samples: Sample[]): number[] {
  return new Array<number>(samples[0].data.length).fill(0);
}

function sampleModifiers(
  h: ProcessHistograms,
  byVar: Record<string, Hist>,
  nom: number[],
  channel: string,
  cfg: Config,
  warnings: string[],
): Modifier[] {
  const st = cfg.statistics;
  const mods: Modifier[] = [];
  if (st.signal.includes(h.process)) mods.push({ name: st.poi, type: "normfactor", data: null });
  if (st.lumiUncertainty > 0) mods.push({ name: "lumi", type: "lumi", data: null });
  if (st.staterror) {
    mods.push({
      name: `staterror_${channel}`,
      type: "staterror",
      data: byVar.nominal.sumw2.map(Math.sqrt),
    });
  }
  for (const s of cfg.systematics) {
    if (s.type === "normalisation" && s.processes.includes(h.process)) {
      mods.push({ name: s.name, type: "normsys", data: { hi: s.up, lo: s.down } });
    }
  }
  if (!cfg.general.runSystematics) return mods;
  const where = `${channel}/${h.process}`;
  const nomSum = sum(nom);
  for (const name of shapeSystematicNames(cfg, h.process, h.isData)) {
    const up = byVar[`${name}_up`], down = byVar[`${name}_down`];
    if (!up || !down) {
      warnings.push(`${where}: no up/down histograms for ${name}; modifier skipped`);
      continue;
    }
    const hi = up.sumw.map((x) => Math.max(0, x)), lo = down.sumw.map((x) => Math.max(0, x));
    if (st.shapeSystematics === "histosys") {
      mods.push({ name, type: "histosys", data: { hi_data: hi, lo_data: lo } });
      continue;
    }
    if (nomSum <= 0) continue; // an empty sample: nothing to vary
    const hiSum = sum(hi), loSum = sum(lo);
    if (hiSum <= 0 || loSum <= 0) {
      warnings.push(`${where}: ${name} up or down is empty; used as histosys only`);
      mods.push({ name, type: "histosys", data: { hi_data: hi, lo_data: lo } });
      continue;
    }
    mods.push({ name, type: "normsys", data: { hi: hiSum / nomSum, lo: loSum / nomSum } });
    mods.push({
      name,
      type: "histosys",
      data: {
        hi_data: hi.map((x) => x * nomSum / hiSum),
        lo_data: lo.map((x) => x * nomSum / loSum),
      },
    });
  }
  return mods;
}
