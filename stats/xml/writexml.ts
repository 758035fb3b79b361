/**
 * pyhf JSON workspace → HistFactory XML, as pyhf's `writexml` (`pyhf json2xml`) writes it: a
 * top-level `<resultprefix>.xml` with one `<Measurement>` per measurement (`Lumi`, `LumiRelErr`,
 * the POI, fixed parameters as one `<ParamSetting Const="True">` with ROOT's `alpha_`/`gamma_`
 * names), and one `<specroot>/<resultprefix>_<channel>.xml` per channel. Histograms are named as
 * pyhf names them (`hist<channel>_<sample>[_<modifier>][Low|High]`); staterror and shapesys
 * histograms hold relative errors.
 *
 * Differences from pyhf, on purpose:
 * - jsroot cannot write ROOT files, so the histograms go to `<dataroot>/data.json` in the
 *   {@link JsonHistogramFile} format (`InputFile` points there), which {@link xml2json} reads
 *   back; ROOT itself cannot read it.
 * - paths in the XML are relative to the output directory (pyhf writes them relative to its
 *   working directory, the same when the output directory is `.`): run `xml2json` with
 *   `--basedir` set to the output directory.
 * - `LumiRelErr` is the lumi's relative error (pyhf writes its absolute `sigmas[0]`; the same
 *   when the nominal luminosity is 1); HistFactorySchema.dtd is not copied (it is ROOT's).
 *
 * As in pyhf, what HistFactory XML cannot say is lost: measurement settings other than `fixed`
 * (and the normfactors' `inits`/`bounds` of the first measurement), and `lumi` bounds.
 *
 * @module
 */
import type { Channel, Measurement, Modifier, Workspace } from "../workspace.ts";
import { pythonFloatRepr } from "../tools/pyjson.ts";
import { JSON_HISTOGRAM_FORMAT, type JsonHistogramFile } from "./histograms.ts";

/** An element to write: attributes in order, optional text, children. */
interface OutElement {
  tag: string;
  attrs: [string, string][];
  text?: string;
  children?: OutElement[];
}

