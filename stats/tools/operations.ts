/**
 * pyhf's workspace operations on pyhf JSON workspaces: `prune`, `rename`, `combine` (with pyhf's
 * join modes) and `sorted`. Each returns a new, validated workspace and never changes its input;
 * names that do not exist, and combinations pyhf refuses, are errors with pyhf's reasons.
 *
 * @module
 */
import { validateWorkspace, type Workspace } from "../workspace.ts";

/** A workspace operation pyhf would refuse (`InvalidWorkspaceOperation`). */
export class WorkspaceOperationError extends Error {
  /**
   * An error whose message says what is wrong, naming the items.
   *
   * @param message what is wrong, naming the items.
   */
  constructor(message: string) {
    super(message);
    this.name = "WorkspaceOperationError";
  }
}

/** What {@link prune} removes (by name, or modifiers by type). */
export interface PruneOptions {
  /** Modifier (parameter) names. */
  modifiers?: string[];
  /** Modifier types (`normsys`, `histosys`, ...). */
  modifierTypes?: string[];
  /** Sample names (in every channel). */
  samples?: string[];
  /** Channel names (their observations go too). */
  channels?: string[];
  /** Measurement names. */
  measurements?: string[];
}

/** What {@link rename} renames: old name → new name. */
export interface RenameOptions {
  /** Modifiers (and their parameter configs and the POI). */
  modifiers?: Record<string, string>;
  /** Samples. */
  samples?: Record<string, string>;
  /** Channels (and their observations). */
  channels?: Record<string, string>;
  /** Measurements. */
  measurements?: Record<string, string>;
}

/** pyhf's join modes of {@link combine}. */
export const JOINS = ["none", "outer", "left outer", "right outer"] as const;
/** One of {@link JOINS}. */
export type Join = typeof JOINS[number];

const clone = <T>(x: T): T => structuredClone(x);
const uniq = <T>(xs: T[]) => [...new Set(xs)];

/** Names present in a workspace, as pyhf lists them. */
function inventory(ws: Workspace) {
  const samples = uniq(ws.channels.flatMap((c) => c.samples.map((s) => s.name)));
  const mods = ws.channels.flatMap((c) => c.samples.flatMap((s) => s.modifiers));
  return {
    channels: ws.channels.map((c) => c.name),
    samples,
    modifiers: uniq(mods.map((m) => m.name)),
    modifierTypes: uniq(mods.map((m) => m.type as string)),
    measurements: ws.measurements.map((m) => m.name),
  };
}

function requireKnown(names: Iterable<string>, known: string[], what: string): void {
  for (const n of names) {
    if (!known.includes(n)) {
      throw new WorkspaceOperationError(`${n} is not one of the ${what} in this workspace.`);
    }
  }
}

function pruneAndRename(ws: Workspace, p: PruneOptions, r: RenameOptions): Workspace {
  const inv = inventory(ws);
  requireKnown(p.modifierTypes ?? [], inv.modifierTypes, "modifier types");
  requireKnown(
    [...p.modifiers ?? [], ...Object.keys(r.modifiers ?? {})],
    inv.modifiers,
    "modifiers",
  );
  requireKnown([...p.samples ?? [], ...Object.keys(r.samples ?? {})], inv.samples, "samples");
  requireKnown([...p.channels ?? [], ...Object.keys(r.channels ?? {})], inv.channels, "channels");
  requireKnown(
    [...p.measurements ?? [], ...Object.keys(r.measurements ?? {})],
    inv.measurements,
    "measurements",
  );
  const drop = (list: string[] | undefined, name: string) => (list ?? []).includes(name);
  const to = (map: Record<string, string> | undefined, name: string) =>
    Object.hasOwn(map ?? {}, name) ? map![name] : name;
  const spec = {
    channels: ws.channels.filter((c) => !drop(p.channels, c.name)).map((c) => ({
      name: to(r.channels, c.name),
      samples: c.samples.filter((s) => !drop(p.samples, s.name)).map((s) => ({
        name: to(r.samples, s.name),
        data: clone(s.data),
        modifiers: s.modifiers
          .filter((m) => !drop(p.modifiers, m.name) && !drop(p.modifierTypes, m.type))
          .map((m) => ({ ...clone(m), name: to(r.modifiers, m.name) })),
      })),
    })),
    measurements: ws.measurements.filter((m) => !drop(p.measurements, m.name)).map((m) => ({
      name: to(r.measurements, m.name),
      config: {
        parameters: m.config.parameters.filter((q) => !drop(p.modifiers, q.name))
          .map((q) => ({ ...clone(q), name: to(r.modifiers, q.name) })),
        poi: to(r.modifiers, m.config.poi),
      },
    })),
    observations: ws.observations.filter((o) => !drop(p.channels, o.name)).map((o) => ({
      ...clone(o),
      name: to(r.channels, o.name),
    })),
    version: ws.version,
  };
  return validateWorkspace(spec);
}

