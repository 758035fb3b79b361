/**
 * Bad input gets a clear error or an explicit warning, never a silent number: an undefined NLL
 * (all samples zero), a POI fixed by the measurement (hypotests and limits refused as pyhf does,
 * fits fine), POI bounds [1, 1], a POI init outside its bounds, `hypotest --mu` outside the POI
 * bounds, non-UTF-8 files (the byte offset named), control bytes in error messages (escaped),
 * histosys templates driven negative (warning naming channel, sample and bin), and `--strict`.
 * The CLI runs in-process (`main` with captured output) on the workspaces in ./data.
 */
import assert from "node:assert/strict";
import {
  discoverySignificance,
  fit,
  fixedPoiFit,
  fromPyhf,
  hypotest,
  upperLimit,
} from "../../stats/mod.ts";
import { escapeControl, main } from "../../stats/cli/main.ts";
import { decodeUtf8 } from "../../stats/cli/utf8.ts";

const dataDir = new URL("./data/", import.meta.url);
const path = (f: string) => new URL(f, dataDir).pathname;
const load = (f: string) => JSON.parse(Deno.readTextFileSync(new URL(f, dataDir)));

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

Deno.test("bad input: an undefined NLL is an error naming the bins", async (t) => {
  const model = fromPyhf(load("all_zero_samples.json"));
  await t.step("fit throws, naming channel and bins", () => {
    assert.throws(
      () => fit(model.observed, model),
      /NLL is undefined .*"sr" bin 0 \(expected 0, observed 53\), "sr" bin 1.*all samples zero/,
    );
  });
  await t.step("the CLI exits 1 with that message (no twice_nll: null)", async () => {
    const r = await run(["fit", path("all_zero_samples.json"), "--json"]);
    assert.equal(r.code, 1);
    assert.equal(r.out, "");
    assert.match(r.err, /zgrad: error: fit failed: .*NLL is undefined/);
  });
});

Deno.test("bad input: a POI fixed by the measurement", async (t) => {
  const model = fromPyhf(load("fixed_poi.json"));
  const msg = /POI "mu" at index \[0\] is set as fixed, which makes profile likelihood ratio/;
  await t.step("hypotest, upper limit and significance are refused, as pyhf does", () => {
    assert.throws(() => hypotest(1, model.observed, model), msg);
    assert.throws(() => upperLimit(model.observed, model), msg);
    assert.throws(() => discoverySignificance(model.observed, model), msg);
  });
  await t.step("fits are fine", () => {
    const r = fit(model.observed, model);
    assert.ok(r.converged);
    assert.equal(r.bestfit[0], 1);
  });
  await t.step("CLI: hypotest exits 1 with pyhf's message", async () => {
    const r = await run(["hypotest", path("fixed_poi.json")]);
    assert.equal(r.code, 1);
    assert.match(r.err, msg);
  });
});

Deno.test("bad input: POI bounds and values that would silently give CLs = 1", async (t) => {
  await t.step("bounds [1, 1]: hypotest and limits refused", () => {
    const model = fromPyhf(load("poi_bounds_1_1.json"));
    const msg = /POI "mu" has bounds \[1, 1\]: it cannot vary, so every hypothesis test would/;
    assert.throws(() => hypotest(1, model.observed, model), msg);
    assert.throws(() => upperLimit(model.observed, model), msg);
  });
  const ws = load("fixed_poi.json");
  ws.measurements[0].config.parameters = [];
  const model = fromPyhf(ws);
  await t.step("hypotest --mu outside the POI bounds is an error", async () => {
    assert.throws(
      () => hypotest(20, model.observed, model),
      /mu = 20 is outside the POI bounds \[0, 10\]/,
    );
    assert.throws(() => hypotest(-1, model.observed, model), /outside the POI bounds/);
    const r = await run([
      "hypotest",
      path("fixed_poi.json").replace("fixed_poi", "all_zero_samples"),
    ]);
    assert.equal(r.code, 1); // (the undefined NLL comes first there)
  });
  await t.step("an init outside the bounds: the fit warns and starts at the bound", () => {
    const r = fit(model.observed, model, { init: [12, 0] });
    assert.ok(r.converged);
    assert.ok(
      r.warnings.some((w) => /initial value of mu \(12\) is outside its bounds \[0,10\]/.test(w)),
      r.warnings.join("; "),
    );
    // A fixed component is not clipped (fixedPoiFit may test values beyond the bounds).
    assert.equal(fixedPoiFit(12, model.observed, model).bestfit[0], 12);
  });
});

