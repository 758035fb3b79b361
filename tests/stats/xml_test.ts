/**
 * HistFactory XML ⇄ pyhf JSON (stats/xml): `xml2json` against pyhf's own output on pyhf's XML
 * import fixtures (tests/stats/data/xml, copied from pyhf's validation/ with its NOTICE), the
 * fitted workspaces against pyhf's fits, pyhf's test_import.py expectations, errors that name
 * the XML file, element and ROOT histogram, `json2xml` round trips, and the CLI end to end.
 *
 * The expected files (data/xml/expected/) were made once, as a dev step, by pyhf itself:
 * `data/xml/reference/make_reference.py` ran pyhf's `readxml.parse` (pyhf b3dc4bb, numpy
 * backend) and `pyhf.infer.mle.fit` (scipy, tolerance 1e-12, pyhf's default interpolation codes
 * 4/4p) on each fixture, with uproot replaced by a stand-in fed by `dump_histograms.ts` (see
 * there). `<case>.xml2json.txt` is what `pyhf xml2json` prints. No Python is needed here.
 */
import assert from "node:assert/strict";
import { fit, fromPyhf, validateWorkspace, type Workspace } from "../../stats/mod.ts";
import {
  dedupeParameters,
  HistogramReader,
  interpretRootName,
  parseXml,
  processMeasurements,
  resolverFactory,
  writeXml,
  xml2json,
  XmlImportError,
} from "../../stats/xml/mod.ts";
import { main } from "../../stats/cli/main.ts";

const DATA = new URL("./data/xml/", import.meta.url).pathname;
// deno-lint-ignore no-explicit-any
type Json = any;

const CASES: Record<string, { config: string; basedir: string }> = {
  xmlimport_input: { config: "xmlimport_input/config/example.xml", basedir: "xmlimport_input" },
  xmlimport_input_DataDriven: {
    config: "xmlimport_input/config/examples/example_DataDriven.xml",
    basedir: "xmlimport_input",
  },
  xmlimport_input2: { config: "xmlimport_input2/config/example.xml", basedir: "xmlimport_input2" },
  xmlimport_input3: {
    config: "xmlimport_input3/config/examples/example_ShapeSys.xml",
    basedir: "xmlimport_input3",
  },
  xmlimport_input4: { config: "xmlimport_input4/config/example.xml", basedir: "xmlimport_input4" },
};

const expected = (c: string): Json =>
  JSON.parse(Deno.readTextFileSync(`${DATA}expected/${c}.json`));

/** Converts a case, collecting warnings instead of printing them. */
async function convert(c: string, opts: Parameters<typeof xml2json>[1] = {}) {
  const warnings: string[] = [];
  const ws = await xml2json(DATA + CASES[c].config, {
    basedir: DATA + CASES[c].basedir,
    warn: (m) => warnings.push(m),
    ...opts,
  });
  return { ws, warnings };
}

/** Same structure and keys; numbers within rtol·|want| + atol. */
function assertJsonClose(got: unknown, want: unknown, path = "$", rtol = 1e-9, atol = 1e-12) {
  if (typeof want === "number") {
    assert.equal(typeof got, "number", `${path}: expected a number`);
    const g = got as number;
    assert.ok(Math.abs(g - want) <= atol + rtol * Math.abs(want), `${path}: ${g} vs pyhf ${want}`);
  } else if (Array.isArray(want)) {
    assert.ok(Array.isArray(got), `${path}: expected an array`);
    assert.equal(got.length, want.length, `${path}: length`);
    want.forEach((w, i) => assertJsonClose(got[i], w, `${path}[${i}]`, rtol, atol));
  } else if (want && typeof want === "object") {
    assert.ok(got && typeof got === "object" && !Array.isArray(got), `${path}: expected object`);
    const g = got as Record<string, unknown>;
    const w = want as Record<string, unknown>;
    assert.deepEqual(Object.keys(g).sort(), Object.keys(w).sort(), `${path}: keys`);
    for (const k of Object.keys(w)) assertJsonClose(g[k], w[k], `${path}.${k}`, rtol, atol);
  } else {
    assert.deepEqual(got, want, path);
  }
}