/**
 * pyhf's `Workspace.prune`: a new workspace without the named channels, samples, modifiers (by
 * name or type) and measurements. Pruning a name that does not exist is an error.
 *
 * @example
 * ```ts ignore
 * import { prune } from "./operations.ts";
 * const noShapes = prune(ws, { modifierTypes: ["histosys"] });
 * ```
 */
export function prune(ws: Workspace, opts: PruneOptions): Workspace {
  return pruneAndRename(ws, opts, {});
}

/**
 * pyhf's `Workspace.rename`: a new workspace with channels, samples, modifiers (and their
 * parameter configs and the POI) and measurements renamed.
 *
 * @example
 * ```ts ignore
 * import { rename } from "./operations.ts";
 * const ws2 = rename(ws, { channels: { SR: "signal_region" }, modifiers: { mu: "mu_sig" } });
 * ```
 */
export function rename(ws: Workspace, opts: RenameOptions): Workspace {
  return pruneAndRename(ws, {}, opts);
}

/** `a` and `b` are the same JSON value. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>, rb = b as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(rb, k) && jsonEqual(ra[k], rb[k]));
}

type Named = { name: string };

/** pyhf's `_join_items`: join two lists of named items (deep-merging `deepKey` lists). */
function joinItems<T extends Named>(join: Join, left: T[], right: T[], deepKey?: keyof T): T[] {
  const [primary, secondary] = join === "right outer" ? [right, left] : [left, right];
  const joined = clone(primary);
  const keys = joined.map((x) => x.name);
  for (const item of secondary) {
    const at = keys.indexOf(item.name);
    if (at >= 0 && deepKey !== undefined) {
      const target = joined[at] as Record<keyof T, Named[]>;
      target[deepKey] = joinItems(
        "left outer",
        target[deepKey],
        (item as Record<keyof T, Named[]>)[deepKey],
      );
    } else if (
      join === "none" ||
      (join === "outer" && !primary.some((p) => jsonEqual(p, item))) ||
      ((join === "left outer" || join === "right outer") && at < 0)
    ) {
      joined.push(clone(item));
    }
  }
  return joined;
}

/** Names that occur more than once. */
const repeated = (items: Named[]) =>
  uniq(items.map((x) => x.name).filter((n, i, all) => all.indexOf(n) !== i));

function joinChecked<T extends Named>(
  what: string,
  join: Join,
  left: T[],
  right: T[],
  deepKey?: keyof T,
): T[] {
  const joined = joinItems(join, left, right, deepKey);
  if (join === "none") {
    const common = left.map((x) => x.name).filter((n) => right.some((y) => y.name === n));
    if (common.length) {
      throw new WorkspaceOperationError(
        `Workspaces cannot have any ${what} in common with the same name: ${common.join(", ")}. ` +
          `You can also try a different join operation: ${JOINS.join(", ")}.`,
      );
    }
  } else if (join === "outer" && what !== "measurements") {
    const bad = repeated(joined);
    if (bad.length) {
      throw new WorkspaceOperationError(
        `Workspaces cannot have ${what} in common with incompatible structure: ${
          bad.join(", ")
        }. ` +
          `You can also try a different join operation: ${JOINS.join(", ")}.`,
      );
    }
  }
  return joined;
}

