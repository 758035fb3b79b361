/**
 * Replacing a model's inputs (the logic behind {@link Model.withInputs},
 * {@link Model.withNominals} and {@link Model.withSamples}): user values, addressed by input name,
 * by sample, or by channel/sample/modifier as in the workspace JSON, are checked and written into
 * copies of the dense input arrays with `where`, so the new inputs depend differentiably on them.
 * Only the model's fixed structure is needed, never a model, so `model.ts` calls these thinly.
 *
 * @module
 */
import { type Array, type ArrayLike, where } from "../core/mod.ts";
import {
  type AppliedModifier,
  Assembler,
  bools,
  type Layout,
  type ModelInputs,
  type ModifierUse,
} from "./modifiers/common.ts";
import { MODIFIER_TYPES, type ModifierType } from "./workspace.ts";
import { checkShape, toF64 } from "./checked_arrays.ts";

/** Per-sample replacements for {@link Model.withSamples}, shaped like the workspace JSON. */
export interface SampleOverride {
  /** Nominal yields of the sample in this channel. */
  data?: ArrayLike;
  /**
   * Modifier data by modifier name (or `"type/name"` when one sample has two modifiers of the
   * same name): `{hi, lo}` scalars for normsys, `{hi_data, lo_data}` for histosys, an array of
   * uncertainties for staterror and shapesys.
   */
  modifiers?: Record<
    string,
    ArrayLike | { hi?: ArrayLike; lo?: ArrayLike } | { hi_data?: ArrayLike; lo_data?: ArrayLike }
  >;
}

/** The part of a model's build-time structure that locates samples and modifiers in the inputs. */
export interface InputStructure {
  /** Channels, samples and bin offsets. */
  readonly layout: Layout;
  /** The samples present in each channel. */
  readonly samplesIn: ReadonlyMap<string, ReadonlySet<string>>;
  /** Every modifier use, in pyhf's visiting order. */
  readonly uses: readonly ModifierUse[];
  /** The built modifier types (their `names` index the inputs' leading axis). */
  readonly modifiers: readonly AppliedModifier[];
}

/** `inputs` with some replaced by name (same shapes); see {@link Model.withInputs}. */
export function replaceInputs(
  inputs: ModelInputs,
  replacements: Partial<Record<string, ArrayLike>>,
): ModelInputs {
  const next: Record<string, Array> = { ...inputs };
  for (const [k, v] of Object.entries(replacements)) {
    if (!(k in inputs)) {
      throw new RangeError(
        `withInputs: unknown input ${JSON.stringify(k)} (inputs: ${
          Object.keys(inputs).join(", ")
        })`,
      );
    }
    next[k] = checkShape(toF64(v!, `withInputs.${k}`), inputs[k].shape, `withInputs.${k}`);
  }
  return next;
}

/** `inputs` with sample nominal yields replaced; see {@link Model.withNominals}. */
export function replaceNominals(
  st: InputStructure,
  inputs: ModelInputs,
  nominals: Record<string, ArrayLike>,
): ModelInputs {
  const { channels, channelNbins, channelOffset, samples } = st.layout;
  let nominal = inputs.nominal;
  for (const [sample, values] of Object.entries(nominals)) {
    const s = samples.indexOf(sample);
    if (s < 0) {
      throw new RangeError(
        `withNominals: unknown sample ${JSON.stringify(sample)} (samples: ${samples.join(", ")})`,
      );
    }
    const chans = channels.filter((c) => st.samplesIn.get(c)!.has(sample));
    const n = chans.reduce((a, c) => a + channelNbins[c], 0);
    const x = checkShape(
      toF64(values, `withNominals.${sample}`),
      [n],
      `withNominals.${sample} (bins of ${chans.join(", ")})`,
    );
    const bins: number[] = [];
    for (const c of chans) {
      const o = channelOffset[c];
      for (let j = 0; j < channelNbins[c]; j++) bins.push(o + j);
    }
    nominal = place(nominal, samples.length, null, s, bins, x);
  }
  return { ...inputs, nominal };
}