/** pyhf's `Workspace.model()` interpolation codes. */
const PYHF_SETTINGS = {
  normsys: { interpcode: "code4" as const },
  histosys: { interpcode: "code4p" as const },
};

Deno.test("xml2json: pyhf's readxml output on pyhf's XML fixtures", async (t) => {
  for (const c of Object.keys(CASES)) {
    await t.step(c, async () => {
      const { ws } = await convert(c);
      assertJsonClose(ws, expected(c).workspace);
      validateWorkspace(ws);
    });
  }
});

Deno.test("xml2json: converted workspaces fit to pyhf's best fit", async (t) => {
  for (const c of Object.keys(CASES)) {
    await t.step(c, async () => {
      const { ws } = await convert(c);
      const want = expected(c).fit;
      // ROOT's example_DataDriven.xml fixes alpha_syst1, which no modifier has; pyhf ignores it.
      const model = fromPyhf(ws, {
        measurement: want.measurement,
        modifierSettings: PYHF_SETTINGS,
        unknownParameters: "ignore",
      });
      assert.deepEqual(model.parNames, want.parameters);
      const r = fit(model.observed, model);
      assert.ok(r.converged, `${c}: fit did not converge: ${r.message}`);
      assert.ok(
        Math.abs(r.twiceNll - want.twice_nll) <= 1e-6 * Math.abs(want.twice_nll),
        `${c}: twice_nll ${r.twiceNll} vs pyhf ${want.twice_nll}`,
      );
      r.bestfit.forEach((x, i) =>
        assert.ok(
          Math.abs(x - want.bestfit[i]) <= 5e-4,
          `${c}: bestfit[${i}] ${x} vs pyhf ${want.bestfit[i]}`,
        )
      );
    });
  }
});