function joinMeasurements(join: Join, left: Workspace["measurements"], right: typeof left) {
  const joined = joinChecked("measurements", join, left, right);
  if (join !== "outer") return joined;
  const byName = new Map<string, typeof joined>();
  for (const m of joined) byName.set(m.name, [...byName.get(m.name) ?? [], m]);
  const badPoi = [...byName].filter(([, ms]) => uniq(ms.map((m) => m.config.poi)).length > 1);
  if (badPoi.length) {
    throw new WorkspaceOperationError(
      `Workspaces cannot have the same measurements with incompatible POI: ${
        badPoi.map(([n]) => n).join(", ")
      }.`,
    );
  }
  return [...byName].map(([name, ms]) => {
    if (ms.length === 1) return ms[0];
    const parameters = joinItems("outer", ms[0].config.parameters, ms[1].config.parameters);
    const bad = repeated(parameters);
    if (bad.length) {
      throw new WorkspaceOperationError(
        `Workspaces cannot have a measurement (${name}) with incompatible parameter configs: ${
          bad.join(", ")
        }. You can also try a different join operation: ${JOINS.join(", ")}.`,
      );
    }
    return { name, config: { poi: ms[0].config.poi, parameters } };
  });
}

/**
 * pyhf's `Workspace.combine(left, right, join, merge_channels)`: the union of channels,
 * observations and measurements. `join` is `"none"` (no names in common), `"outer"` (identical
 * items merge; same name with different content is an error), or `"left outer"`/`"right outer"`
 * (on a name clash the left/right item wins). `mergeChannels` (outer joins only) merges the
 * samples of channels with the same name.
 *
 * @example
 * ```ts ignore
 * import { combine } from "./operations.ts";
 * const both = combine(wsA, wsB, { join: "outer" });
 * ```
 */
export function combine(
  left: Workspace,
  right: Workspace,
  opts: { join?: Join; mergeChannels?: boolean } = {},
): Workspace {
  const join = opts.join ?? "none";
  if (!JOINS.includes(join)) {
    throw new RangeError(
      `combine: join must be one of ${JOINS.map((j) => JSON.stringify(j)).join(", ")}; not ${
        JSON.stringify(join)
      }`,
    );
  }
  if (opts.mergeChannels && join === "none") {
    throw new RangeError(
      "combine: channels can only be merged with the 'outer', 'left outer' or 'right outer' joins",
    );
  }
  if ((left.version ?? "1.0.0") !== (right.version ?? "1.0.0")) {
    throw new WorkspaceOperationError(
      `Workspaces of different versions cannot be combined: ${left.version} != ${right.version}`,
    );
  }
  return validateWorkspace({
    channels: joinChecked(
      "channels",
      join,
      left.channels,
      right.channels,
      opts.mergeChannels ? "samples" : undefined,
    ),
    measurements: joinMeasurements(join, left.measurements, right.measurements),
    observations: joinChecked("observations", join, left.observations, right.observations),
    version: left.version,
  });
}

const byName = (a: Named, b: Named) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * pyhf's `Workspace.sorted`: channels, samples, observations, measurements and parameter configs
 * sorted by name, modifiers by (name, type).
 *
 * @example
 * ```ts ignore
 * import { sorted } from "./operations.ts";
 * const canonical = sorted(ws);
 * ```
 */
export function sorted(ws: Workspace): Workspace {
  const s = clone(ws);
  s.channels.sort(byName);
  for (const c of s.channels) {
    c.samples.sort(byName);
    for (const smp of c.samples) {
      smp.modifiers.sort((a, b) =>
        byName(a, b) || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0)
      );
    }
  }
  s.measurements.sort(byName);
  for (const m of s.measurements) m.config.parameters.sort(byName);
  s.observations.sort(byName);
  return validateWorkspace(s);
}