/** `inputs` with sample data replaced per channel; see {@link Model.withSamples}. */
export function replaceSamples(
  st: InputStructure,
  inputs: ModelInputs,
  spec: Record<string, Record<string, SampleOverride>>,
): ModelInputs {
  const { channels, channelNbins, channelOffset, samples } = st.layout;
  const S = samples.length;
  const next: Record<string, Array> = { ...inputs };
  for (const [channel, overrides] of Object.entries(spec)) {
    if (!channels.includes(channel)) {
      throw new RangeError(`withSamples: unknown channel ${JSON.stringify(channel)}`);
    }
    const o = channelOffset[channel], nb = channelNbins[channel];
    const bins = globalThis.Array.from({ length: nb }, (_, j) => o + j);
    for (const [sample, ov] of Object.entries(overrides)) {
      const at = `withSamples.${channel}.${sample}`;
      if (!st.samplesIn.get(channel)!.has(sample)) {
        throw new RangeError(
          `${at}: channel ${JSON.stringify(channel)} has no sample ${JSON.stringify(sample)}`,
        );
      }
      const s = samples.indexOf(sample);
      const row = (v: ArrayLike, what: string) => checkShape(toF64(v, what), [nb], what);
      if (ov.data !== undefined) {
        next.nominal = place(next.nominal, S, null, s, bins, row(ov.data, `${at}.data`));
      }
      for (const [key, val] of Object.entries(ov.modifiers ?? {})) {
        const mp = `${at}.modifiers.${key}`;
        const use = findUse(st.uses, channel, sample, key, mp);
        const mod = st.modifiers.find((m) => m.type === use.modifier.type)!;
        const m = mod.names.indexOf(use.modifier.name);
        // Scalars (normsys) are stored per channel, rows per bin.
        const c = channels.indexOf(channel);
        for (const [f, input, v, scalar] of modifierFields(use.modifier.type, val, mp)) {
          if (v === undefined) continue;
          const what = f ? `${mp}.${f}` : mp;
          const x = scalar ? checkShape(toF64(v, what), [], what) : row(v, what);
          next[input] = place(next[input], S, m, s, scalar ? [c] : bins, x);
        }
      }
    }
  }
  return next;
}

/**
 * The replaceable data of one modifier override: per field, its key in the override (empty when
 * the override is the value itself), the input it lands in, the value, and whether it is a
 * scalar.
 */
function modifierFields(
  type: ModifierType,
  val: NonNullable<SampleOverride["modifiers"]>[string],
  path: string,
): [string, string, ArrayLike | undefined, boolean][] {
  if (type === "normsys") {
    const v = val as { hi?: ArrayLike; lo?: ArrayLike };
    return [["hi", "normsys.hi", v.hi, true], ["lo", "normsys.lo", v.lo, true]];
  }
  if (type === "histosys") {
    const v = val as { hi_data?: ArrayLike; lo_data?: ArrayLike };
    return [
      ["hi_data", "histosys.hi", v.hi_data, false],
      ["lo_data", "histosys.lo", v.lo_data, false],
    ];
  }
  if (type === "staterror" || type === "shapesys") {
    return [["", `${type}.unc`, val as ArrayLike, false]];
  }
  throw new RangeError(`${path}: a ${type} modifier has no data to replace`);
}

/** The one use of modifier `key` (`name` or `type/name`) by `sample` in `channel`. */
function findUse(
  uses: readonly ModifierUse[],
  channel: string,
  sample: string,
  key: string,
  path: string,
): ModifierUse {
  const slash = key.indexOf("/");
  const type = slash > 0 && (MODIFIER_TYPES as readonly string[]).includes(key.slice(0, slash))
    ? key.slice(0, slash)
    : null;
  const name = type ? key.slice(slash + 1) : key;
  const found = uses.filter((u) =>
    u.channel === channel && u.sample === sample && u.modifier.name === name &&
    (type === null || u.modifier.type === type)
  );
  if (found.length === 0) {
    throw new RangeError(
      `${path}: sample ${JSON.stringify(sample)} in channel ${
        JSON.stringify(channel)
      } has no modifier ${JSON.stringify(key)}`,
    );
  }
  if (found.length > 1) {
    throw new RangeError(
      `${path}: ambiguous, the sample has ${
        found.map((u) => `${u.modifier.type}/${name}`).join(" and ")
      }; use that form`,
    );
  }
  return found[0];
}

/**
 * `base` (`[S, B]`, or `[M, S, B]` with modifier `m`; B is the last axis: bins, or channels) with
 * `values` (a row over `bins`, or a scalar) written at sample `s`, entries `bins` — a where, so
 * it is differentiable in both.
 */
function place(
  base: Array,
  S: number,
  m: number | null,
  s: number,
  bins: readonly number[],
  values: Array,
): Array {
  const B = base.shape[base.ndim - 1];
  const mask = new Uint8Array(base.size);
  const off = ((m ?? 0) * S + s) * B;
  for (const b of bins) mask[off + b] = 1;
  let row = values;
  if (values.ndim === 1) {
    const at = new Set(bins);
    const asm = new Assembler();
    let k = 0;
    for (let b = 0; b < B; b++) {
      if (at.has(b)) asm.take("x", k++);
      else asm.constant([0]);
    }
    row = asm.build({ x: values });
  }
  return where(bools(mask, base.shape), row, base);
}
