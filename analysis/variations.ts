/**
 * Corrections and systematic variations over {@link Events}: object-level ones rescale or shift
 * collection fields (a jet energy scale multiplies Jet pT and mass, and the selection and
 * observables are recomputed downstream), event-level ones produce per-event weight factors, and
 * normalisation ones are numbers the workspace turns into `normsys` modifiers. A variation applies
 * to the MC processes listed in its `processes` (all MC when absent), never to data.
 *
 * @module
 */
import { type Array, asArray } from "../core/mod.ts";
import type { CorrectionConfig, SystematicConfig } from "./config/schema.ts";
import type { Events } from "./events.ts";
import { withObjects } from "./events.ts";
import { type Collection, collection } from "./jagged.ts";

/**
 * Whether a correction or systematic applies to a process.
 *
 * @example
 * ```ts
 * import { appliesTo } from "./variations.ts";
 * appliesTo({ processes: ["wjets"] }, "wjets", false); // true
 * ```
 */
export function appliesTo(
  v: { processes?: readonly string[] | null },
  process: string,
  isData: boolean,
): boolean {
  if (isData) return false;
  return v.processes === undefined || v.processes === null || v.processes.includes(process);
}

/** An object-level change: targets, op, and the function giving the factor or shift. */
interface ObjectChange {
  name: string;
  op: "mult" | "add";
  targets: readonly (readonly [string, string])[];
  function: (fields: Readonly<Record<string, Array>>, ev: Events) => Array | number;
}

/**
 * Applies an object-level change to its target fields: `field × f(fields)` (op `mult`) or
 * `field + f(fields)` (op `add`). The function sees the collection's fields before the change.
 *
 * @example
 * ```ts
 * import { applyObjectChange } from "./variations.ts";
 * const up = applyObjectChange(ev, {
 *   name: "jes", op: "mult", targets: [["Jet", "pt"]], function: () => 1.03,
 * });
 * ```
 */
export function applyObjectChange(ev: Events, change: ObjectChange): Events {
  const byColl = new Map<string, string[]>();
  for (const [c, f] of change.targets) byColl.set(c, [...(byColl.get(c) ?? []), f]);
  const replaced: Record<string, Collection> = {};
  for (const [name, fieldNames] of byColl) {
    const c = ev.objects[name];
    const fields = { ...c.fields };
    const f = asArray(change.function(c.fields, ev));
    if (f.ndim !== 0 && (f.ndim !== 1 || f.shape[0] !== c.nObjects)) {
      throw new Error(
        `${change.name}: function returned shape [${f.shape}] for ${name}, expected a number ` +
          `or [${c.nObjects}]`,
      );
    }
    for (const k of fieldNames) {
      const v = c.fields[k];
      fields[k] = change.op === "mult" ? v.mul(f) : v.add(f);
    }
    replaced[name] = collection(name, c.offsets, fields);
  }
  return withObjects(ev, replaced);
}

/**
 * One shape-affecting variation of a process: `nominal`, or a systematic's `up`/`down`.
 *
 * @example
 * ```ts
 * import type { Variation } from "./variations.ts";
 * const v: Variation = { name: "jet_energy_scale", direction: "up", kind: "object" };
 * ```
 */
export interface Variation {
  /** Systematic name (`nominal` for the nominal). */
  name: string;
  /** `up`, `down` (or `nominal`). */
  direction: "up" | "down" | "nominal";
  /** Object variations re-run selection and observables; event ones reweight. */
  kind: "nominal" | "object" | "event";
}

/**
 * The histogram key of a variation: `nominal`, `<name>_up`, `<name>_down`.
 *
 * @example
 * ```ts
 * import { variationKey } from "./variations.ts";
 * variationKey({ name: "jes", direction: "up", kind: "object" }); // "jes_up"
 * ```
 */
export function variationKey(v: Variation): string {
  return v.direction === "nominal" ? "nominal" : `${v.name}_${v.direction}`;
}

/**
 * Object-level variations (each re-runs the selection) that apply to a process.
 *
 * @example
 * ```ts
 * import { objectVariations } from "./variations.ts";
 * objectVariations(cfg.systematics, "ttbar_semilep", false).map((v) => v.name);
 * ```
 */
export function objectVariations(
  systematics: readonly SystematicConfig[],
  process: string,
  isData: boolean,
): Variation[] {
  const out: Variation[] = [];
  for (const s of systematics) {
    if (s.type !== "object" || !appliesTo(s, process, isData)) continue;
    out.push({ name: s.name, direction: "up", kind: "object" });
    out.push({ name: s.name, direction: "down", kind: "object" });
  }
  return out;
}

/**
 * Applies a process's object-level corrections (nominal) and, for an object variation, that
 * systematic's up or down change.
 *
 * @example
 * ```ts
 * import { applyObjectLevel } from "./variations.ts";
 * const varied = applyObjectLevel(ev, cfg, "ttbar_semilep", false, variation);
 * ```
 */