Deno.test("xml2json: pyhf's test_import.py expectations", async (t) => {
  await t.step("import_root_histogram: contents and float32 Poisson errors", async () => {
    const h = await new HistogramReader().get(
      `${DATA}xmlimport_input/data/example.root`,
      "",
      "data",
    );
    assert.deepEqual(h.values, [122, 112]);
    assert.deepEqual(h.errors, [11.045360565185547, 10.58300495147705]);
  });
  await t.step("measurements, lumi, staterror, expected data (prepHistFactory)", async () => {
    for (const c of ["xmlimport_input", "xmlimport_input4"]) {
      const { ws } = await convert(c);
      assert.equal(ws.measurements.length, c === "xmlimport_input" ? 4 : 1);
      const pars = ws.measurements[0].config.parameters;
      assert.deepEqual(pars.map((p) => p.name).sort(), ["SigXsecOverSM", "lumi", "syst1"]);
      assert.deepEqual(pars[0], {
        name: "lumi",
        auxdata: [1],
        bounds: [[0.5, 1.5]],
        inits: [1],
        sigmas: [0.1],
        fixed: true,
      });
      const samples = ws.channels[0].samples;
      assert.deepEqual(samples.map((s) => s.name), ["signal", "background1", "background2"]);
      assert.equal(samples[1].modifiers[0].type, "lumi");
      assert.equal(samples[2].modifiers[1].type, "staterror");
      assert.deepEqual(samples[2].modifiers[1].data, [0, 10]);
      const se = samples[1].modifiers[1].data as number[];
      assert.ok(Math.abs(se[0] - 5) < 1e-6 && se[1] === 0);
      const model = fromPyhf(ws, { modifierSettings: PYHF_SETTINGS });
      const init = [...model.suggestedInit];
      const main = (pars: number[]) =>
        Array.from(model.expectedData(pars, { includeAux: false }).dataSync());
      assert.deepEqual(main(init), [120, 110]);
      init[model.parNames.indexOf("SigXsecOverSM")] = 2;
      assert.deepEqual(main(init), [140, 120]);
    }
  });
  await t.step("histosys and normfactor bounds (xmlimport_input2)", async () => {
    const { ws } = await convert("xmlimport_input2");
    const ch2 = ws.channels.find((c) => c.name === "channel2")!;
    assert.deepEqual(ch2.samples[0].modifiers.map((m) => m.type), ["lumi", "histosys"]);
    const mu = ws.measurements[0].config.parameters.find((p) => p.name === "SigXsecOverSM");
    assert.deepEqual(mu?.bounds, [[0, 10]]);
  });
  await t.step("shapesys: relative errors become absolute (xmlimport_input3)", async () => {
    const { ws } = await convert("xmlimport_input3");
    const bkg1 = ws.channels[0].samples[1];
    assert.deepEqual(bkg1.modifiers.map((m) => m.type), ["lumi", "shapesys"]);
    const close = (a: number[], b: number[]) =>
      a.every((x, i) => Math.abs(x - b[i]) <= 1e-6 * Math.abs(b[i]));
    assert.ok(close(bkg1.data, [100, 1e-4]));
    assert.ok(close(bkg1.modifiers[1].data as number[], [10, 1.5e-5]));
  });
  await t.step("shapefactor, staterror, normsys (DataDriven)", async () => {
    const { ws } = await convert("xmlimport_input_DataDriven");
    const cr = ws.channels.find((c) => c.name === "controlRegion")!;
    assert.deepEqual(cr.samples[0].modifiers.map((m) => m.type), ["lumi", "staterror", "normsys"]);
    assert.equal(cr.samples[1].modifiers[0].type, "shapefactor");
  });
  await t.step("ConstraintTerm and StatErrorConfig are reported, not translated", async () => {
    const { warnings } = await convert("xmlimport_input");
    assert.equal(
      warnings.filter((w) => /ConstraintTerm Type="(Gamma|LogNormal)"/.test(w)).length,
      2,
    );
    assert.ok(warnings.some((w) => /StatErrorConfig ConstraintType="Poisson"/.test(w)));
  });
});