const escapeText = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const escapeAttr = (s: string) => escapeText(s).replace(/"/g, "&quot;").replace(/\n/g, "&#10;");

/** ElementTree's `tostring` after pyhf's `indent`: two spaces per level, `<X />` when empty. */
function serialize(el: OutElement, level = 0): string {
  const pad = "  ".repeat(level);
  const attrs = el.attrs.map(([k, v]) => ` ${k}="${escapeAttr(v)}"`).join("");
  const kids = el.children ?? [];
  if (kids.length === 0) {
    return el.text === undefined
      ? `${pad}<${el.tag}${attrs} />\n`
      : `${pad}<${el.tag}${attrs}>${escapeText(el.text)}</${el.tag}>\n`;
  }
  const inner = kids.map((k) => serialize(k, level + 1)).join("");
  return `${pad}<${el.tag}${attrs}>\n${inner}${pad}</${el.tag}>\n`;
}

const num = (x: number) => pythonFloatRepr(x);

/** pyhf's `_make_hist_name`. */
function histName(channel: string, sample: string, modifier = "", suffix = ""): string {
  return `hist${[channel, sample, modifier].filter(Boolean).join("_")}${suffix}`;
}

/** `a / b`, 0 where `b` is 0 (pyhf's `np.divide(..., where=b != 0)`). */
const relative = (a: readonly number[], b: readonly number[]) =>
  a.map((x, i) => (b[i] !== 0 ? x / b[i] : 0));

/** Where histograms are collected; a second histogram of one name is an error, as in pyhf. */
class HistogramSink {
  readonly histograms: JsonHistogramFile["histograms"] = {};
  put(name: string, values: readonly number[]): string {
    if (name in this.histograms) throw new Error(`duplicate histogram ${name} being written`);
    this.histograms[name] = {
      values: [...values],
      edges: values.map((_, i) => i).concat(values.length),
    };
    return name;
  }
}

/** ROOT's name of a fixed parameter in `<ParamSetting>` (pyhf's prefixes by modifier type). */
const ROOT_PREFIX: Partial<Record<Modifier["type"], string>> = {
  normsys: "alpha_",
  histosys: "alpha_",
  shapesys: "gamma_",
  staterror: "gamma_",
};

function buildMeasurement(m: Measurement, types: Map<string, Modifier["type"]>): OutElement {
  const fixed: string[] = [];
  let lumi = 1;
  let lumiErr = 0;
  for (const p of m.config.parameters) {
    if (p.fixed) {
      const type = types.get(p.name);
      fixed.push(p.name === "lumi" ? "Lumi" : `${(type && ROOT_PREFIX[type]) ?? ""}${p.name}`);
    }
    if (p.name === "lumi") {
      lumi = p.auxdata?.[0] ?? lumi;
      lumiErr = p.sigmas?.[0] ?? lumiErr;
    }
  }
  const children: OutElement[] = [{ tag: "POI", attrs: [], text: m.config.poi }];
  if (fixed.length) {
    children.push({ tag: "ParamSetting", attrs: [["Const", "True"]], text: fixed.join(" ") });
  }
  return {
    tag: "Measurement",
    attrs: [
      ["Name", m.name],
      ["Lumi", num(lumi)],
      ["LumiRelErr", num(lumi !== 0 ? lumiErr / lumi : lumiErr)],
      ["ExportOnly", "True"],
    ],
    children,
  };
}

function buildModifier(
  ws: Workspace,
  mod: Modifier,
  channel: string,
  sample: { name: string; data: number[] },
  sink: HistogramSink,
  warn: (m: string) => void,
): OutElement | null {
  if (mod.name === "lumi") return null;
  const hist = (suffix = "") => histName(channel, sample.name, mod.name, suffix);
  switch (mod.type) {
    case "histosys":
      return {
        tag: "HistoSys",
        attrs: [
          ["Name", mod.name],
          ["HistoNameLow", sink.put(hist("Low"), mod.data.lo_data)],
          ["HistoNameHigh", sink.put(hist("High"), mod.data.hi_data)],
        ],
      };
    case "normsys":
      return {
        tag: "OverallSys",
        attrs: [["Name", mod.name], ["High", num(mod.data.hi)], ["Low", num(mod.data.lo)]],
      };
    case "normfactor": {
      // Only the first measurement's settings can be written (NormFactor lives in the channel).
      const p = ws.measurements[0]?.config.parameters.find((q) => q.name === mod.name);
      const [low, high] = p?.bounds?.[0] ?? [0, 10];
      const val = p?.inits?.[0] ?? 1;
      return {
        tag: "NormFactor",
        attrs: [["Name", mod.name], ["Val", num(val)], ["Low", num(low)], ["High", num(high)]],
      };
    }
    case "staterror":
      return {
        tag: "StatError",
        attrs: [
          ["Activate", "True"],
          ["HistoName", sink.put(hist(), relative(mod.data, sample.data))],
        ],
      };
    case "shapesys":
      return {
        tag: "ShapeSys",
        attrs: [
          ["Name", mod.name],
          ["ConstraintType", "Poisson"],
          ["HistoName", sink.put(hist(), relative(mod.data, sample.data))],
        ],
      };
    case "shapefactor":
      return { tag: "ShapeFactor", attrs: [["Name", mod.name]] };
  }
  warn(`skipping modifier ${mod.name}(${mod.type})`);
  return null;
}

function buildChannel(
  ws: Workspace,
  ch: Channel,
  dataFile: string,
  sink: HistogramSink,
  warn: (m: string) => void,
): OutElement {
  const children: OutElement[] = [];
  const obs = ws.observations.find((o) => o.name === ch.name);
  if (obs) {
    children.push({
      tag: "Data",
      attrs: [["HistoName", sink.put(histName(ch.name, "data"), obs.data)], [
        "InputFile",
        dataFile,
      ]],
    });
  }
  for (const s of ch.samples) {
    const mods = s.modifiers.map((m) => buildModifier(ws, m, ch.name, s, sink, warn));
    const byTheory = s.modifiers.some((m) => m.type === "lumi") ? "True" : "False";
    children.push({
      tag: "Sample",
      attrs: [
        ["Name", s.name],
        ["HistoName", sink.put(histName(ch.name, s.name), s.data)],
        ["InputFile", dataFile],
        ["NormalizeByTheory", byTheory],
      ],
      children: mods.filter((m): m is OutElement => m !== null),
    });
  }
  return { tag: "Channel", attrs: [["Name", ch.name], ["InputFile", dataFile]], children };
}

/** Options of {@link writeXml} and {@link json2xml}. */
export interface Json2XmlOptions {
  /** Output directory (default "."); every path in the XML is relative to it. */
  outputDir?: string;
  /** Folder of the channel XML files (default "config"). */
  specroot?: string;
  /** Folder of the histogram file (default "data"). */
  dataroot?: string;
  /** Name of the top-level file and prefix of the channel files (default "FitConfig"). */
  resultprefix?: string;
  /** Receives notes on modifiers that cannot be written (default: `console.warn`). */
  warn?: (message: string) => void;
}

/**
 * The files of {@link json2xml} as `path → text`, paths relative to the output directory.
 *
 * @example
 * ```ts
 * import { writeXml } from "./writexml.ts";
 * const files = writeXml({
 *   channels: [{ name: "c", samples: [{ name: "s", data: [5], modifiers: [] }] }],
 *   observations: [{ name: "c", data: [6] }],
 *   measurements: [{ name: "m", config: { poi: "mu", parameters: [] } }],
 * });
 * Object.keys(files); // ["config/FitConfig_c.xml", "data/data.json", "FitConfig.xml"]
 * ```
 */
export function writeXml(ws: Workspace, opts: Json2XmlOptions = {}): Record<string, string> {
  const specroot = opts.specroot ?? "config";
  const dataFile = `${opts.dataroot ?? "data"}/data.json`;
  const prefix = opts.resultprefix ?? "FitConfig";
  const warn = opts.warn ?? ((m: string) => console.warn(m));
  const sink = new HistogramSink();
  const files: Record<string, string> = {};
  const inputs: OutElement[] = [];
  for (const ch of ws.channels) {
    const path = `${specroot}/${prefix}_${ch.name}.xml`;
    files[path] = "<!DOCTYPE Channel SYSTEM '../HistFactorySchema.dtd'>\n\n" +
      serialize(buildChannel(ws, ch, dataFile, sink, warn));
    inputs.push({ tag: "Input", attrs: [], text: path });
  }
  const hists: JsonHistogramFile = { format: JSON_HISTOGRAM_FORMAT, histograms: sink.histograms };
  files[dataFile] = JSON.stringify(hists, null, 1) + "\n";
  const types = new Map(
    ws.channels.flatMap((c) => c.samples.flatMap((s) => s.modifiers))
      .map((m) => [m.name, m.type]),
  );
  const combination: OutElement = {
    tag: "Combination",
    attrs: [["OutputFilePrefix", `${specroot}/${prefix}`]],
    children: [...inputs, ...ws.measurements.map((m) => buildMeasurement(m, types))],
  };
  files[`${prefix}.xml`] = "<!DOCTYPE Combination  SYSTEM 'HistFactorySchema.dtd'>\n\n" +
    serialize(combination);
  return files;
}

/**
 * Writes a workspace as HistFactory XML plus a JSON histogram file (see the module doc) under
 * `outputDir`; returns the paths written. Convert back with
 * `xml2json("<outputDir>/FitConfig.xml", { basedir: outputDir })`.
 *
 * @example
 * ```ts ignore
 * import { json2xml } from "./writexml.ts";
 * const { files } = await json2xml(workspace, { outputDir: "out" });
 * // ["out/config/FitConfig_channel1.xml", "out/data/data.json", "out/FitConfig.xml"]
 * ```
 */
export async function json2xml(
  ws: Workspace,
  opts: Json2XmlOptions = {},
): Promise<{ files: string[] }> {
  const dir = (opts.outputDir ?? ".").replace(/\/+$/, "") || "/";
  const written: string[] = [];
  for (const [rel, text] of Object.entries(writeXml(ws, opts))) {
    const path = `${dir}/${rel}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
    written.push(path);
  }
  return { files: written };
}
