/**
 * 1-D histograms for HistFactory XML: read from ROOT files through jsroot's I/O module (its main
 * entry pulls drawing code), or from the JSON histogram files that `json2xml` writes because
 * jsroot cannot write ROOT files.
 *
 * What is read is what pyhf reads with uproot: the bin contents without under/overflow
 * (`hist.to_numpy()[0]`) and the bin errors, `sqrt(fSumw2)` when the histogram is weighted
 * (fSumw2 has one entry per cell; non-positive entries count as 0), else `sqrt(content)`. The
 * square root of unweighted contents is taken in the histogram's storage type as numpy does
 * (float32 for TH1F and TH1S, float16 for TH1C), so the numbers equal pyhf's to the bit.
 *
 * @module
 */
import { openFile } from "npm:jsroot@7.11.2/io";
import { errorMessage } from "./dom.ts";

/** Bin contents and bin errors of a 1-D histogram, without under/overflow bins. */
export interface Histogram {
  /** Bin contents. */
  values: number[];
  /** Bin errors (absolute). */
  errors: number[];
}

/** A histogram could not be found or read; `file` is the resolved ROOT/JSON path. */
export class HistogramError extends Error {
  /** The resolved file path. */
  readonly file: string;
  /** An error about a histogram of `file`. */
  constructor(file: string, detail: string, options?: ErrorOptions) {
    super(detail, options);
    this.name = "HistogramError";
    this.file = file;
  }
}

/** An opened file of histograms: its keys (directories joined with `/`) and a reader. */
export interface HistogramFile {
  /** The resolved path. */
  readonly path: string;
  /** Every key, subdirectories' keys as `dir/name`, without cycles. */
  readonly keys: ReadonlySet<string>;
  /** Reads the histogram at a key of {@link keys}. */
  read(key: string): Promise<Histogram>;
}

/** The JSON histogram file format written by `json2xml`: name → contents (and sumw2). */
export interface JsonHistogramFile {
  /** Format tag, always {@link JSON_HISTOGRAM_FORMAT}. */
  format: string;
  /** Histograms by name. */
  histograms: Record<string, { values: number[]; edges?: number[]; sumw2?: number[] }>;
}

/**
 * The `format` of JSON histogram files.
 *
 * @example
 * ```ts
 * import { JSON_HISTOGRAM_FORMAT } from "./histograms.ts";
 * JSON_HISTOGRAM_FORMAT; // "zgrad-histograms/1"
 * ```
 */
export const JSON_HISTOGRAM_FORMAT = "zgrad-histograms/1";

/** The fields of jsroot's objects that are used here (jsroot/io has no type declarations). */
interface JsrootKey {
  fName: string;
  fClassName: string;
}
interface JsrootDirectory {
  fKeys: JsrootKey[];
}
interface JsrootFile extends JsrootDirectory {
  readObject(name: string): Promise<JsrootHist | null>;
  readDirectory(name: string): Promise<JsrootDirectory | null>;
}
interface JsrootHist {
  _typename: string;
  fArray?: ArrayLike<number>;
  fSumw2?: ArrayLike<number>;
  fNcells?: number;
  fXaxis?: { fNbins: number };
}

const f16round: (x: number) => number = Math.f16round;
/**
 * numpy's dtype of `sqrt` of each TH1 storage type, as a rounding of the float64 square root
 * (float64's correctly rounded sqrt rounds again correctly to float32 and float16).
 */
const SQRT_ROUNDING: Record<string, (x: number) => number> = {
  TH1D: (x) => x,
  TH1F: Math.fround,
  TH1I: (x) => x,
  TH1L: (x) => x,
  TH1S: Math.fround,
  TH1C: f16round,
};

async function readBytes(
  readFile: (path: string) => Promise<Uint8Array>,
  path: string,
): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "no such file" : errorMessage(e);
    throw new HistogramError(path, `cannot open ${path}: ${why}`, { cause: e });
  }
}

/** Reads one jsroot histogram into contents and errors (see the module doc). */
function fromJsroot(path: string, key: string, h: JsrootHist | null): Histogram {
  const type = h?._typename ?? "nothing";
  const rounding = SQRT_ROUNDING[type];
  if (!h || !rounding || !h.fArray || !h.fXaxis) {
    throw new HistogramError(path, `${key} in ${path} is a ${type}, not a 1-D histogram (TH1)`);
  }
  const n = h.fXaxis.fNbins;
  const cells = Array.from(h.fArray);
  const values = cells.slice(1, n + 1);
  const sumw2 = h.fSumw2 ? Array.from(h.fSumw2) : [];
  const weighted = sumw2.length > 0 && sumw2.length === (h.fNcells ?? cells.length);
  const errors = weighted
    ? sumw2.slice(1, n + 1).map((w) => Math.sqrt(w > 0 ? w : 0))
    : values.map((v) => rounding(Math.sqrt(v)));
  return { values, errors };
}