Deno.test("measurements: pyhf's process_measurements semantics", async (t) => {
  const top = parseXml(
    `<Combination>
      <Measurement Name="NormalMeasurement" Lumi="1.0" LumiRelErr="0.017">
        <POI>mu_SIG </POI>
        <ParamSetting Const="True">Lumi alpha_mu_both alpha_mu_paramSettingOnly </ParamSetting>
        <ParamSetting Val="2.0">alpha_mu_both</ParamSetting>
      </Measurement>
      <Measurement Name="ParallelMeasurement" Lumi="1.0" LumiRelErr="0.017">
        <POI>mu_BKG</POI>
        <ParamSetting Val="3.0">alpha_mu_both</ParamSetting>
      </Measurement>
    </Combination>`,
    "top.xml",
  );
  const other = [
    { name: "mu_both", inits: [1], bounds: [[1, 5]] as [number, number][], fixed: false },
    {
      name: "mu_otherConfigOnly",
      inits: [1],
      bounds: [[0, 10]] as [number, number][],
      fixed: false,
    },
  ];
  const ms = processMeasurements(top, "top.xml", other);
  const by = Object.fromEntries(
    ms.map((m) => [m.name, Object.fromEntries(m.config.parameters.map((p) => [p.name, p]))]),
  );
  await t.step("ParamSetting overrides NormFactor settings", () => {
    assert.deepEqual(by.NormalMeasurement.mu_both, {
      name: "mu_both",
      inits: [2],
      bounds: [[1, 5]],
      fixed: true,
    });
    assert.deepEqual(by.NormalMeasurement.mu_paramSettingOnly, {
      name: "mu_paramSettingOnly",
      fixed: true,
    });
    assert.deepEqual(by.NormalMeasurement.mu_otherConfigOnly, other[1]);
    assert.equal(by.NormalMeasurement.lumi.fixed, true);
    assert.equal(ms[0].config.poi, "mu_SIG");
  });
  await t.step("settings do not leak between measurements", () => {
    assert.deepEqual(by.ParallelMeasurement.mu_both, { ...other[0], inits: [3] });
    assert.equal(by.ParallelMeasurement.lumi.fixed, undefined);
  });
  await t.step("gamma parameters cannot be set; POI is required", () => {
    const gamma = parseXml(
      '<C><Measurement Name="m" Lumi="1" LumiRelErr="0.1"><POI>mu</POI>' +
        '<ParamSetting Const="True">gamma_bin_0</ParamSetting></Measurement></C>',
      "g.xml",
    );
    assert.throws(() => processMeasurements(gamma, "g.xml"), /non-scalar.*gamma_bin_0/);
    const noPoi = parseXml('<C><Measurement Name="m" Lumi="1" LumiRelErr="0.1"/></C>', "n.xml");
    assert.throws(
      () => processMeasurements(noPoi, "n.xml"),
      /n\.xml: Measurement m is missing POI/,
    );
  });
  await t.step("interpretRootName and dedupeParameters", () => {
    assert.deepEqual(interpretRootName("gamma_foo_0"), {
      name: "foo",
      isScalar: false,
      element: 0,
    });
    assert.deepEqual(interpretRootName("alpha_foo"), { name: "foo", isScalar: true });
    assert.deepEqual(interpretRootName("Lumi"), { name: "lumi", isScalar: true });
    const p = [{ name: "mu", bounds: [[0, 10]] as [number, number][] }];
    assert.equal(dedupeParameters([...p, ...p]).length, 1);
    assert.throws(
      () => dedupeParameters([...p, { name: "mu", bounds: [[0, 2]] }]),
      /incompatible parameter configurations for mu/,
    );
  });
  await t.step("resolver: pyhf's test_import_resolver", () => {
    const r = resolverFactory("/current/working/dir", [["/this/path/changed", "/my/abs/path"]]);
    assert.equal(r("relative/path"), "/current/working/dir/relative/path");
    assert.equal(r("relative/path/"), "/current/working/dir/relative/path");
    assert.equal(r("/absolute/path/to/file.txt"), "/absolute/path/to/file.txt");
    assert.equal(r("/my/abs/path"), "/this/path/changed");
    assert.equal(r("/my/abs/path/to/file.txt"), "/this/path/changed/to/file.txt");
    assert.equal(r("/my/abs/pathological"), "/my/abs/pathological");
  });
});

/** A channel XML over the real example.root, as a virtual file (no write permission needed). */
function virtual(files: Record<string, string>) {
  return (path: string): Promise<Uint8Array> => {
    if (path in files) return Promise.resolve(new TextEncoder().encode(files[path]));
    if (path.startsWith("/v/")) return Promise.reject(new Deno.errors.NotFound(path));
    return Deno.readFile(path);
  };
}
const ROOT = `${DATA}xmlimport_input/data/example.root`;
const TOP = `<Combination><Input>ch.xml</Input>
  <Measurement Name="m" Lumi="1" LumiRelErr="0.1"><POI>mu</POI></Measurement></Combination>`;
const channel = (body: string, attrs = `InputFile="${ROOT}"`) =>
  `<Channel Name="c1" ${attrs}><Data HistoName="data"/>${body}</Channel>`;
async function convertVirtual(files: Record<string, string>) {
  return await xml2json("/v/top.xml", {
    basedir: "/v",
    readFile: virtual({ "/v/top.xml": TOP, ...files }),
    warn: () => {},
  });
}

