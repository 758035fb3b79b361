/**
 * The analysis configuration's schema (zod): the blocks of the reference framework's
 * `user/configuration.py` in zgrad's camelCase — `general`, `preprocess`, `goodObjectMasks`,
 * `baselineSelection`, `channels`, `ghostObservables`, `corrections`, `systematics`, `mva`,
 * `optimisation`, `statistics`, `plotting`. Functions (selections, observables, variations) are
 * plain TypeScript functions of {@link Events}; everything else is plain data, so JSON/YAML user
 * configs can set it. {@link validateConfig} reports every problem with its key path
 * (`channels[0].observables[0].binning: ...`).
 *
 * @module
 */
import { z } from "npm:zod@^4.6.7";
import type { Array } from "../../core/mod.ts";
import type { EventTable } from "../data/columns.ts";
import type { Events } from "../events.ts";

type Fields = Readonly<Record<string, Array>>;

/** A function-valued key (zod cannot describe signatures; the types do). */
function fn<T>(what: string) {
  return z.custom<T>((v) => typeof v === "function", { message: `expected a function (${what})` });
}

const finite = z.number().refine(Number.isFinite, { message: "expected a finite number" });
const positive = finite.refine((x) => x > 0, { message: "expected a positive number" });
const name = z.string().min(1);

/** `(pT, η, φ, m, ...)` fields of one collection → a bool mask per object. */
export type ObjectMaskFn = (fields: Fields) => Array;
/** Events → a bool mask per event. */
export type SelectionFn = (ev: Events) => Array;
/** Events → one value per event. */
export type ObservableFn = (ev: Events) => Array;
/** Events → named per-event values. */
export type GhostFn = (ev: Events) => Record<string, Array>;
/** Per-object fields (and the events) → a factor (op `mult`) or shift (op `add`) per object. */
export type ObjectVariationFn = (fields: Fields, ev: Events) => Array | number;
/** Events → a weight factor (`mult`) or additive weight (`add`) per event. */
export type EventVariationFn = (ev: Events) => Array | number;
/** A skim as a function of the raw table: a mask per event. */
export type SkimFn = (table: EventTable) => Uint8Array;

const general = z.strictObject({
  lumi: positive,
  weightsBranch: name,
  analysis: z.enum(["nondiff", "diff", "both"]),
  maxFiles: z.int().refine((n) => n === -1 || n > 0, { message: "expected -1 (all) or > 0" }),
  runPreprocessing: z.boolean(),
  runHistogramming: z.boolean(),
  runStatistics: z.boolean(),
  runSystematics: z.boolean(),
  runMvaTraining: z.boolean(),
  readFromCache: z.boolean(),
  outputDir: name,
  cacheDir: name,
  fileset: z.string().min(1).nullable(),
  bundledEvents: z.int().refine((n) => n > 0, { message: "expected a positive integer" }),
  processes: z.array(name).nullable(),
  channels: z.array(name).nullable(),
  device: z.enum(["cpu", "webgpu"]),
  onError: z.enum(["fail", "skip"]),
});

const skimCut = z.strictObject({
  branch: name,
  op: z.enum([">", ">=", "<", "<=", "==", "!="]),
  value: finite,
});

const preprocess = z.strictObject({
  branches: z.record(name, z.array(name).min(1)),
  skim: z.union([z.array(skimCut), fn<SkimFn>("table → mask")]),
});

const objectMask = z.strictObject({
  object: name,
  function: fn<ObjectMaskFn>("object fields → bool mask"),
});

const selection = z.strictObject({
  function: fn<SelectionFn>("events → bool mask per event"),
  description: z.string().optional(),
});

const binning = z.union([
  z.strictObject({ low: finite, high: finite, bins: z.int().min(1) }).refine(
    (b) => b.high > b.low,
    { message: "high must be above low" },
  ),
  z.array(finite).min(2).refine((e) => e.every((x, i) => i === 0 || x > e[i - 1]), {
    message: "bin edges must increase strictly",
  }),
  z.string().regex(/^\s*-?[\d.eE+-]+\s*,\s*-?[\d.eE+-]+\s*,\s*\d+\s*$/, {
    message: 'expected "low,high,bins"',
  }),
]);

const observable = z.strictObject({
  name,
  binning,
  label: z.string().optional(),
  function: fn<ObservableFn>("events → value per event"),
  overflow: z.enum(["drop", "clip"]).optional(),
});

