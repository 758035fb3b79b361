/**
 * Building a {@link Model} from a pyhf JSON workspace, as
 * `pyhf.Workspace(spec).model(measurement_name, modifier_settings)` does: validate the workspace,
 * lay out channels and samples as pyhf's mega-channel, visit the modifier uses in pyhf's order,
 * register and configure the parameters, build each modifier type and gather the dense inputs.
 * The model itself (expected data, likelihood, inputs) is `model.ts`; it knows nothing of
 * workspaces, so the dependency runs one way (this module → `model.ts`).
 *
 * @module
 */
import { type Array, array } from "../core/mod.ts";
import { Constraints } from "./constraints.ts";
import {
  type AppliedModifier,
  type Layout,
  ModelDefinitionError,
  type ModifierUse,
  type ParamRequirement,
  type Paramset,
} from "./modifiers/common.ts";
import { MODIFIERS } from "./modifiers/mod.ts";
import {
  HISTOSYS_CODES,
  type HistosysCode,
  NORMSYS_CODES,
  type NormsysCode,
} from "./modifiers/interp.ts";
import { resolveParamsets } from "./parameters.ts";
import {
  type Measurement,
  type Modifier,
  MODIFIER_TYPES,
  type ModifierType,
  validateWorkspace,
  type Workspace,
  WorkspaceError,
  type WorkspaceIssue,
} from "./workspace.ts";
import { Model, type Structure } from "./model.ts";

/**
 * Interpolation settings per modifier type, as pyhf's `modifier_settings`. The defaults are
 * pyhf's (`Workspace.model()`): normsys code4, histosys code4p; ROOT's are code1 / code0.
 */
export interface ModifierSettings {
  /** `{ interpcode: "code0" | "code1" | "code2" | "code4" }` (default code4). */
  normsys?: { interpcode?: NormsysCode };
  /** `{ interpcode: "code0" | "code2" | "code4" | "code4p" }` (default code4p). */
  histosys?: { interpcode?: HistosysCode };
}

/** Options of {@link fromPyhf}. */
export interface FromPyhfOptions {
  /** Measurement name (default: the first). */
  measurement?: string;
  /** Parameter of interest, overriding the measurement's (`null`: no POI). */
  poiName?: string | null;
  /**
   * Interpolation codes. Defaults are pyhf's `Workspace.model()` ones (normsys code4, histosys
   * code4p); ROOT's are `{ normsys: { interpcode: "code1" }, histosys: { interpcode: "code0" } }`.
   */
  modifierSettings?: ModifierSettings;
  /**
   * What to do with a measurement config for a parameter no modifier declares: `"error"`
   * (default) or `"ignore"` (recorded in `model.warnings`). A config named `lumi` without a lumi
   * modifier is always only a warning: ROOT's HistFactory writes one into every measurement.
   */
  unknownParameters?: "error" | "ignore";
}

/**
 * Builds a {@link Model} from a pyhf JSON workspace (an object or a validated {@link Workspace}),
 * as `pyhf.Workspace(spec).model(measurement_name, modifier_settings)` does. Invalid input
 * throws a {@link WorkspaceError} naming the JSON path.
 *
 * @example
 * ```ts
 * import { fromPyhf } from "./mod.ts";
 * const spec = JSON.parse(Deno.readTextFileSync("workspace.json"));
 * const model = fromPyhf(spec); // pyhf's interpolation: normsys code4, histosys code4p
 * const root = fromPyhf(spec, {
 *   modifierSettings: { normsys: { interpcode: "code1" }, histosys: { interpcode: "code0" } },
 * });
 * console.log(model.parNames, model.poiIndex, root.interpolation);
 * ```
 */
