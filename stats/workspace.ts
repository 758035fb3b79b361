/**
 * pyhf JSON workspaces: the types, and their validation.
 *
 * Validation has two layers. A zod schema (`workspace_schema.ts`) checks the structure (keys,
 * JSON types, finite numbers), then {@link validateWorkspace} checks what a schema cannot say: bin
 * counts that must agree across samples, modifiers and observations, non-negative yields, one
 * observation per channel, unique names, known modifier types. Every problem is reported with the JSON path of the offending value,
 * e.g. `channels[1].samples[0].modifiers[2].data.hi_data: expected 12 numbers, got 11`.
 *
 * @module
 */
import {
  formatPath,
  modifierDataShape,
  type ParsedWorkspace,
  workspaceShape,
  zodIssues,
} from "./workspace_schema.ts";

export { formatPath };

/** The modifier types of HistFactory, in the order pyhf builds their parameters. */
export const MODIFIER_TYPES = [
  "histosys",
  "lumi",
  "normfactor",
  "normsys",
  "shapefactor",
  "shapesys",
  "staterror",
] as const;
/** One of {@link MODIFIER_TYPES}. */
export type ModifierType = typeof MODIFIER_TYPES[number];

/** A free normalisation factor (`data` is null). */
export interface NormfactorModifier {
  /** Parameter name. */
  name: string;
  /** Modifier type. */
  type: "normfactor";
  /** Always null. */
  data: null;
}
/** The luminosity modifier; its constraint comes from the measurement config. */
export interface LumiModifier {
  /** Parameter name. */
  name: string;
  /** Modifier type. */
  type: "lumi";
  /** Always null. */
  data: null;
}
/** One free factor per bin (`data` is null). */
export interface ShapefactorModifier {
  /** Parameter name. */
  name: string;
  /** Modifier type. */
  type: "shapefactor";
  /** Always null. */
  data: null;
}
/** A normalisation uncertainty: the sample is scaled by `hi` at +1σ and `lo` at −1σ. */
export interface NormsysModifier {
  /** Parameter name. */
  name: string;
  /** Modifier type. */
  type: "normsys";
  /** Scale factors at ±1σ. */
  data: { hi: number; lo: number };
}
/** A shape uncertainty: the sample's histograms at ±1σ. */
export interface HistosysModifier {
  /** Parameter name. */
  name: string;
  /** Modifier type. */
  type: "histosys";
  /** Yields at ±1σ, one per bin. */
  data: { hi_data: number[]; lo_data: number[] };
}
/** Uncorrelated per-bin uncertainties (absolute), Poisson-constrained. */
export interface ShapesysModifier {
  /** Parameter name. */
  name: string;
  /** Modifier type. */
  type: "shapesys";
  /** Absolute uncertainty per bin. */
  data: number[];
}
/** MC statistical uncertainties (absolute), combined per bin over samples, Gaussian-constrained. */
export interface StaterrorModifier {
  /** Parameter name. */
  name: string;
  /** Modifier type. */
  type: "staterror";
  /** Absolute uncertainty per bin. */
  data: number[];
}
/** Any modifier. */
export type Modifier =
  | NormfactorModifier
  | LumiModifier
  | ShapefactorModifier
  | NormsysModifier
  | HistosysModifier
  | ShapesysModifier
  | StaterrorModifier;

/** A sample: nominal yields per bin and the modifiers acting on them. */
export interface Sample {
  /** Sample name (unique within its channel). */
  name: string;
  /** Nominal yields, one per bin. */
  data: number[];
  /** Modifiers. */
  modifiers: Modifier[];
}
/** A channel (region) of the measurement. */
export interface Channel {
  /** Channel name (unique). */
  name: string;
  /** Its samples. */
  samples: Sample[];
}
/** Observed counts of one channel. */
export interface Observation {
  /** Channel name. */
  name: string;
  /** Counts, one per bin. */
  data: number[];
}
/** A parameter's settings in a measurement (each field optional). */
export interface ParameterConfig {
  /** Parameter name. */
  name: string;
  /** Initial values, one per component. */
  inits?: number[];
  /** Bounds, one `[lo, hi]` per component. */
  bounds?: [number, number][];
  /** Fix every component at its initial value. */
  fixed?: boolean;
  /** Auxiliary data of the constraint, one per component. */
  auxdata?: number[];
  /** Widths of Gaussian constraints, one per component. */
  sigmas?: number[];
  /** Rate factors of Poisson constraints, one per component. */
  factors?: number[];
}
/** A measurement: the parameter of interest and parameter settings. */
export interface Measurement {
  /** Measurement name. */
  name: string;
  /** Its configuration. */
  config: { poi: string; parameters: ParameterConfig[] };
}
/** A validated pyhf workspace. */
export interface Workspace {
  /** The channels. */
  channels: Channel[];
  /** Observed data, one entry per channel. */
  observations: Observation[];
  /** Measurements (at least one). */
  measurements: Measurement[];
  /** Schema version (pyhf writes "1.0.0"). */
  version?: string;
}

