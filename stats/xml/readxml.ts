/**
 * HistFactory XML + ROOT histograms → pyhf JSON workspace, with the semantics of pyhf's
 * `readxml.parse` (`pyhf xml2json`):
 *
 * - the top-level `<Combination>` lists channel files (`<Input>`) and `<Measurement>`s; every
 *   path, channel XML and ROOT file alike, is relative to `basedir` (pyhf's `rootdir`), after
 *   `mounts` have mapped the paths the XML was written with to local ones;
 * - `InputFile` and `HistoPath` pass from `<Channel>` to `<Data>` and `<Sample>`; a modifier's
 *   own histograms default to the sample's file but not to its path;
 * - `NormalizeByTheory="True"` → `lumi`; `<OverallSys>` → `normsys` (`hi`/`lo`); `<HistoSys>` →
 *   `histosys` (`hi_data`/`lo_data`); `<NormFactor>` → `normfactor` plus a parameter
 *   configuration (`Val`, `Low`, `High`, `Const`); `<StatError Activate="True">` →
 *   `staterror_<channel>` with absolute errors, from the sample histogram's errors or
 *   `HistoName`'s relative errors times the contents; `<ShapeSys>` → `shapesys` (relative errors
 *   times contents); `<ShapeFactor>` → `shapefactor`;
 * - like pyhf, `<StatErrorConfig>` (Poisson constraints, `RelErrorThreshold` pruning) and
 *   `<ConstraintTerm>` are not translated; `warn` reports them.
 *
 * @module
 */
import {
  type Channel,
  type Modifier,
  type Observation,
  type ParameterConfig,
  type Sample,
  validateWorkspace,
  type Workspace,
} from "../workspace.ts";
import {
  describeElement,
  errorMessage,
  iterElements,
  parseXml,
  type XmlElement,
  XmlImportError,
} from "./dom.ts";
import { type Histogram, HistogramError, HistogramReader } from "./histograms.ts";
import { dedupeParameters, numberAttr, processMeasurements, requireAttr } from "./measurements.ts";

/** Options of {@link xml2json}. */
export interface Xml2JsonOptions {
  /** Directory that relative paths in the XML are relative to (pyhf's `--basedir`; default "."). */
  basedir?: string;
  /** `[localPath, pathInXml]` pairs, like pyhf's `--mount local:inxml` (Docker-style volumes). */
  mounts?: readonly (readonly [string, string])[];
  /** Report each channel, sample and modifier as it is processed (pyhf's `--track-progress`). */
  trackProgress?: boolean;
  /** Receives progress lines (default: stderr). */
  onProgress?: (message: string) => void;
  /** Receives warnings about XML that pyhf does not translate (default: `console.warn`). */
  warn?: (message: string) => void;
  /** Throw when the result is not a valid workspace (default); false: warn instead. */
  validationAsError?: boolean;
  /**
   * Reads a file's bytes (default `Deno.readFile`): lets XML and histograms come from memory or
   * an archive. A missing file should throw `Deno.errors.NotFound`.
   */
  readFile?: (path: string) => Promise<Uint8Array>;
}

/** The state shared while one top-level file is converted. */
interface Context {
  resolve: (path: string) => string;
  readFile: (path: string) => Promise<Uint8Array>;
  reader: HistogramReader;
  warn: (message: string) => void;
  progress?: (message: string) => void;
}

function splitPath(p: string): { absolute: boolean; parts: string[] } {
  return { absolute: p.startsWith("/"), parts: p.split("/").filter((s) => s && s !== ".") };
}

/**
 * pyhf's path resolver: a path under a mount's XML-side path is moved to its local side, then
 * taken relative to `rootdir` (an absolute path stays absolute).
 *
 * @example
 * ```ts
 * import { resolverFactory } from "./readxml.ts";
 * const resolve = resolverFactory("/work", [["/data/local", "/eos/atlas"]]);
 * resolve("./config/ch.xml"); // "/work/config/ch.xml"
 * resolve("/eos/atlas/hists.root"); // "/data/local/hists.root"
 * ```
 */
