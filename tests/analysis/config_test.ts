import assert from "node:assert/strict";
import {
  applyOverrides,
  ConfigError,
  configHash,
  deepMerge,
  parseOverride,
  resolveConfig,
} from "../../analysis/config/load.ts";
import { DEFAULT_CONFIG } from "../../analysis/config/defaults.ts";
import { binEdges } from "../../analysis/config/schema.ts";
import { main, parseRunArgs } from "../../analysis/run.ts";

async function issues(f: () => Promise<unknown>): Promise<string[]> {
  try {
    await f();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
    return e.issues;
  }
  assert.fail("expected a ConfigError");
}

Deno.test("config: defaults are valid and carry the reference values", async () => {
  const c = await resolveConfig();
  assert.equal(c.general.lumi, 16400);
  assert.equal(c.general.weightsBranch, "genWeight");
  assert.equal(c.general.analysis, "diff");
  assert.deepEqual(binEdges(c.channels[0].observables[0].binning).slice(0, 2), [200, 340]);
  assert.deepEqual(c.optimisation.clamps.metThreshold, [20, 150]);
  assert.equal(c.optimisation.learningRates.nn, 5e-4);
  assert.equal(c.mva[0].epochs, 1000);
  assert.deepEqual(c.mva[0].hiddenLayers, [16, 16]);
});

Deno.test("config: overrides are parsed as JSON where possible", async () => {
  const c = await resolveConfig({
    overrides: [
      "general.maxFiles=2",
      "general.analysis=nondiff",
      'general.processes=["signal","wjets"]',
      "general.outputDir=out/run 1",
      "general.fileset=null",
      "statistics.lumiUncertainty=0.03",
      "preprocess.skim=[]",
    ],
  });
  assert.equal(c.general.maxFiles, 2);
  assert.equal(c.general.analysis, "nondiff");
  assert.deepEqual(c.general.processes, ["signal", "wjets"]);
  assert.equal(c.general.outputDir, "out/run 1");
  assert.equal(c.general.fileset, null);
  assert.equal(c.statistics.lumiUncertainty, 0.03);
  assert.deepEqual(c.preprocess.skim, []);
  // Untouched keys keep their defaults.
  assert.equal(c.general.lumi, 16400);
  assert.deepEqual(parseOverride("general.maxFiles=2"), {
    path: ["general", "maxFiles"],
    value: 2,
  });
});