async function listKeys(file: JsrootFile, dir: JsrootDirectory, prefix: string, out: Set<string>) {
  for (const k of dir.fKeys ?? []) {
    const name = prefix + k.fName;
    if (k.fClassName === "StreamerInfo" || k.fName === "StreamerInfo") continue;
    out.add(name);
    if (k.fClassName === "TDirectory" || k.fClassName === "TDirectoryFile") {
      const sub = await file.readDirectory(name);
      if (sub) await listKeys(file, sub, name + "/", out);
    }
  }
}

/** Opens a ROOT file with jsroot. */
async function openRoot(path: string, bytes: Uint8Array): Promise<HistogramFile> {
  // The header's fVersion is a signed int that ROOT and uproot read as such; some writers
  // (older uproot) store a negative one, which jsroot reads unsigned and so takes for a large
  // (64-bit seek) file. Any small-file version reads such a file as ROOT would.
  const buffer = bytes.slice().buffer;
  const header = new DataView(buffer);
  if (bytes.length >= 8 && header.getInt32(4) < 0) header.setInt32(4, 50000);
  let file: JsrootFile;
  const keys = new Set<string>();
  try {
    file = await openFile(buffer);
    await listKeys(file, file, "", keys);
  } catch (e) {
    throw new HistogramError(path, `${path} is not a readable ROOT file (${errorMessage(e)})`, {
      cause: e,
    });
  }
  return {
    path,
    keys,
    async read(key: string): Promise<Histogram> {
      let h: JsrootHist | null;
      try {
        h = await file.readObject(key);
      } catch (e) {
        throw new HistogramError(path, `cannot read ${key} from ${path} (${errorMessage(e)})`, {
          cause: e,
        });
      }
      return fromJsroot(path, key, h);
    },
  };
}

function isNumbers(x: unknown): x is number[] {
  return Array.isArray(x) && x.every((v) => typeof v === "number");
}

/** Opens a JSON histogram file ({@link JsonHistogramFile}). */
function openJson(path: string, bytes: Uint8Array): HistogramFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new HistogramError(path, `${path} is not JSON (${errorMessage(e)})`, { cause: e });
  }
  const bad = (why: string) =>
    new HistogramError(path, `${path} is not a ${JSON_HISTOGRAM_FORMAT} file: ${why}`);
  if (!parsed || typeof parsed !== "object" || !("histograms" in parsed)) {
    throw bad("no histograms object");
  }
  const hists = parsed.histograms;
  if (!hists || typeof hists !== "object") throw bad("histograms is not an object");
  const table = new Map<string, Histogram>();
  for (const [name, h] of Object.entries(hists)) {
    const values: unknown = h?.values;
    const sumw2: unknown = h?.sumw2;
    if (!isNumbers(values)) throw bad(`histograms.${name}.values is not a list of numbers`);
    if (sumw2 !== undefined && (!isNumbers(sumw2) || sumw2.length !== values.length)) {
      throw bad(`histograms.${name}.sumw2 is not a list of ${values.length} numbers`);
    }
    const errors = isNumbers(sumw2)
      ? sumw2.map((w) => Math.sqrt(w > 0 ? w : 0))
      : values.map((v) => Math.sqrt(v));
    table.set(name, { values: [...values], errors });
  }
  return {
    path,
    keys: new Set(table.keys()),
    read: (key) => {
      const h = table.get(key);
      if (!h) throw new HistogramError(path, `no histogram ${key} in ${path}`);
      return Promise.resolve(h);
    },
  };
}

/**
 * Opens ROOT (or, by a `.json` extension, JSON histogram) files, each once per reader, and looks
 * histograms up as pyhf's `import_root_histogram` does: `name` first, then `path/name` with the
 * path's leading and trailing slashes stripped.
 *
 * @example
 * ```ts ignore
 * import { HistogramReader } from "./histograms.ts";
 * const reader = new HistogramReader();
 * const h = await reader.get("data/example.root", "", "data");
 * h.values; // [122, 112]
 * ```
 */
export class HistogramReader {
  #files = new Map<string, Promise<HistogramFile>>();
  #readFile: (path: string) => Promise<Uint8Array>;

  /** A reader of files through `readFile` (default `Deno.readFile`). */
  constructor(readFile: (path: string) => Promise<Uint8Array> = (p) => Deno.readFile(p)) {
    this.#readFile = readFile;
  }

  /** Opens (or returns the already opened) file at a resolved path. */
  open(path: string): Promise<HistogramFile> {
    let f = this.#files.get(path);
    if (!f) {
      f = readBytes(this.#readFile, path).then((bytes) =>
        /\.json$/i.test(path) ? openJson(path, bytes) : openRoot(path, bytes)
      );
      this.#files.set(path, f);
    }
    return f;
  }

  /** The histogram `name` (or `path/name`) of the file at a resolved path. */
  async get(file: string, path: string, name: string): Promise<Histogram> {
    const f = await this.open(file);
    const full = `${path.replace(/^\/+|\/+$/g, "")}/${name}`;
    if (f.keys.has(name)) return await f.read(name);
    if (f.keys.has(full)) return await f.read(full);
    const keys = [...f.keys];
    const shown = keys.slice(0, 20).join(", ") + (keys.length > 20 ? ", …" : "");
    throw new HistogramError(
      file,
      `neither ${name} nor ${full} is in ${file} (keys: ${shown || "none"})`,
    );
  }
}