const channel = z.strictObject({
  name,
  selection,
  observables: z.array(observable).min(1),
  fitObservable: name,
  useInDiff: z.boolean(),
});

const ghost = z.strictObject({
  names: z.array(name).min(1),
  collections: z.enum(["analysis", "mva"]),
  function: fn<GhostFn>("events → named values per event"),
});

const target = z.tuple([name, name]);
const objectVariation = fn<ObjectVariationFn>("object fields → factor or shift");
const eventVariation = fn<EventVariationFn>("events → weight factor");

const correction = z.discriminatedUnion("type", [
  z.strictObject({
    name,
    type: z.literal("object"),
    op: z.enum(["mult", "add"]),
    targets: z.array(target).min(1),
    function: objectVariation,
    processes: z.array(name).nullable().optional(),
  }),
  z.strictObject({
    name,
    type: z.literal("event"),
    op: z.enum(["mult", "add"]),
    function: eventVariation,
    upFunction: eventVariation.optional(),
    downFunction: eventVariation.optional(),
    processes: z.array(name).nullable().optional(),
  }),
]);

const systematic = z.discriminatedUnion("type", [
  z.strictObject({
    name,
    type: z.literal("object"),
    op: z.enum(["mult", "add"]),
    targets: z.array(target).min(1),
    upFunction: objectVariation,
    downFunction: objectVariation,
    processes: z.array(name).nullable().optional(),
  }),
  z.strictObject({
    name,
    type: z.literal("event"),
    op: z.enum(["mult", "add"]),
    upFunction: eventVariation,
    downFunction: eventVariation,
    processes: z.array(name).nullable().optional(),
  }),
  z.strictObject({
    name,
    type: z.literal("normalisation"),
    up: positive,
    down: positive,
    processes: z.array(name).min(1),
  }),
]);

const mvaFeature = z.strictObject({
  name,
  label: z.string().optional(),
  function: fn<ObservableFn>("events → feature per event"),
  scale: fn<(x: Array) => Array>("feature → scaled feature").optional(),
  binning: binning.optional(),
});

const mva = z.strictObject({
  name,
  useInDiff: z.boolean(),
  epochs: z.int().min(1),
  learningRate: positive,
  seed: z.int(),
  validationSplit: finite.refine((x) => x >= 0 && x < 1, { message: "expected 0 ≤ x < 1" }),
  batchSize: z.int().min(1).nullable(),
  hiddenLayers: z.array(z.int().min(1)),
  activation: z.enum(["tanh", "relu", "sigmoid"]),
  classes: z.array(z.union([name, z.record(name, z.array(name).min(1))])).length(2),
  balanceStrategy: z.enum(["undersample", "weights", "none"]),
  features: z.array(mvaFeature).min(1),
  gradOptimisation: z.strictObject({ optimise: z.boolean(), learningRate: positive }),
});

const interval = z.tuple([finite, finite]).refine(([lo, hi]) => hi > lo, {
  message: "expected [low, high] with high > low",
});

const optimisation = z.strictObject({
  optimise: z.boolean(),
  maxIterations: z.int().min(0),
  optimiser: z.enum(["adam", "sgd"]),
  params: z.record(name, finite),
  clamps: z.record(name, interval),
  learningRates: z.record(name, positive),
  softSelection: fn<(ev: Events, params: Record<string, Array>) => Array>(
    "events, parameters → soft weight per event",
  ).nullable(),
});

const statistics = z.strictObject({
  measurement: name,
  poi: name,
  signal: z.array(name).min(1),
  lumiUncertainty: finite.refine((x) => x >= 0, { message: "expected ≥ 0" }),
  staterror: z.boolean(),
  shapeSystematics: z.enum(["split", "histosys"]),
  interpolation: z.enum(["pyhf", "root"]),
  testStat: z.enum(["qtilde", "q"]),
  muTest: finite,
  clsLevel: finite.refine((x) => x > 0 && x < 1, { message: "expected 0 < level < 1" }),
  workspaceFile: name,
});

const plotting = z.strictObject({
  enabled: z.boolean(),
  png: z.boolean(),
  processColors: z.record(name, z.string()),
  processLabels: z.record(name, z.string()),
  processOrder: z.array(name),
});

/**
 * The whole configuration's schema (strict: unknown keys are errors).
 *
 * @example
 * ```ts
 * import { ConfigSchema } from "./schema.ts";
 * console.log(Object.keys(ConfigSchema.shape)); // general, preprocess, ...
 * ```
 */