/** One problem found in a workspace, at a JSON path. */
export interface WorkspaceIssue {
  /** JSON path of the offending value, like `channels[0].samples[1].data`. */
  path: string;
  /** What is wrong. */
  message: string;
}

/**
 * A workspace (or a measurement setting) is invalid. `issues` lists every problem found, each with
 * the JSON path of the offending value; the message shows them.
 *
 * @example
 * ```ts
 * import { validateWorkspace, WorkspaceError } from "./mod.ts";
 * try {
 *   validateWorkspace({ channels: [] });
 * } catch (e) {
 *   if (e instanceof WorkspaceError) console.log(e.issues[0].path);
 * }
 * ```
 */
export class WorkspaceError extends Error {
  /** Every problem found. */
  readonly issues: readonly WorkspaceIssue[];
  /** An error listing `issues` (at least one). */
  constructor(issues: readonly WorkspaceIssue[]) {
    const shown = issues.slice(0, 8).map((i) => `${i.path}: ${i.message}`);
    if (issues.length > 8) shown.push(`... and ${issues.length - 8} more`);
    super(shown.join("\n"));
    this.name = "WorkspaceError";
    this.issues = issues;
  }
  /** Path of the first problem. */
  get path(): string {
    return this.issues[0]?.path ?? "";
  }
}

// ---------------------------------------------------------------------------------------------
// Semantics.

function checkCounts(
  issues: WorkspaceIssue[],
  path: string,
  values: readonly number[],
  nbins: number,
  what: string,
  nonNegative: boolean,
): void {
  if (values.length !== nbins) {
    issues.push({
      path,
      message: `expected ${nbins} numbers, got ${values.length}`,
    });
  }
  if (nonNegative) {
    values.forEach((v, i) => {
      if (v < 0) issues.push({ path: `${path}[${i}]`, message: `negative ${what} ${v}` });
    });
  }
}

function checkModifier(
  issues: WorkspaceIssue[],
  m: { name: string; type: string; data: unknown },
  path: string,
  pathParts: PropertyKey[],
  root: unknown,
  nbins: number,
): void {
  if (!(MODIFIER_TYPES as readonly string[]).includes(m.type)) {
    issues.push({
      path: `${path}.type`,
      message: `unknown modifier type ${JSON.stringify(m.type)} (known types: ${
        MODIFIER_TYPES.join(", ")
      })`,
    });
    return;
  }
  const type = m.type as ModifierType;
  const parsed = modifierDataShape[type].safeParse(m.data ?? null);
  if (!parsed.success) {
    issues.push(...zodIssues(parsed.error, root, [...pathParts, "data"]));
    return;
  }
  switch (type) {
    case "normsys": {
      const d = m.data as { hi: number; lo: number };
      // code1 and code4 take logarithms of both factors, so they must be positive.
      for (const k of ["hi", "lo"] as const) {
        if (!(d[k] > 0)) {
          issues.push({
            path: `${path}.data.${k}`,
            message: `normsys factor must be positive, got ${d[k]}`,
          });
        }
      }
      break;
    }
    case "histosys": {
      const d = m.data as { hi_data: number[]; lo_data: number[] };
      checkCounts(issues, `${path}.data.hi_data`, d.hi_data, nbins, "yield", false);
      checkCounts(issues, `${path}.data.lo_data`, d.lo_data, nbins, "yield", false);
      break;
    }
    case "shapesys":
    case "staterror":
      checkCounts(issues, `${path}.data`, m.data as number[], nbins, "uncertainty", true);
      break;
  }
}

/**
 * Checks that `json` is a well-formed pyhf workspace and returns it typed. Throws a
 * {@link WorkspaceError} listing every problem with its JSON path otherwise.
 *
 * Checked beyond structure: at least one channel, sample and measurement; unique channel,
 * sample-in-channel, measurement and parameter-config names; every sample, `hi_data`/`lo_data`,
 * `shapesys`/`staterror` data and observation having the channel's bin count (that of its first
 * sample); finite, non-negative yields, observations and uncertainties; positive normsys factors;
 * known modifier types; no modifier repeated on a sample; exactly one observation per channel;
 * bounds with lo ≤ hi.
 *
 * @example
 * ```ts
 * import { validateWorkspace } from "./mod.ts";
 * const ws = validateWorkspace({
 *   channels: [{ name: "sr", samples: [{ name: "s", data: [5], modifiers: [
 *     { name: "mu", type: "normfactor", data: null }] }] }],
 *   observations: [{ name: "sr", data: [6] }],
 *   measurements: [{ name: "m", config: { poi: "mu", parameters: [] } }],
 *   version: "1.0.0",
 * });
 * console.log(ws.channels[0].name); // "sr"
 * ```
 */
export function validateWorkspace(json: unknown): Workspace {
  const parsed = workspaceShape.safeParse(json);
  if (!parsed.success) throw new WorkspaceError(zodIssues(parsed.error, json));
  const ws = parsed.data;
  const issues: WorkspaceIssue[] = [];
  const nbinsOf = checkChannels(ws, json, issues);
  checkObservations(ws, nbinsOf, issues);
  checkMeasurements(ws, issues);
  if (issues.length) throw new WorkspaceError(issues);
  return ws as Workspace;
}