export function resolverFactory(
  rootdir: string,
  mounts: readonly (readonly [string, string])[] = [],
): (path: string) => string {
  const join = (absolute: boolean, parts: string[]) =>
    (absolute ? "/" : "") + (parts.join("/") || (absolute ? "" : "."));
  return (filename) => {
    let path = splitPath(filename);
    for (const [host, mount] of mounts) {
      const m = splitPath(mount);
      if (
        m.absolute === path.absolute && m.parts.length <= path.parts.length &&
        m.parts.every((s, i) => s === path.parts[i])
      ) {
        const h = splitPath(host);
        path = { absolute: h.absolute, parts: [...h.parts, ...path.parts.slice(m.parts.length)] };
        break;
      }
    }
    if (path.absolute) return join(true, path.parts);
    const root = splitPath(rootdir);
    return join(root.absolute, [...root.parts, ...path.parts]);
  };
}

async function readXmlFile(ctx: Context, path: string): Promise<XmlElement> {
  let text: string;
  try {
    text = new TextDecoder().decode(await ctx.readFile(path));
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "no such file" : errorMessage(e);
    throw new XmlImportError(path, `cannot read XML file (${why})`, { cause: e });
  }
  return parseXml(text, path);
}

/** Reads a histogram; a lookup failure names the XML file and element that asked for it. */
async function histogram(
  ctx: Context,
  xmlFile: string,
  el: XmlElement,
  where: string,
  file: string,
  path: string,
  name: string,
): Promise<Histogram> {
  try {
    return await ctx.reader.get(ctx.resolve(file), path, name);
  } catch (e) {
    if (!(e instanceof HistogramError)) throw e;
    throw new XmlImportError(xmlFile, `${describeElement(el)}${where}: ${e.message}`, { cause: e });
  }
}

interface SampleResult {
  sample: Sample;
  parameters: ParameterConfig[];
}

/** One modifier element of a sample (null: not a modifier pyhf translates). */
async function processModifier(
  ctx: Context,
  xmlFile: string,
  mod: XmlElement,
  where: string,
  sample: { file: string; hist: Histogram; channel: string },
  parameters: ParameterConfig[],
): Promise<Modifier | null> {
  const attr = (a: string) => requireAttr(xmlFile, mod, a, where);
  const num = (a: string) => numberAttr(xmlFile, mod, a, where);
  const nBins = sample.hist.values.length;
  const hist = async (file: string, path: string, name: string) => {
    const h = await histogram(ctx, xmlFile, mod, where, file, path, name);
    if (h.values.length !== nBins) {
      throw new XmlImportError(
        xmlFile,
        `${describeElement(mod)}${where}: histogram ${name} of ${ctx.resolve(file)} has ` +
          `${h.values.length} bins, the sample's histogram ${nBins}`,
      );
    }
    return h;
  };
  const { attrs } = mod;
  switch (mod.tag) {
    case "OverallSys":
      return { name: attr("Name"), type: "normsys", data: { lo: num("Low"), hi: num("High") } };
    case "NormFactor": {
      const config: ParameterConfig = {
        name: attr("Name"),
        bounds: [[num("Low"), num("High")]],
        inits: [num("Val")],
      };
      if (attrs.Const) config.fixed = attrs.Const === "True";
      parameters.push(config);
      return { name: config.name, type: "normfactor", data: null };
    }
    case "HistoSys": {
      const name = attr("Name");
      const [lo, hi] = [
        await hist(
          attrs.HistoFileLow ?? sample.file,
          attrs.HistoPathLow ?? "",
          attr("HistoNameLow"),
        ),
        await hist(
          attrs.HistoFileHigh ?? sample.file,
          attrs.HistoPathHigh ?? "",
          attr("HistoNameHigh"),
        ),
      ];
      return { name, type: "histosys", data: { lo_data: lo.values, hi_data: hi.values } };
    }
    case "StatError": {
      if (attrs.Activate !== "True") {
        ctx.warn(
          `${xmlFile}: <StatError>${where} is not activated (Activate=${attrs.Activate}) and is ignored`,
        );
        return null;
      }
      let data = sample.hist.errors;
      if (attrs.HistoName) {
        const rel = await hist(
          attrs.HistoFile ?? sample.file,
          attrs.HistoPath ?? "",
          attrs.HistoName,
        );
        data = rel.values.map((r, i) => r * sample.hist.values[i]);
      }
      if (data.length === 0) {
        throw new XmlImportError(xmlFile, `<StatError>${where}: cannot determine stat error`);
      }
      return { name: `staterror_${sample.channel}`, type: "staterror", data };
    }
    case "ShapeSys": {
      const name = attr("Name");
      if ((attrs.ConstraintType ?? "Poisson") !== "Poisson") {
        ctx.warn(
          `${xmlFile}: shapesys ${name}${where} has a non-Poisson constraint, which pyhf ignores`,
        );
      }
      const rel = await hist(
        attrs.InputFile ?? sample.file,
        attrs.HistoPath ?? "",
        attr("HistoName"),
      );
      // The histogram holds relative errors; pyhf's shapesys takes absolute ones.
      return { name, type: "shapesys", data: sample.hist.values.map((v, i) => v * rel.values[i]) };
    }
    case "ShapeFactor":
      return { name: attr("Name"), type: "shapefactor", data: null };
  }
  ctx.warn(`${xmlFile}: not considering modifier tag <${mod.tag}>${where}`);
  return null;
}