export function fromPyhf(workspace: unknown, opts: FromPyhfOptions = {}): Model {
  const ws = validateWorkspace(workspace);
  const settings = opts.modifierSettings ?? {};
  checkSettings(settings);
  const [meas, mi] = pickMeasurement(ws, opts.measurement);
  const { layout, samplesIn } = layoutOf(ws);
  const uses = usesOf(ws, layout);
  const byType = new Map<ModifierType, ModifierUse[]>(MODIFIER_TYPES.map((t) => [t, []]));
  for (const u of uses) byType.get(u.modifier.type)!.push(u);

  try {
    const { paramsets, poiName, warnings } = resolveParameters(
      requirementsOf(byType, layout),
      meas,
      mi,
      opts,
    );
    const modifiers = buildModifiers(byType, layout, paramsets, settings);
    const constraints = new Constraints(
      paramsets,
      modifiers.flatMap((m) => (m.dynamicConstraint ? [m.dynamicConstraint] : [])),
    );
    const { nominal, observedMain } = nominalAndObserved(ws, layout);
    const inputs: Record<string, Array> = { nominal };
    for (const m of modifiers) Object.assign(inputs, m.inputs);
    const structure: Structure = {
      layout,
      samplesIn,
      uses,
      paramsets,
      modifiers,
      constraints,
      observedMain,
      interpolation: {
        normsys: settings.normsys?.interpcode ?? "code4",
        histosys: settings.histosys?.interpcode ?? "code4p",
      },
      jitted: {},
    };
    if (modifiers.some((m) => m.interpcode === "code2")) {
      warnings.push(
        "interpolation code2 is pyhf's: discontinuous at |alpha| = 1 (pyhf issue #2729); fits that cross it may stall",
      );
    }
    return new Model(structure, inputs, { poiName, measurement: meas.name, warnings });
  } catch (e) {
    if (e instanceof ModelDefinitionError) {
      throw new WorkspaceError([{ path: e.path, message: e.message.slice(e.path.length + 2) }]);
    }
    throw e;
  }
}

function checkSettings(settings: ModifierSettings): void {
  const known: Record<string, readonly string[]> = {
    normsys: NORMSYS_CODES,
    histosys: HISTOSYS_CODES,
  };
  for (const [type, v] of Object.entries(settings)) {
    if (!(type in known)) {
      throw new WorkspaceError([{
        path: `modifierSettings.${type}`,
        message: `no settings for modifier type ${
          JSON.stringify(type)
        } (configurable: normsys, histosys)`,
      }]);
    }
    for (const [k, code] of Object.entries(v ?? {})) {
      if (k !== "interpcode") {
        throw new WorkspaceError([{
          path: `modifierSettings.${type}.${k}`,
          message: `unknown setting (only interpcode)`,
        }]);
      }
      if (!known[type].includes(code as string)) {
        throw new WorkspaceError([{
          path: `modifierSettings.${type}.interpcode`,
          message: `unsupported interpolation code ${JSON.stringify(code)} (supported: ${
            known[type].join(", ")
          })`,
        }]);
      }
    }
  }
}

function pickMeasurement(ws: Workspace, name: string | undefined): [Measurement, number] {
  if (name === undefined) return [ws.measurements[0], 0];
  const i = ws.measurements.findIndex((m) => m.name === name);
  if (i < 0) {
    throw new WorkspaceError([{
      path: "measurements",
      message: `no measurement named ${JSON.stringify(name)} (available: ${
        ws.measurements.map((m) => JSON.stringify(m.name)).join(", ")
      })`,
    }]);
  }
  return [ws.measurements[i], i];
}

function layoutOf(ws: Workspace): { layout: Layout; samplesIn: Map<string, Set<string>> } {
  const channels = ws.channels.map((c) => c.name).sort();
  const channelNbins: Record<string, number> = {};
  const channelOffset: Record<string, number> = {};
  const samplesIn = new Map<string, Set<string>>();
  const all = new Set<string>();
  let off = 0;
  for (const name of channels) {
    const ch = ws.channels.find((c) => c.name === name)!;
    channelNbins[name] = ch.samples[0].data.length;
    channelOffset[name] = off;
    off += channelNbins[name];
    samplesIn.set(name, new Set(ch.samples.map((s) => s.name)));
    ch.samples.forEach((s) => all.add(s.name));
  }
  return {
    layout: { channels, channelNbins, channelOffset, samples: [...all].sort(), nbins: off },
    samplesIn,
  };
}

