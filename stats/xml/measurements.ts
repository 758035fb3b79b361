/**
 * The `<Measurement>` elements of a HistFactory top-level XML as pyhf measurements (pyhf's
 * `readxml.process_measurements`), the merging of the channels' NormFactor settings
 * (`dedupe_parameters`) and ROOT's parameter names (`compat.interpret_rootname`).
 *
 * @module
 */
import type { Measurement, ParameterConfig } from "../workspace.ts";
import { describeElement, type XmlElement, XmlImportError } from "./dom.ts";

/** What a ROOT parameter name says about the pyhf parameter. */
export interface RootName {
  /** pyhf parameter name (`alpha_` / `gamma_…_i` stripped, `Lumi` → `lumi`). */
  name: string;
  /** False for `gamma_<name>_<i>` (one component of a per-bin parameter set). */
  isScalar: boolean;
  /** The bin index of a `gamma_` name. */
  element?: number;
}

/**
 * Interprets a ROOT parameter name as pyhf's `compat.interpret_rootname` does.
 *
 * @example
 * ```ts
 * import { interpretRootName } from "./measurements.ts";
 * interpretRootName("alpha_syst1"); // { name: "syst1", isScalar: true }
 * interpretRootName("gamma_stat_0"); // { name: "stat", isScalar: false, element: 0 }
 * interpretRootName("Lumi"); // { name: "lumi", isScalar: true }
 * ```
 */
export function interpretRootName(rootName: string): RootName {
  if (rootName.startsWith("gamma_")) {
    const m = /^gamma_(.+)_(\d+)$/.exec(rootName);
    if (!m) throw new Error(`confusing ROOT parameter name ${rootName}`);
    return { name: m[1], isScalar: false, element: Number(m[2]) };
  }
  if (rootName === "Lumi") return { name: "lumi", isScalar: true };
  if (rootName.startsWith("alpha_")) return { name: rootName.slice(6), isScalar: true };
  return { name: rootName, isScalar: true };
}

/**
 * Python's `float(text)` (surrounding whitespace, `inf`, `nan`, `_` separators allowed); `where`
 * names the value in the error.
 *
 * @example
 * ```ts
 * import { pyFloat } from "./measurements.ts";
 * pyFloat(" 1. ", () => "Lumi"); // 1
 * pyFloat("-inf", () => "Low"); // -Infinity
 * ```
 */
export function pyFloat(text: string, where: () => string): number {
  const t = text.trim().toLowerCase().replace(/(?<=\d)_(?=\d)/g, "");
  const special: Record<string, number> = {
    inf: Infinity,
    "+inf": Infinity,
    "-inf": -Infinity,
    infinity: Infinity,
    "+infinity": Infinity,
    "-infinity": -Infinity,
    nan: NaN,
    "+nan": NaN,
    "-nan": NaN,
  };
  if (t in special) return special[t];
  // Number() also reads 0x/0b/0o literals, which Python's float() rejects.
  const x = t === "" || /^[+-]?0[xbo]/.test(t) ? NaN : Number(t);
  if (Number.isNaN(x)) throw new XmlImportError(where(), `${JSON.stringify(text)} is not a number`);
  return x;
}

/**
 * A required attribute, or an {@link XmlImportError} naming the file and element.
 *
 * @example
 * ```ts
 * import { parseXml } from "./dom.ts";
 * import { requireAttr } from "./measurements.ts";
 * const el = parseXml('<Sample Name="sig"/>', "ch.xml");
 * requireAttr("ch.xml", el, "Name"); // "sig"
 * // requireAttr("ch.xml", el, "HistoName") throws: ch.xml: <Sample Name="sig"> has no HistoName attribute
 * ```
 */
export function requireAttr(file: string, el: XmlElement, attr: string, context = ""): string {
  const v = el.attrs[attr];
  if (v === undefined) {
    throw new XmlImportError(file, `${describeElement(el)}${context} has no ${attr} attribute`);
  }
  return v;
}

/**
 * A required numeric attribute (Python's `float()` of it).
 *
 * @example
 * ```ts
 * import { parseXml } from "./dom.ts";
 * import { numberAttr } from "./measurements.ts";
 * numberAttr("x.xml", parseXml('<OverallSys Name="s" Low="0.95" High="1.05"/>', "x.xml"), "Low"); // 0.95
 * ```
 */
export function numberAttr(file: string, el: XmlElement, attr: string, context = ""): number {
  const v = requireAttr(file, el, attr, context);
  return pyFloat(v, () => `${file}: ${describeElement(el)}${context} attribute ${attr}`);
}