/** A `<Sample>` (pyhf's `process_sample`). */
async function processSample(
  ctx: Context,
  xmlFile: string,
  el: XmlElement,
  inputFile: string,
  histoPath: string,
  channel: string,
): Promise<SampleResult> {
  const name = requireAttr(xmlFile, el, "Name", ` in channel ${channel}`);
  const where = ` of sample ${name} in channel ${channel}`;
  const file = el.attrs.InputFile ?? inputFile;
  const hist = await histogram(
    ctx,
    xmlFile,
    el,
    ` in channel ${channel}`,
    file,
    el.attrs.HistoPath ?? histoPath,
    requireAttr(xmlFile, el, "HistoName", ` in channel ${channel}`),
  );
  const modifiers: Modifier[] = [];
  const parameters: ParameterConfig[] = [];
  if ((el.attrs.NormalizeByTheory ?? "False") === "True") {
    modifiers.push({ name: "lumi", type: "lumi", data: null });
  }
  // Every descendant, not only the children: ElementTree's iter(), as pyhf uses.
  for (const mod of iterElements(el)) {
    if (mod === el) continue;
    ctx.progress?.(`  - modifier ${mod.attrs.Name ?? "n/a"}(${mod.tag})`);
    const m = await processModifier(ctx, xmlFile, mod, where, { file, hist, channel }, parameters);
    if (m) modifiers.push(m);
  }
  return { sample: { name, data: hist.values, modifiers }, parameters };
}