/** Modifier uses in pyhf's visiting order: channels, samples, then (name, type), all sorted. */
function usesOf(ws: Workspace, layout: Layout): ModifierUse[] {
  const out: ModifierUse[] = [];
  for (const cname of layout.channels) {
    const ci = ws.channels.findIndex((c) => c.name === cname);
    const ch = ws.channels[ci];
    for (const sname of layout.samples) {
      const si = ch.samples.findIndex((s) => s.name === sname);
      if (si < 0) continue;
      const sample = ch.samples[si];
      const mods = sample.modifiers.map((m, mi) => ({ m, mi }))
        .sort((a, b) => cmp(a.m.name, b.m.name) || cmp(a.m.type, b.m.type));
      for (const { m, mi } of mods) {
        out.push({
          modifier: m as Modifier,
          channel: cname,
          sample: sname,
          sampleIndex: layout.samples.indexOf(sname),
          offset: layout.channelOffset[cname],
          nbins: layout.channelNbins[cname],
          nominal: sample.data,
          path: `channels[${ci}].samples[${si}].modifiers[${mi}]`,
        });
      }
    }
  }
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * What each parameter name is asked to be, by every modifier type that declares it. Parameters
 * are registered type by type, in the order each type's builder meets them: that order is
 * pyhf's `par_order`.
 */
function requirementsOf(
  byType: ReadonlyMap<ModifierType, readonly ModifierUse[]>,
  layout: Layout,
): Map<string, ParamRequirement[]> {
  const requirements = new Map<string, ParamRequirement[]>();
  for (const t of MODIFIER_TYPES) {
    for (const [name, req] of MODIFIERS[t].requirements(byType.get(t)!, layout)) {
      if (!requirements.has(name)) requirements.set(name, []);
      requirements.get(name)!.push(req);
    }
  }
  return requirements;
}

/**
 * The parameter sets (requirements merged with the measurement's configs) and the POI, checked:
 * every problem is collected into one {@link WorkspaceError}. Configs no modifier declares are
 * errors or, when tolerated, warnings (returned for `model.warnings`).
 */
function resolveParameters(
  requirements: ReadonlyMap<string, readonly ParamRequirement[]>,
  meas: Measurement,
  mi: number,
  opts: FromPyhfOptions,
): { paramsets: Paramset[]; poiName: string | null; warnings: string[] } {
  const configPath = `measurements[${mi}].config.parameters`;
  const issues: WorkspaceIssue[] = [];
  const warnings: string[] = [];
  meas.config.parameters.forEach((p, i) => {
    if (requirements.has(p.name)) return;
    const msg = `parameter ${JSON.stringify(p.name)} is configured but no modifier declares it`;
    if (p.name === "lumi" || opts.unknownParameters === "ignore") {
      warnings.push(`${configPath}[${i}]: ${msg}; ignored`);
    } else {
      issues.push({
        path: `${configPath}[${i}].name`,
        message: `${msg} (model parameters: ${[...requirements.keys()].join(", ")})`,
      });
    }
  });
  const paramsets = resolveParamsets(requirements, meas.config.parameters, configPath, issues);
  const poiName = opts.poiName === undefined ? (meas.config.poi || null) : opts.poiName;
  if (poiName !== null) {
    const at = opts.poiName === undefined ? `measurements[${mi}].config.poi` : "poiName";
    const issue = poiIssue(paramsets, poiName);
    if (issue) issues.push({ path: at, message: issue });
  }
  if (paramsets.length === 0) {
    issues.push({ path: "channels", message: "the model has no parameters" });
  }
  if (issues.length) throw new WorkspaceError(issues);
  return { paramsets, poiName, warnings };
}

/** Why `poiName` cannot be the parameter of interest, or null when it can. */
function poiIssue(paramsets: readonly Paramset[], poiName: string): string | null {
  const p = paramsets.find((q) => q.name === poiName);
  if (!p) {
    return `parameter of interest ${
      JSON.stringify(poiName)
    } is not a model parameter (parameters: ${paramsets.map((q) => q.name).join(", ")})`;
  }
  if (p.n !== 1) {
    return `parameter of interest ${
      JSON.stringify(poiName)
    } has ${p.n} components; it must be a single number`;
  }
  return null;
}

/** Each modifier type present, built over all its uses (in `MODIFIER_TYPES` order). */
function buildModifiers(
  byType: ReadonlyMap<ModifierType, readonly ModifierUse[]>,
  layout: Layout,
  paramsets: readonly Paramset[],
  settings: ModifierSettings,
): AppliedModifier[] {
  const params = new Map(paramsets.map((p) => [p.name, p]));
  const modifiers: AppliedModifier[] = [];
  for (const t of MODIFIER_TYPES) {
    const built = MODIFIERS[t].build(byType.get(t)!, {
      layout,
      params,
      settings: (settings as Record<string, Record<string, unknown>>)[t] ?? {},
    });
    if (built) modifiers.push(built);
  }
  return modifiers;
}

/**
 * The nominal yields as one `[S, B]` array (zeros where a channel lacks a sample) and the
 * observed main data, both in the layout's sorted channel order.
 */
function nominalAndObserved(
  ws: Workspace,
  layout: Layout,
): { nominal: Array; observedMain: number[] } {
  const S = layout.samples.length, B = layout.nbins;
  const nominal = new Float64Array(S * B);
  const observedMain: number[] = [];
  for (const c of layout.channels) {
    const ch = ws.channels.find((x) => x.name === c)!;
    for (const smp of ch.samples) {
      nominal.set(smp.data, layout.samples.indexOf(smp.name) * B + layout.channelOffset[c]);
    }
    observedMain.push(...ws.observations.find((o) => o.name === c)!.data);
  }
  return { nominal: array(nominal, "float64", { shape: [S, B] }), observedMain };
}