Deno.test("xml2json: errors name the XML file, element and ROOT histogram", async (t) => {
  const rejects = (files: Record<string, string>, re: RegExp) =>
    assert.rejects(() => convertVirtual(files), (e: Error) => {
      assert.ok(e instanceof XmlImportError, `not an XmlImportError: ${e}`);
      assert.match(e.message, re);
      return true;
    });
  await t.step("missing ROOT file", () =>
    rejects(
      { "/v/ch.xml": channel("", 'InputFile="nosuch.root"') },
      /\/v\/ch\.xml: <Data> of channel c1: cannot open \/v\/nosuch\.root: no such file/,
    ));
  await t.step("missing histogram: both names tried, keys listed", () =>
    rejects(
      { "/v/ch.xml": channel('<Sample Name="sig" HistoName="nosuch" HistoPath="dir"/>') },
      /ch\.xml: <Sample Name="sig"> in channel c1: neither nosuch nor dir\/nosuch is in .*example\.root \(keys: data, signal/,
    ));
  await t.step("missing modifier histogram names the modifier", () =>
    rejects(
      {
        "/v/ch.xml": channel(
          '<Sample Name="sig" HistoName="signal"><HistoSys Name="jes" HistoNameLow="lo" ' +
            'HistoNameHigh="hi"/></Sample>',
        ),
      },
      /<HistoSys Name="jes"> of sample sig in channel c1: neither lo nor \/lo/,
    ));
  await t.step("modifier histogram with another bin count", () =>
    rejects(
      {
        "/v/h.json": JSON.stringify({
          format: "zgrad-histograms/1",
          histograms: { three: { values: [1, 2, 3] } },
        }),
        "/v/ch.xml": channel(
          '<Sample Name="sig" HistoName="signal"><HistoSys Name="jes" HistoNameLow="signal" ' +
            'HistoNameHigh="three" HistoFileHigh="h.json"/></Sample>',
        ),
      },
      /<HistoSys Name="jes"> of sample sig in channel c1: histogram three of \/v\/h\.json has 3 bins, the sample's histogram 2/,
    ));
  await t.step("not a ROOT file; not a histogram JSON file", async () => {
    await rejects(
      { "/v/bad.root": "not ROOT at all", "/v/ch.xml": channel("", 'InputFile="bad.root"') },
      /<Data> of channel c1: \/v\/bad\.root is not a readable ROOT file/,
    );
    await rejects(
      { "/v/h.json": "{}", "/v/ch.xml": channel("", 'InputFile="h.json"') },
      /\/v\/h\.json is not a zgrad-histograms\/1 file: no histograms object/,
    );
  });
  await t.step("a directory is not a histogram", () =>
    assert.rejects(
      () =>
        xml2json("/v/top.xml", {
          basedir: "/v",
          warn: () => {},
          readFile: virtual({
            "/v/top.xml": TOP,
            "/v/ch.xml": channel("", `InputFile="${DATA}xmlimport_input4/data/example.root"`)
              .replace('HistoName="data"', 'HistoName="signal"'),
          }),
        }),
      /signal in .*example\.root is a TDirectory, not a 1-D histogram/,
    ));
  await t.step(
    "missing channel XML file",
    () => rejects({}, /\/v\/ch\.xml: cannot read XML file \(no such file\)/),
  );
  await t.step(
    "malformed XML: line and column",
    () =>
      rejects(
        { "/v/ch.xml": "<Channel Name='c1'>\n<Data>\n</Channel>" },
        /ch\.xml: not well-formed XML at line \d+/,
      ),
  );
  await t.step("missing attribute", () =>
    rejects(
      {
        "/v/ch.xml": channel(
          '<Sample Name="sig" HistoName="signal"><NormFactor Name="mu" Val="1" Low="0"/></Sample>',
        ),
      },
      /ch\.xml: <NormFactor Name="mu"> of sample sig in channel c1 has no High attribute/,
    ));
  await t.step("non-numeric attribute", () =>
    rejects(
      {
        "/v/ch.xml": channel(
          '<Sample Name="sig" HistoName="signal"><OverallSys Name="s" Low="x" High="1.1"/></Sample>',
        ),
      },
      /<OverallSys Name="s"> of sample sig in channel c1 attribute Low: "x" is not a number/,
    ));
  await t.step("channel without data (pyhf #1911)", () =>
    rejects(
      {
        "/v/ch.xml":
          `<Channel Name="c1" InputFile="${ROOT}"><Sample Name="s" HistoName="signal"/></Channel>`,
      },
      /Channel c1 is missing data/,
    ));
  await t.step("conflicting NormFactor settings", () =>
    rejects(
      {
        "/v/ch.xml": channel(
          '<Sample Name="a" HistoName="signal"><NormFactor Name="mu" Val="1" Low="0" High="3"/></Sample>' +
            '<Sample Name="b" HistoName="signal"><NormFactor Name="mu" Val="1" Low="0" High="5"/></Sample>',
        ),
      },
      /top\.xml: cannot import workspace due to incompatible parameter configurations for mu/,
    ));
  await t.step("inactive StatError and unknown tags are warned about", async () => {
    const warnings: string[] = [];
    const ws = await xml2json("/v/top.xml", {
      basedir: "/v",
      warn: (m) => warnings.push(m),
      readFile: virtual({
        "/v/top.xml": TOP,
        "/v/ch.xml": channel(
          '<Sample Name="s" HistoName="signal"><StatError Activate="False"/><Foo/></Sample>',
        ),
      }),
    });
    assert.deepEqual(ws.channels[0].samples[0].modifiers, []);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0], /StatError.*not activated \(Activate=False\)/);
    assert.match(warnings[1], /not considering modifier tag <Foo>/);
  });
});