/** A channel file (pyhf's `process_channel`). */
async function processChannel(ctx: Context, xmlFile: string) {
  const channel = await readXmlFile(ctx, xmlFile);
  const name = requireAttr(xmlFile, channel, "Name");
  const inputFile = channel.attrs.InputFile ?? "";
  const histoPath = channel.attrs.HistoPath ?? "";
  const dataEl = channel.children.find((c) => c.tag === "Data");
  if (!dataEl) {
    throw new XmlImportError(xmlFile, `Channel ${name} is missing data (see pyhf issue #1911)`);
  }
  const dataFile = dataEl.attrs.InputFile ?? inputFile;
  const dataName = requireAttr(xmlFile, dataEl, "HistoName", ` of channel ${name}`);
  if (dataFile === "" || dataName === "") {
    throw new XmlImportError(
      xmlFile,
      `<Data> of channel ${name} names no histogram (InputFile and HistoName); conversion of ` +
        "workspaces without data is not supported (as in pyhf, issue #566)",
    );
  }
  const where = ` of channel ${name}`;
  const data = await histogram(
    ctx,
    xmlFile,
    dataEl,
    where,
    dataFile,
    dataEl.attrs.HistoPath ?? histoPath,
    dataName,
  );
  for (const c of channel.children.filter((c) => c.tag === "StatErrorConfig")) {
    if ((c.attrs.ConstraintType ?? "Gaussian") !== "Gaussian" || c.attrs.RelErrorThreshold) {
      ctx.warn(
        `${xmlFile}: <StatErrorConfig ConstraintType="${c.attrs.ConstraintType ?? ""}" ` +
          `RelErrorThreshold="${c.attrs.RelErrorThreshold ?? ""}"> of channel ${name} is ignored ` +
          "(as by pyhf): staterror constraints are Gaussian and no bin is pruned",
      );
    }
  }
  const samples: Sample[] = [];
  const parameters: ParameterConfig[] = [];
  for (const s of channel.children.filter((c) => c.tag === "Sample")) {
    ctx.progress?.(`  - sample ${s.attrs.Name}`);
    const r = await processSample(ctx, xmlFile, s, inputFile, histoPath, name);
    samples.push(r.sample);
    parameters.push(...r.parameters);
  }
  return { channel: { name, samples }, observation: { name, data: data.values }, parameters };
}

/**
 * Converts a HistFactory top-level XML file, its channel XML files and their ROOT histograms to a
 * pyhf JSON workspace (pyhf's `readxml.parse`; see the module doc for the semantics). Errors
 * ({@link XmlImportError}) name the XML file and element, and the ROOT file and histogram.
 *
 * @example
 * ```ts ignore
 * import { xml2json } from "./readxml.ts";
 * const ws = await xml2json("config/example.xml", { basedir: "." });
 * ws.channels[0].samples.map((s) => s.name); // ["signal", "background1", "background2"]
 * ```
 */
export async function xml2json(
  configFile: string,
  options: Xml2JsonOptions = {},
): Promise<Workspace> {
  const warn = options.warn ?? ((m: string) => console.warn(m));
  const progress = options.trackProgress
    ? (options.onProgress ?? ((m: string) => console.error(m)))
    : undefined;
  const readFile = options.readFile ?? ((path: string) => Deno.readFile(path));
  const ctx: Context = {
    resolve: resolverFactory(options.basedir ?? ".", options.mounts),
    readFile,
    reader: new HistogramReader(readFile),
    warn,
    progress,
  };
  const top = await readXmlFile(ctx, configFile);
  const inputs = top.children.filter((c) => c.tag === "Input" && c.text.trim()).map((c) => c.text);
  const channels: Channel[] = [];
  const observations: Observation[] = [];
  const parameters: ParameterConfig[] = [];
  for (const input of inputs) {
    progress?.(`Processing ${input}`);
    const r = await processChannel(ctx, ctx.resolve(input.trim()));
    channels.push(r.channel);
    observations.push(r.observation);
    parameters.push(...r.parameters);
  }
  let deduped: ParameterConfig[];
  try {
    deduped = dedupeParameters(parameters);
  } catch (e) {
    throw new XmlImportError(configFile, errorMessage(e), { cause: e });
  }
  const measurements = processMeasurements(top, configFile, deduped, warn);
  const ws: Workspace = { measurements, channels, observations, version: "1.0.0" };
  try {
    validateWorkspace(ws);
  } catch (e) {
    if (options.validationAsError ?? true) {
      throw new XmlImportError(
        configFile,
        `the converted workspace is invalid: ${errorMessage(e)}`,
        {
          cause: e,
        },
      );
    }
    warn(`${configFile}: the converted workspace is invalid: ${errorMessage(e)}`);
  }
  return ws;
}