export function applyObjectLevel(
  ev: Events,
  cfg: { corrections: readonly CorrectionConfig[]; systematics: readonly SystematicConfig[] },
  process: string,
  isData: boolean,
  variation: Variation,
): Events {
  let out = ev;
  for (const c of cfg.corrections) {
    if (c.type === "object" && appliesTo(c, process, isData)) out = applyObjectChange(out, c);
  }
  if (variation.kind === "object") {
    const s = cfg.systematics.find((x) => x.name === variation.name);
    if (!s || s.type !== "object") throw new Error(`unknown object systematic ${variation.name}`);
    out = applyObjectChange(out, {
      name: `${s.name} (${variation.direction})`,
      op: s.op,
      targets: s.targets,
      function: variation.direction === "up" ? s.upFunction : s.downFunction,
    });
  }
  return out;
}

/**
 * Per-event weight factors of the selected events: the product of the nominal event corrections,
 * and for every event-level variation (a correction's up/down, an event systematic's up/down)
 * the weights with that variation. `mult` factors multiply, `add` ones are added to the weight.
 *
 * @example
 * ```ts
 * import { eventWeights } from "./variations.ts";
 * const { nominal, variations } = eventWeights(sel, baseWeights, cfg, "wjets", false, true);
 * ```
 */
export function eventWeights(
  ev: Events,
  base: Float64Array,
  cfg: { corrections: readonly CorrectionConfig[]; systematics: readonly SystematicConfig[] },
  process: string,
  isData: boolean,
  withSystematics: boolean,
): { nominal: Float64Array; variations: Record<string, Float64Array> } {
  const evalFn = (what: string, f: (ev: Events) => unknown): Float64Array => {
    const a = asArray(f(ev) as number);
    const n = ev.nEvents;
    if (a.ndim === 0) return new Float64Array(n).fill(a.item());
    if (a.ndim !== 1 || a.shape[0] !== n) {
      throw new Error(`${what}: returned shape [${a.shape}], expected a number or [${n}]`);
    }
    return Float64Array.from(a.astype("float64").dataSync());
  };
  const apply = (w: Float64Array, op: "mult" | "add", f: Float64Array): Float64Array =>
    Float64Array.from(w, (x, i) => op === "mult" ? x * f[i] : x + f[i]);
  const corrections = cfg.corrections.filter((c) =>
    c.type === "event" && appliesTo(c, process, isData)
  );
  const factors = corrections.map((c) =>
    c.type === "event" ? evalFn(`correction ${c.name}`, c.function) : new Float64Array()
  );
  const withCorrections = (replace?: { index: number; factor: Float64Array }): Float64Array => {
    let w: Float64Array = Float64Array.from(base);
    corrections.forEach((c, i) => {
      const f = replace?.index === i ? replace.factor : factors[i];
      w = apply(w, c.op, f);
    });
    return w;
  };
  const nominal = withCorrections();
  const variations: Record<string, Float64Array> = {};
  if (!withSystematics) return { nominal, variations };
  corrections.forEach((c, i) => {
    if (c.type !== "event") return;
    if (c.upFunction) {
      variations[`${c.name}_up`] = withCorrections({
        index: i,
        factor: evalFn(`correction ${c.name} (up)`, c.upFunction),
      });
    }
    if (c.downFunction) {
      variations[`${c.name}_down`] = withCorrections({
        index: i,
        factor: evalFn(`correction ${c.name} (down)`, c.downFunction),
      });
    }
  });
  for (const s of cfg.systematics) {
    if (s.type !== "event" || !appliesTo(s, process, isData)) continue;
    variations[`${s.name}_up`] = apply(nominal, s.op, evalFn(`${s.name} (up)`, s.upFunction));
    variations[`${s.name}_down`] = apply(
      nominal,
      s.op,
      evalFn(`${s.name} (down)`, s.downFunction),
    );
  }
  return { nominal, variations };
}

/**
 * The names of the shape systematics a process has (object and event level, corrections with
 * up/down included), i.e. those with `<name>_up`/`<name>_down` histograms.
 *
 * @example
 * ```ts
 * import { shapeSystematicNames } from "./variations.ts";
 * shapeSystematicNames(cfg, "ttbar_semilep", false); // ["muon_id_sf", "jet_energy_scale"]
 * ```
 */
export function shapeSystematicNames(
  cfg: { corrections: readonly CorrectionConfig[]; systematics: readonly SystematicConfig[] },
  process: string,
  isData: boolean,
): string[] {
  const out: string[] = [];
  for (const c of cfg.corrections) {
    if (c.type === "event" && c.upFunction && c.downFunction && appliesTo(c, process, isData)) {
      out.push(c.name);
    }
  }
  for (const s of cfg.systematics) {
    if (s.type !== "normalisation" && appliesTo(s, process, isData)) out.push(s.name);
  }
  return out;
}