Deno.test("json2xml: XML + JSON histograms read back to the same workspace", async (t) => {
  for (
    const c of [
      "xmlimport_input",
      "xmlimport_input_DataDriven",
      "xmlimport_input2",
      "xmlimport_input3",
    ]
  ) {
    await t.step(c, async () => {
      const { ws } = await convert(c);
      const files = writeXml(ws, { warn: () => {} });
      const back = await xml2json("/v/FitConfig.xml", {
        basedir: "/v",
        warn: () => {},
        readFile: virtual(
          Object.fromEntries(Object.entries(files).map(([k, v]) => [`/v/${k}`, v])),
        ),
      });
      // Relative errors are stored and multiplied back: equal to rounding.
      assertJsonClose(back, ws, "$", 1e-12, 0);
    });
  }
  await t.step("pyhf's layout: names, attributes, relative staterror", async () => {
    const { ws } = await convert("xmlimport_input");
    const files = writeXml(ws);
    assert.deepEqual(Object.keys(files).sort(), [
      "FitConfig.xml",
      "config/FitConfig_channel1.xml",
      "data/data.json",
    ]);
    const ch = files["config/FitConfig_channel1.xml"];
    assert.match(
      ch,
      /^<!DOCTYPE Channel SYSTEM '\.\.\/HistFactorySchema\.dtd'>\n\n<Channel Name="channel1" InputFile="data\/data\.json">\n/,
    );
    assert.match(
      ch,
      /<StatError Activate="True" HistoName="histchannel1_background1_staterror_channel1" \/>/,
    );
    assert.match(ch, /<NormFactor Name="SigXsecOverSM" Val="1\.0" Low="0\.0" High="3\.0" \/>/);
    const top = files["FitConfig.xml"];
    assert.match(top, /<ParamSetting Const="True">Lumi alpha_syst1<\/ParamSetting>/);
    assert.match(
      top,
      /<Measurement Name="GaussExample" Lumi="1\.0" LumiRelErr="0\.1" ExportOnly="True">/,
    );
    const hists = JSON.parse(files["data/data.json"]).histograms;
    assert.deepEqual(hists.histchannel1_background2_staterror_channel1.values, [0, 0.1]);
  });
});