export const ConfigSchema = z.strictObject({
  general,
  preprocess,
  goodObjectMasks: z.strictObject({ analysis: z.array(objectMask), mva: z.array(objectMask) }),
  baselineSelection: selection,
  channels: z.array(channel).min(1),
  ghostObservables: z.array(ghost),
  corrections: z.array(correction),
  systematics: z.array(systematic),
  mva: z.array(mva),
  optimisation,
  statistics,
  plotting,
}).superRefine((c, ctx) => {
  c.channels.forEach((ch, i) => {
    if (!ch.observables.some((o) => o.name === ch.fitObservable)) {
      ctx.addIssue({
        code: "custom",
        path: ["channels", i, "fitObservable"],
        message: `${JSON.stringify(ch.fitObservable)} is not one of the channel's observables (${
          ch.observables.map((o) => o.name).join(", ")
        })`,
      });
    }
  });
  const seen = new Set<string>();
  c.channels.forEach((ch, i) => {
    if (seen.has(ch.name)) {
      ctx.addIssue({
        code: "custom",
        path: ["channels", i, "name"],
        message: `duplicate channel name ${JSON.stringify(ch.name)}`,
      });
    }
    seen.add(ch.name);
  });
  const sys = new Set<string>();
  c.systematics.forEach((s, i) => {
    if (sys.has(s.name)) {
      ctx.addIssue({
        code: "custom",
        path: ["systematics", i, "name"],
        message: `duplicate systematic name ${JSON.stringify(s.name)}`,
      });
    }
    sys.add(s.name);
  });
  const o = c.optimisation;
  for (const [k, v] of Object.entries(o.params)) {
    const cl = o.clamps[k];
    if (cl && (v < cl[0] || v > cl[1])) {
      ctx.addIssue({
        code: "custom",
        path: ["optimisation", "params", k],
        message: `initial value ${v} is outside its clamp [${cl[0]}, ${cl[1]}]`,
      });
    }
  }
  for (const k of Object.keys(o.clamps)) {
    if (!(k in o.params)) {
      ctx.addIssue({
        code: "custom",
        path: ["optimisation", "clamps", k],
        message: `clamp for unknown parameter ${JSON.stringify(k)} (params: ${
          Object.keys(o.params).join(", ")
        })`,
      });
    }
  }
});

/**
 * A validated configuration.
 *
 * @example
 * ```ts
 * import type { Config } from "./schema.ts";
 * const lumi = (c: Config) => c.general.lumi;
 * ```
 */
export type Config = z.infer<typeof ConfigSchema>;

/**
 * One channel of the configuration.
 *
 * @example
 * ```ts
 * import type { ChannelConfig } from "./schema.ts";
 * const fitVar = (c: ChannelConfig) => c.fitObservable;
 * ```
 */
export type ChannelConfig = Config["channels"][number];
/**
 * One systematic of the configuration.
 *
 * @example
 * ```ts
 * import type { SystematicConfig } from "./schema.ts";
 * const isNorm = (s: SystematicConfig) => s.type === "normalisation";
 * ```
 */
export type SystematicConfig = Config["systematics"][number];
/**
 * One correction of the configuration.
 *
 * @example
 * ```ts
 * import type { CorrectionConfig } from "./schema.ts";
 * const isEvent = (c: CorrectionConfig) => c.type === "event";
 * ```
 */
export type CorrectionConfig = Config["corrections"][number];
/**
 * A binning: `{low, high, bins}`, explicit edges, or the reference's `"low,high,bins"` string.
 *
 * @example
 * ```ts
 * import type { Binning } from "./schema.ts";
 * const b: Binning = "200,3000,20";
 * ```
 */
export type Binning = z.infer<typeof binning>;

/**
 * Bin edges of a binning.
 *
 * @example
 * ```ts
 * import { binEdges } from "./schema.ts";
 * binEdges("0,10,5"); // [0, 2, 4, 6, 8, 10]
 * binEdges({ low: 200, high: 3000, bins: 20 });
 * ```
 */
export function binEdges(b: Binning): number[] {
  if (globalThis.Array.isArray(b)) return [...b];
  const { low, high, bins } = typeof b === "string"
    ? (([l, h, n]) => ({ low: l, high: h, bins: n }))(b.split(",").map(Number))
    : b;
  return globalThis.Array.from({ length: bins + 1 }, (_, i) => low + (high - low) * i / bins);
}