Deno.test("config: errors name the key path", async (t) => {
  await t.step("wrong type", async () => {
    const is = await issues(() => resolveConfig({ overrides: ['general.maxFiles="two"'] }));
    assert.deepEqual(is, ['general.maxFiles: expected number, got "two"']);
  });
  await t.step("unknown key lists the known ones", async () => {
    const is = await issues(() => resolveConfig({ overrides: ["general.maxFile=2"] }));
    assert.equal(is.length, 1);
    assert.match(is[0], /^general\.maxFile: unknown key \(known: lumi, .*maxFiles/);
  });
  await t.step("bad enum", async () => {
    const is = await issues(() => resolveConfig({ overrides: ["general.analysis=fast"] }));
    assert.match(is[0], /^general\.analysis: .*"nondiff"\|"diff"\|"both"/);
  });
  await t.step("nested arrays", async () => {
    const ch = DEFAULT_CONFIG.channels[0];
    const is = await issues(() =>
      resolveConfig({
        config: {
          channels: [{ ...ch, observables: [{ ...ch.observables[0], binning: [3, 2, 1] }] }],
        },
      })
    );
    assert.deepEqual(is, ["channels[0].observables[0].binning: bin edges must increase strictly"]);
  });
  await t.step("functions are checked", async () => {
    const is = await issues(() =>
      resolveConfig({ config: { baselineSelection: { function: "nMuon == 1" } } })
    );
    assert.deepEqual(is, [
      "baselineSelection.function: expected a function (events → bool mask per event)",
    ]);
  });
  await t.step("cross-field checks", async () => {
    const ch = DEFAULT_CONFIG.channels[0];
    const is = await issues(() =>
      resolveConfig({
        config: {
          channels: [{ ...ch, fitObservable: "mjj" }],
          optimisation: { params: { metThreshold: 500 } },
        },
      })
    );
    assert.equal(is.length, 2, is.join("\n"));
    assert.match(is[0], /^channels\[0\]\.fitObservable: "mjj" is not one of .*mtt/);
    assert.match(is[1], /^optimisation\.params\.metThreshold: initial value 500 is outside/);
  });
  await t.step("several problems at once", async () => {
    const is = await issues(() =>
      resolveConfig({ overrides: ["general.lumi=-1", "statistics.clsLevel=1.5"] })
    );
    assert.deepEqual(is, [
      "general.lumi: expected a positive number",
      "statistics.clsLevel: expected 0 < level < 1",
    ]);
  });
});

Deno.test("config: overrides of other blocks are refused with the reason", async (t) => {
  for (
    const key of [
      "mva.epochs=3",
      "channels.name=x",
      "systematics.x=1",
      "optimisation.maxIterations=5",
    ]
  ) {
    await t.step(key, async () => {
      const is = await issues(() => resolveConfig({ overrides: [key] }));
      assert.equal(is.length, 1);
      assert.match(
        is[0],
        /command-line overrides are allowed only for general, preprocess, statistics: block \w+ holds functions or structure .*\(--config/,
      );
    });
  }
  assert.match(
    (await issues(() => resolveConfig({ overrides: ["nonsense.x=1"] })))[0],
    /there is no block nonsense \(blocks: general, preprocess, /,
  );
  assert.match(
    (await issues(() => resolveConfig({ overrides: ["general=1"] })))[0],
    /name a key inside the block/,
  );
  assert.match(
    (await issues(() => resolveConfig({ overrides: ["general.maxFiles"] })))[0],
    /expected key\.path=value/,
  );
});

Deno.test("config: user configs in JSON, YAML and TypeScript merge over the defaults", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/c.json`, JSON.stringify({ general: { maxFiles: 3 } }));
    await Deno.writeTextFile(`${dir}/c.yaml`, "general:\n  maxFiles: 4\nstatistics:\n  poi: mu\n");
    const defaults = new URL("../../analysis/config/defaults.ts", import.meta.url).href;
    await Deno.writeTextFile(
      `${dir}/c.ts`,
      `import { DEFAULT_CONFIG } from "${defaults}";\n` +
        `export const config = { general: { maxFiles: 5 }, baselineSelection: ` +
        `{ function: DEFAULT_CONFIG.baselineSelection.function } };\n`,
    );
    await Deno.writeTextFile(`${dir}/bad.yaml`, "general:\n  maxFiles: [1\n");
    assert.equal((await resolveConfig({ path: `${dir}/c.json` })).general.maxFiles, 3);
    assert.equal((await resolveConfig({ path: `${dir}/c.yaml` })).general.maxFiles, 4);
    assert.equal((await resolveConfig({ path: `${dir}/c.ts` })).general.maxFiles, 5);
    // Overrides win over the file.
    const c = await resolveConfig({ path: `${dir}/c.yaml`, overrides: ["general.maxFiles=1"] });
    assert.equal(c.general.maxFiles, 1);
    assert.match(
      (await issues(() => resolveConfig({ path: `${dir}/bad.yaml` })))[0],
      /cannot parse/,
    );
    assert.match(
      (await issues(() => resolveConfig({ path: `${dir}/none.json` })))[0],
      /cannot read/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config: merging, and a hash that sees function bodies", async () => {
  assert.deepEqual(deepMerge({ a: { b: 1, c: [1, 2] } }, { a: { c: [3] } }), {
    a: { b: 1, c: [3] },
  });
  assert.deepEqual(applyOverrides({ general: { a: 1, b: 2 } }, ["general.b=3"]), {
    general: { a: 1, b: 3 },
  });
  const h1 = await configHash(DEFAULT_CONFIG);
  const h2 = await configHash({
    ...DEFAULT_CONFIG,
    baselineSelection: { function: (ev) => ev.event.MET_pt.gt(0) },
  });
  assert.match(h1, /^[0-9a-f]{64}$/);
  assert.notEqual(h1, h2);
  assert.equal(h1, await configHash(DEFAULT_CONFIG));
});

Deno.test("CLI: --help lists the blocks and the override syntax; bad arguments exit 2", async () => {
  const out: string[] = [], err: string[] = [];
  const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
  assert.equal(await main(["--help"], io), 0);
  for (
    const block of [
      "general",
      "preprocess",
      "goodObjectMasks",
      "baselineSelection",
      "channels",
      "ghostObservables",
      "corrections",
      "systematics",
      "mva",
      "optimisation",
      "statistics",
    ]
  ) {
    assert.match(out[0], new RegExp(`\\n  ${block} `), block);
  }
  assert.match(out[0], /general\.maxFiles=2/);
  assert.equal(await main(["mva.epochs=1"], io), 2);
  assert.match(err.at(-1)!, /^analysis: error: invalid override:\n {2}mva\.epochs: /);
  assert.equal(await main(["--frobnicate"], io), 2);
  assert.match(err.at(-1)!, /unknown option --frobnicate/);
  assert.equal(await main(["plainword"], io), 2);
  assert.deepEqual(parseRunArgs(["--config=a.yaml", "general.maxFiles=1"]), {
    help: false,
    config: "a.yaml",
    overrides: ["general.maxFiles=1"],
  });
});