Deno.test("bad input: encodings and control bytes", async (t) => {
  await t.step("non-UTF-8: the byte offset of the first bad byte", async () => {
    const bytes = Deno.readFileSync(new URL("latin1_workspace.bin", dataDir));
    const at = bytes.indexOf(0xe9);
    assert.throws(
      () => decodeUtf8(bytes, 'workspace "ws.json"'),
      new RegExp(`not valid UTF-8: invalid byte sequence at byte offset ${at} \\(0xe9 `),
    );
    const r = await run(["fit", path("latin1_workspace.bin")]);
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`byte offset ${at}`));
  });
  await t.step("decodeUtf8: overlong, surrogate, truncated and valid sequences", () => {
    const offset = (b: number[]) => {
      try {
        decodeUtf8(new Uint8Array(b), "x");
        return -1;
      } catch (e) {
        return Number(/byte offset (\d+)/.exec((e as Error).message)![1]);
      }
    };
    assert.equal(offset([0x41, 0xc0, 0x80]), 1); // overlong NUL
    assert.equal(offset([0x41, 0x42, 0xed, 0xa0, 0x80]), 2); // UTF-16 surrogate
    assert.equal(offset([0x41, 0xe2, 0x82]), 1); // truncated €
    assert.equal(offset([0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]), -1); // € 😀
    assert.equal(offset([0x7b, 0xf5, 0x80, 0x80, 0x80]), 1); // beyond U+10FFFF
  });
  await t.step("error messages escape control bytes from the input", async () => {
    assert.equal(escapeControl("a\u0000b\u001b[31m\u007f"), "a\\x00b\\x1b[31m\\x7f");
    const r = await run(["fit", path("control_bytes_workspace.bin")]);
    assert.equal(r.code, 1);
    assert.match(r.err, /invalid workspace/);
    assert.ok(!CONTROL.test(r.err), `raw control bytes in ${JSON.stringify(r.err)}`);
  });
});

Deno.test("bad input: histosys interpolated below zero is a warning naming channel/sample/bin", () => {
  const ws = {
    channels: [{
      name: "sr",
      samples: [
        { name: "sig", data: [5, 5], modifiers: [{ name: "mu", type: "normfactor", data: null }] },
        {
          name: "bkg",
          data: [10, 2],
          modifiers: [{
            name: "shape",
            type: "histosys",
            data: { hi_data: [11, 0.5], lo_data: [9, 3.5] },
          }],
        },
      ],
    }],
    observations: [{ name: "sr", data: [12, 0] }],
    measurements: [{ name: "m", config: { poi: "mu", parameters: [] } }],
    version: "1.0.0",
  };
  const model = fromPyhf(ws);
  assert.deepEqual(model.negativeYields([1.6, 0]), [
    'histosys interpolation makes sample "bkg" negative in channel "sr", bin 1 (-0.4000)',
  ]);
  assert.deepEqual(model.negativeYields([0, 0]), []);
  const r = fixedPoiFit(0, model.observed, model, { init: [1.6, 0] });
  // The observed 0 in bin 1 pulls the shape up until the yield is 0 or below: reported if so.
  const negative = model.negativeYields(r.bestfit).length > 0;
  assert.equal(r.warnings.some((w) => w.includes('sample "bkg" negative')), negative);
});

Deno.test("CLI: --strict makes a non-converged fit exit non-zero; per-command --help", async (t) => {
  await t.step("--help per command", async () => {
    for (const c of ["fit", "hypotest", "upper-limit", "significance", "ranking"]) {
      const r = await run([c, "--help"]);
      assert.equal(r.code, 0);
      assert.match(r.out, new RegExp(`^usage: zgrad ${c} WORKSPACE\\.json`));
      assert.match(r.out, /pyhf equivalent:/);
      assert.match(r.out, /--strict/);
    }
    assert.match((await run(["hypotest", "-h"])).out, /--mu X/);
    assert.doesNotMatch((await run(["fit", "--help"])).out, /--level/);
  });
  await t.step(
    "--strict: a fit stopped early exits 1; without it, exit 0 and NOT CONVERGED",
    async () => {
      const ws = path("fixed_poi.json").replace("fixed_poi", "poi_bounds_1_1");
      assert.equal((await run(["fit", ws, "--strict"])).code, 0);
      const loose = await run(["fit", ws, "--max-iter", "1", "--json"]);
      assert.equal(loose.code, 0);
      assert.equal(JSON.parse(loose.out).status.converged, false);
      const strict = await run(["fit", ws, "--max-iter", "1", "--strict"]);
      assert.equal(strict.code, 1);
      assert.match(strict.out, /NOT CONVERGED/);
      assert.match(strict.err, /a fit did not converge \(--strict\): maximum number of iterations/);
    },
  );
});

Deno.test("CLI: fit --restarts reports every minimum and where the kept one started", async () => {
  const r = await run(["fit", path("simple.json"), "--mu", "1", "--restarts", "--json"]);
  assert.equal(r.code, 0, r.err);
  const m = JSON.parse(r.out).metric;
  assert.deepEqual(m.minima.map((x: { start: string }) => x.start), ["suggested init", "free fit"]);
  assert.ok(["suggested init", "free fit"].includes(m.start));
  assert.deepEqual(m.at_kink, []);
  const plain = JSON.parse((await run(["fit", path("simple.json"), "--json"])).out).metric;
  assert.equal(plain.minima, null);
  assert.equal(plain.start, "suggested init");
  const table = await run(["fit", path("simple.json"), "--mu", "1", "--restarts"]);
  assert.match(table.out, /minima found \(--restarts\): .* from suggested init; .* from free fit/);
});