/** Channels and their samples and modifiers; returns each channel's number of bins. */
function checkChannels(
  ws: ParsedWorkspace,
  json: unknown,
  issues: WorkspaceIssue[],
): Map<string, number> {
  const nbinsOf = new Map<string, number>();
  ws.channels.forEach((ch, c) => {
    const cp = `channels[${c}]`;
    if (nbinsOf.has(ch.name)) {
      issues.push({
        path: `${cp}.name`,
        message: `duplicate channel name ${JSON.stringify(ch.name)}`,
      });
    }
    const nbins = ch.samples[0].data.length;
    nbinsOf.set(ch.name, nbins);
    if (nbins === 0) {
      issues.push({ path: `${cp}.samples[0].data`, message: "a channel needs at least one bin" });
    }
    const sampleNames = new Set<string>();
    ch.samples.forEach((s, si) => {
      const sp = `${cp}.samples[${si}]`;
      if (sampleNames.has(s.name)) {
        issues.push({
          path: `${sp}.name`,
          message: `duplicate sample name ${JSON.stringify(s.name)} in channel ${
            JSON.stringify(ch.name)
          }`,
        });
      }
      sampleNames.add(s.name);
      checkCounts(issues, `${sp}.data`, s.data, nbins, "yield", true);
      const seen = new Set<string>();
      s.modifiers.forEach((m, mi) => {
        const mp = `${sp}.modifiers[${mi}]`;
        const key = `${m.type}/${m.name}`;
        if (seen.has(key)) {
          issues.push({
            path: mp,
            message: `modifier ${
              JSON.stringify(m.name)
            } of type ${m.type} appears twice on sample ${JSON.stringify(s.name)}`,
          });
        }
        seen.add(key);
        checkModifier(issues, m, mp, ["channels", c, "samples", si, "modifiers", mi], json, nbins);
      });
    });
  });
  return nbinsOf;
}

/** One observation per channel, of the channel's number of bins. */
function checkObservations(
  ws: ParsedWorkspace,
  nbinsOf: ReadonlyMap<string, number>,
  issues: WorkspaceIssue[],
): void {
  const observed = new Set<string>();
  ws.observations.forEach((o, i) => {
    const op = `observations[${i}]`;
    const nbins = nbinsOf.get(o.name);
    if (nbins === undefined) {
      issues.push({
        path: `${op}.name`,
        message: `observation for unknown channel ${JSON.stringify(o.name)}`,
      });
      return;
    }
    if (observed.has(o.name)) {
      issues.push({
        path: `${op}.name`,
        message: `second observation for channel ${JSON.stringify(o.name)}`,
      });
    }
    observed.add(o.name);
    checkCounts(issues, `${op}.data`, o.data, nbins, "count", true);
  });
  ws.channels.forEach((ch) => {
    if (!observed.has(ch.name)) {
      issues.push({
        path: "observations",
        message: `missing observation for channel ${JSON.stringify(ch.name)}`,
      });
    }
  });
}

/** Unique measurement and parameter names, ordered bounds, positive sigmas. */
function checkMeasurements(ws: ParsedWorkspace, issues: WorkspaceIssue[]): void {
  const measurementNames = new Set<string>();
  ws.measurements.forEach((m, i) => {
    const mp = `measurements[${i}]`;
    if (measurementNames.has(m.name)) {
      issues.push({
        path: `${mp}.name`,
        message: `duplicate measurement name ${JSON.stringify(m.name)}`,
      });
    }
    measurementNames.add(m.name);
    const paramNames = new Set<string>();
    m.config.parameters.forEach((p, j) => {
      const pp = `${mp}.config.parameters[${j}]`;
      if (paramNames.has(p.name)) {
        issues.push({
          path: `${pp}.name`,
          message: `second configuration for parameter ${JSON.stringify(p.name)}`,
        });
      }
      paramNames.add(p.name);
      p.bounds?.forEach(([lo, hi], k) => {
        if (!(lo <= hi)) {
          issues.push({
            path: `${pp}.bounds[${k}]`,
            message: `lower bound ${lo} exceeds upper bound ${hi}`,
          });
        }
      });
      p.sigmas?.forEach((s, k) => {
        if (!(s > 0)) {
          issues.push({ path: `${pp}.sigmas[${k}]`, message: `sigma must be positive, got ${s}` });
        }
      });
    });
  });
}

/**
 * Parses JSON text and validates it as a workspace ({@link validateWorkspace}). Malformed JSON is a
 * {@link WorkspaceError} at path `(json)`.
 *
 * @example
 * ```ts
 * import { parseWorkspace } from "./mod.ts";
 * try { parseWorkspace("{ not json"); } catch (e) { console.log((e as Error).message); }
 * ```
 */
export function parseWorkspace(text: string): Workspace {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new WorkspaceError([{
      path: "(json)",
      message: `malformed JSON: ${(e as Error).message}`,
    }]);
  }
  return validateWorkspace(json);
}