const canonical = (x: unknown): string =>
  JSON.stringify(
    x,
    (_k, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
        : v,
  );

/**
 * Keeps one of each set of equal parameter configurations (by name); differing configurations of
 * one name are an error, as in pyhf's `dedupe_parameters`.
 *
 * @example
 * ```ts
 * import { dedupeParameters } from "./measurements.ts";
 * dedupeParameters([
 *   { name: "mu", bounds: [[0, 10]] },
 *   { name: "mu", bounds: [[0, 10]] },
 * ]).length; // 1
 * ```
 */
export function dedupeParameters(parameters: readonly ParameterConfig[]): ParameterConfig[] {
  const byName = new Map<string, ParameterConfig>();
  for (const p of parameters) {
    const seen = byName.get(p.name);
    if (seen && canonical(seen) !== canonical(p)) {
      throw new Error(
        `cannot import workspace due to incompatible parameter configurations for ${p.name}: ` +
          `${canonical(seen)} vs ${canonical(p)}`,
      );
    }
    byName.set(p.name, p);
  }
  return [...byName.values()];
}

/**
 * The measurements of a top-level `<Combination>` element, as pyhf's `process_measurements`:
 * a `lumi` parameter from `Lumi`/`LumiRelErr` (bounds ±5σ), then `otherParameters` (the
 * NormFactor settings), overridden and extended by `<ParamSetting>` (`Const`, `Val`).
 * `<ConstraintTerm>` is ignored, as by pyhf (pyhf's constraints are Gaussian); `warn` says so.
 *
 * @example
 * ```ts
 * import { parseXml } from "./dom.ts";
 * import { processMeasurements } from "./measurements.ts";
 * const top = parseXml(
 *   '<Combination><Measurement Name="m" Lumi="1" LumiRelErr="0.1"><POI>mu</POI>' +
 *     '<ParamSetting Const="True">Lumi</ParamSetting></Measurement></Combination>',
 *   "top.xml",
 * );
 * const [m] = processMeasurements(top, "top.xml");
 * m.config.parameters[0]; // { name: "lumi", auxdata: [1], bounds: [[0.5, 1.5]], inits: [1], sigmas: [0.1], fixed: true }
 * ```
 */
export function processMeasurements(
  top: XmlElement,
  file: string,
  otherParameters: readonly ParameterConfig[] = [],
  warn: (message: string) => void = () => {},
): Measurement[] {
  return top.children.filter((c) => c.tag === "Measurement").map((x) => {
    const configs = new Map(otherParameters.map((p) => [p.name, { ...p }]));
    const name = requireAttr(file, x, "Name");
    const lumi = numberAttr(file, x, "Lumi");
    const lumiErr = lumi * numberAttr(file, x, "LumiRelErr");
    const poi = x.children.find((c) => c.tag === "POI");
    if (!poi) throw new XmlImportError(file, `Measurement ${name} is missing POI specification`);
    const lumiConfig: ParameterConfig = {
      name: "lumi",
      auxdata: [lumi],
      bounds: [[lumi - 5 * lumiErr, lumi + 5 * lumiErr]],
      inits: [lumi],
      sigmas: [lumiErr],
    };
    for (const setting of x.children.filter((c) => c.tag === "ParamSetting")) {
      const common: Pick<ParameterConfig, "fixed" | "inits"> = {};
      if (setting.attrs.Const) common.fixed = setting.attrs.Const === "True";
      if (setting.attrs.Val) {
        common.inits = [numberAttr(file, setting, "Val", ` of Measurement ${name}`)];
      }
      // pyhf splits on single spaces, which makes a parameter named "" of a double space.
      for (const rootName of setting.text.trim().split(/\s+/).filter(Boolean)) {
        const p = interpretRootName(rootName);
        if (!p.isScalar) {
          throw new XmlImportError(
            file,
            `Measurement ${name}: pyhf does not support setting non-scalar parameters ("gammas") ` +
              `constant, such as ${rootName}`,
          );
        }
        if (p.name === "lumi") {
          Object.assign(lumiConfig, common);
          continue;
        }
        // ParamSetting takes precedence; re-inserting moves the parameter last, as in pyhf.
        const config = { ...(configs.get(p.name) ?? { name: p.name }), ...common };
        configs.delete(p.name);
        configs.set(p.name, config);
      }
    }
    for (const term of x.children.filter((c) => c.tag === "ConstraintTerm")) {
      warn(
        `${file}: Measurement ${name}: <ConstraintTerm Type="${term.attrs.Type ?? ""}"> for ` +
          `${term.text.trim()} is ignored (as by pyhf): its constraint stays Gaussian`,
      );
    }
    return {
      name,
      config: { poi: poi.text.trim(), parameters: [lumiConfig, ...configs.values()] },
    };
  });
}
