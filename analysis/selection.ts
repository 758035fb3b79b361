/**
 * The selection chain shared by the non-differentiable and the differentiable paths: object-level
 * corrections/variations → good objects (analysis and MVA variants) → ghost observables (once per
 * event) → baseline selection → channel selections. Each step that drops events also returns the
 * indices of the kept events, so per-event weights (host arrays) follow.
 *
 * @module
 */
import type { Array } from "../core/mod.ts";
import type { Config } from "./config/schema.ts";
import { applyObjectMasks, type Events, selectEvents, withColumns } from "./events.ts";
import { hostMask, maskIndices } from "./jagged.ts";
import { applyObjectLevel, type Variation } from "./variations.ts";

/**
 * Events after a selection, with the indices (into the events before it) of those kept.
 *
 * @example
 * ```ts
 * import type { Selected } from "./selection.ts";
 * const weightsOf = (s: Selected, w: Float64Array) => Float64Array.from(s.index, (i) => w[i]);
 * ```
 */
export interface Selected {
  /** The kept events. */
  events: Events;
  /** Their indices in the input. */
  index: Int32Array;
}

/**
 * Keeps the events passing a selection function (which must return a bool per event).
 *
 * @example
 * ```ts
 * import { applySelection } from "./selection.ts";
 * const s = applySelection(ev, (e) => e.event.MET_pt.gt(50), "met cut");
 * ```
 */
export function applySelection(
  ev: Events,
  fn: (ev: Events) => Array,
  what: string,
): Selected {
  const mask = fn(ev);
  if (mask.ndim !== 1 || mask.shape[0] !== ev.nEvents) {
    throw new Error(`${what}: returned shape [${mask.shape}], expected [${ev.nEvents}]`);
  }
  const m = hostMask(mask, ev.nEvents, what);
  return { events: selectEvents(ev, m), index: maskIndices(m) };
}

/**
 * Object-level corrections and the variation, good objects, ghost observables, and the baseline
 * selection, for one process: what every channel starts from.
 *
 * @example
 * ```ts
 * import { prepareBaseline } from "./selection.ts";
 * const base = prepareBaseline(ev, cfg, "ttbar_semilep", false, { name: "nominal", direction: "nominal", kind: "nominal" });
 * ```
 */
export function prepareBaseline(
  ev: Events,
  cfg: Config,
  process: string,
  isData: boolean,
  variation: Variation,
): Selected {
  const varied = applyObjectLevel(ev, cfg, process, isData, variation);
  const good = applyObjectMasks(varied, cfg.goodObjectMasks.analysis);
  const needsMva = cfg.ghostObservables.some((g) => g.collections === "mva");
  const mvaEv = needsMva ? applyObjectMasks(varied, cfg.goodObjectMasks.mva) : good;
  const ghost: Record<string, Array> = {};
  cfg.ghostObservables.forEach((g, i) => {
    const out = g.function(g.collections === "mva" ? mvaEv : good);
    for (const n of g.names) {
      if (!(n in out)) {
        throw new Error(
          `ghostObservables[${i}]: the function did not return ${n} (returned: ${
            Object.keys(out).join(", ")
          })`,
        );
      }
      ghost[n] = out[n];
    }
  });
  return applySelection(
    withColumns(good, {}, ghost),
    cfg.baselineSelection.function,
    "baselineSelection",
  );
}

/**
 * The channels to run (all, or those named in `general.channels`, checked).
 *
 * @example
 * ```ts
 * import { activeChannels } from "./selection.ts";
 * activeChannels(cfg).map((c) => c.name);
 * ```
 */
export function activeChannels(cfg: Config): Config["channels"] {
  const want = cfg.general.channels;
  if (want === null) return cfg.channels;
  const known = cfg.channels.map((c) => c.name);
  for (const w of want) {
    if (!known.includes(w)) {
      throw new Error(`general.channels: unknown channel ${w} (channels: ${known.join(", ")})`);
    }
  }
  return cfg.channels.filter((c) => want.includes(c.name));
}