Deno.test("CLI: zgrad xml2json / json2xml", async (t) => {
  const run = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
    return { code, out: out.join("\n"), err: err.join("\n") };
  };
  await t.step("prints exactly what pyhf xml2json prints", async () => {
    for (const c of ["xmlimport_input", "xmlimport_input4"]) {
      const r = await run([
        "xml2json",
        DATA + CASES[c].config,
        "--basedir",
        DATA + CASES[c].basedir,
      ]);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out + "\n", Deno.readTextFileSync(`${DATA}expected/${c}.xml2json.txt`));
      assert.match(r.err, /zgrad: warning: .*ConstraintTerm|StatErrorConfig/);
    }
  });
  await t.step("--mount maps absolute paths (pyhf's test_import_usingMounts)", async () => {
    const r = await run([
      "xml2json",
      `${DATA}xmlimport_absolutePaths/config/example.xml`,
      "-v",
      `${DATA}xmlimport_absolutePaths:/absolute/path/to`,
      `--mount=${DATA}xmlimport_input:/another/absolute/path/to`,
      "--track-progress",
    ]);
    assert.equal(r.code, 0, r.err);
    const ws = JSON.parse(r.out);
    assertJsonClose(ws.channels, expected("xmlimport_input").workspace.channels);
    assert.match(
      r.err,
      /^Processing \/absolute\/path\/to\/config\/example_channel\.xml\n {2}- sample signal/,
    );
  });
  await t.step("bad input: exit 1, one line naming the file", async () => {
    const r = await run(["xml2json", DATA + CASES.xmlimport_input.config, "--basedir", "/nowhere"]);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /^zgrad: error: xml2json: \/nowhere\/config\/example_channel\.xml: cannot read XML file/,
    );
  });
  await t.step("bad usage: exit 2", async () => {
    assert.equal((await run(["xml2json"])).code, 2);
    assert.equal((await run(["xml2json", "a.xml", "--bogus"])).code, 2);
    assert.equal((await run(["xml2json", "a.xml", "--mount", "nocolon"])).code, 2);
    assert.match((await run(["json2xml", "--help"])).out, /histograms as JSON/);
  });
  const denoBin = [Deno.execPath(), "deno"].find((command) =>
    Deno.permissions.querySync({ name: "run", command }).state === "granted"
  );
  await t.step({
    name: "subprocess: deno run -A cli.ts xml2json (needs --allow-run)",
    ignore: denoBin === undefined,
    fn: async () => {
      const c = CASES.xmlimport_input3;
      const out = await new Deno.Command(denoBin!, {
        args: ["run", "-A", "cli.ts", "xml2json", DATA + c.config, "--basedir", DATA + c.basedir],
        cwd: new URL("../../", import.meta.url).pathname,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const err = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, err);
      assert.equal(
        new TextDecoder().decode(out.stdout),
        Deno.readTextFileSync(`${DATA}expected/xmlimport_input3.xml2json.txt`),
      );
    },
  });
  const canWrite = Deno.permissions.querySync({ name: "write" }).state === "granted";
  await t.step({
    name: "json2xml then xml2json through files (needs --allow-write)",
    ignore: !canWrite,
    fn: async () => {
      const dir = await Deno.makeTempDir();
      try {
        const wsFile = `${dir}/ws.json`;
        assert.equal(
          (await run([
            "xml2json",
            DATA + CASES.xmlimport_input2.config,
            "--basedir",
            DATA + CASES.xmlimport_input2.basedir,
            "--output-file",
            wsFile,
          ])).code,
          0,
        );
        const j = await run(["json2xml", wsFile, "--output-dir", `${dir}/out`]);
        assert.equal(j.code, 0, j.err);
        const back = await run(["xml2json", `${dir}/out/FitConfig.xml`, "--basedir", `${dir}/out`]);
        assert.equal(back.code, 0, back.err);
        const ws: Workspace = JSON.parse(Deno.readTextFileSync(wsFile));
        assertJsonClose(JSON.parse(back.out), ws, "$", 1e-12, 0);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
});
