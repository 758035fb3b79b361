/**
 * Workspace tools as pyhf's CLI has them: digest (bitwise pyhf's `utils.digest`), prune, rename,
 * combine with each join mode, sort, and patchsets (verify by digest, apply by name or values).
 *
 * `data/pyhf_2bin_1channel.json` is pyhf's `docs/examples/json/2-bin_1-channel.json`; its
 * digest is the one pyhf's documentation prints for `pyhf digest` of that file.
 */
import assert from "node:assert/strict";
import { pythonFloatRepr, pythonJsonDumps } from "../../stats/tools/pyjson.ts";
import { digest } from "../../stats/tools/digest.ts";
import {
  combine,
  prune,
  rename,
  sorted,
  WorkspaceOperationError,
} from "../../stats/tools/operations.ts";
import { applyPatch, parsePatchset, verifyPatchset } from "../../stats/tools/patchset.ts";
import { formatSummary, inspectWorkspace } from "../../stats/tools/inspect.ts";
import { parseWorkspace, type Workspace } from "../../stats/mod.ts";
import { main } from "../../stats/cli/main.ts";

const TEXT = Deno.readTextFileSync(new URL("./data/pyhf_2bin_1channel.json", import.meta.url));
const WS = parseWorkspace(TEXT);
const PYHF_DIGEST = "dad8822af55205d60152cbe4303929042dbd9d4839012e055e7c6b6459d68d73";

Deno.test("digest: pyhf's documented values", async (t) => {
  await t.step("pyhf digest of 2-bin_1-channel.json", () => {
    assert.equal(digest(TEXT), PYHF_DIGEST);
  });
  await t.step("utils.digest docstring example, three algorithms", () => {
    const obj = '{"a": 2.0, "b": 3.0, "c": 1.0}';
    assert.equal(digest(obj), "a38f6093800189b79bc22ef677baf90c75705af2cfc7ff594159eca54eaa7928");
    assert.equal(digest(obj, "md5"), "2c0633f242928eb55c3672fed5ba8612");
    assert.equal(digest(obj, "sha1"), "49a27f499e763766c9545b294880df277be6f545");
  });
  await t.step("a parsed workspace counts integral numbers as ints (documented)", () => {
    assert.notEqual(digest(WS), PYHF_DIGEST);
    assert.equal(digest(WS), digest(JSON.stringify(WS)));
  });
  await t.step("unknown algorithm is an error", () => {
    // deno-lint-ignore no-explicit-any
    assert.throws(() => digest(TEXT, "crc32" as any), /crc32.*is not one of/);
  });
});

Deno.test("pythonJsonDumps: Python's json.dumps and float repr", () => {
  // Expected strings printed by CPython 3 (json.dumps(..., sort_keys=True, ensure_ascii=False)
  // and repr(float)).
  const xs = [1e-5, 1e16, 1e15, 123456789012345678, 1e-4, -0, 1.5e300, 5e-324, 0.1, 2, 9.999e-5];
  assert.deepEqual(xs.map(pythonFloatRepr), [
    "1e-05",
    "1e+16",
    "1000000000000000.0",
    "1.2345678901234568e+17",
    "0.0001",
    "-0.0",
    "1.5e+300",
    "5e-324",
    "0.1",
    "2.0",
    "9.999e-05",
  ]);
  assert.equal(
    pythonJsonDumps('{"b": 3.0, "a": [1, 2.50, -0, 1E5, "x\\u0001é"]}'),
    '{"a": [1, 2.5, 0, 100000.0, "x\\u0001é"], "b": 3.0}',
  );
});

const names = (ws: Workspace) => ({
  channels: ws.channels.map((c) => c.name),
  samples: ws.channels.flatMap((c) => c.samples.map((s) => s.name)),
  modifiers: ws.channels.flatMap((c) => c.samples.flatMap((s) => s.modifiers.map((m) => m.name))),
  observations: ws.observations.map((o) => o.name),
  measurements: ws.measurements.map((m) => m.name),
});

Deno.test("prune and rename", async (t) => {
  await t.step("prune by modifier type and by sample", () => {
    assert.deepEqual(names(prune(WS, { modifierTypes: ["shapesys"] })).modifiers, ["mu"]);
    assert.deepEqual(names(prune(WS, { samples: ["signal"] })).samples, ["background"]);
    assert.deepEqual(names(WS).modifiers, ["mu", "uncorr_bkguncrt"], "input unchanged");
  });
  await t.step("pruning what does not exist is an error naming it", () => {
    assert.throws(
      () => prune(WS, { modifiers: ["jes"] }),
      (e: Error) =>
        e instanceof WorkspaceOperationError && /jes is not one of the modifiers/.test(e.message),
    );
    assert.throws(() => prune(WS, { modifierTypes: ["histosys"] }), /modifier types/);
  });
  await t.step("rename channels (observations follow) and the POI's modifier", () => {
    const r = rename(WS, { channels: { singlechannel: "SR" }, modifiers: { mu: "mu_sig" } });
    assert.deepEqual(names(r).channels, ["SR"]);
    assert.deepEqual(names(r).observations, ["SR"]);
    assert.equal(r.measurements[0].config.poi, "mu_sig");
    assert.throws(() => rename(WS, { samples: { nope: "x" } }), /nope is not one of the samples/);
  });
});

Deno.test("combine: pyhf's join modes", async (t) => {
  const other = rename(WS, { channels: { singlechannel: "CR" } });
  await t.step("none: disjoint channels combine; a shared name is an error", () => {
    const both = combine(WS, rename(other, { measurements: { Measurement: "M2" } }));
    assert.deepEqual(names(both).channels, ["singlechannel", "CR"]);
    assert.deepEqual(names(both).measurements, ["Measurement", "M2"]);
    assert.throws(() => combine(WS, WS), /cannot have any channels in common.*singlechannel/);
  });
  await t.step("outer: identical items merge, conflicting ones are errors", () => {
    assert.deepEqual(names(combine(WS, WS, { join: "outer" })).channels, ["singlechannel"]);
    const changed = structuredClone(WS);
    changed.channels[0].samples[0].data = [6, 11];
    assert.throws(
      () => combine(WS, changed, { join: "outer" }),
      /channels in common with incompatible structure: singlechannel/,
    );
    const poi = structuredClone(other);
    poi.measurements[0].config.poi = "uncorr_bkguncrt";
    assert.throws(() => combine(WS, poi, { join: "outer" }), /incompatible POI: Measurement/);
  });
  await t.step("left/right outer: the named side wins on a clash", () => {
    const changed = structuredClone(WS);
    changed.channels[0].samples[0].data = [6, 11];
    assert.deepEqual(
      combine(WS, changed, { join: "left outer" }).channels[0].samples[0].data,
      [5, 10],
    );
    assert.deepEqual(
      combine(WS, changed, { join: "right outer" }).channels[0].samples[0].data,
      [6, 11],
    );
  });
  await t.step("mergeChannels merges the samples of same-named channels", () => {
    const extra = structuredClone(WS);
    extra.channels[0].samples = [{ name: "other", data: [1, 1], modifiers: [] }];
    const m = combine(WS, extra, { join: "outer", mergeChannels: true });
    assert.deepEqual(names(m).samples, ["signal", "background", "other"]);
    assert.throws(() => combine(WS, extra, { mergeChannels: true }), /only be merged/);
  });
});

Deno.test("sorted: channels, samples, modifiers, measurements by name", () => {
  const s = sorted(combine(
    WS,
    rename(WS, {
      channels: { singlechannel: "A" },
      measurements: { Measurement: "B" },
    }),
  ));
  assert.deepEqual(names(s).channels, ["A", "singlechannel"]);
  assert.deepEqual(names(s).samples, ["background", "signal", "background", "signal"]);
  assert.deepEqual(names(s).measurements, ["B", "Measurement"]);
});

Deno.test("patchsets: verify by digest, apply by name or values", async (t) => {
  const ps = parsePatchset({
    metadata: {
      references: { hepdata: "ins0000000" },
      description: "signal mass points for the 2-bin example",
      digests: { sha256: PYHF_DIGEST },
      labels: ["m"],
    },
    patches: [
      {
        metadata: { name: "m500", values: [500] },
        patch: [{ op: "replace", path: "/channels/0/samples/0/data", value: [20, 1] }],
      },
      {
        metadata: { name: "m900", values: [900] },
        patch: [{ op: "replace", path: "/channels/0/samples/0/data", value: [2, 30] }],
      },
    ],
    version: "1.0.0",
  });
  await t.step("apply by name and by values", () => {
    assert.deepEqual(applyPatch(ps, TEXT, "m500").channels[0].samples[0].data, [20, 1]);
    assert.deepEqual(applyPatch(ps, TEXT, [900]).channels[0].samples[0].data, [2, 30]);
  });
  await t.step("a different background-only workspace fails verification", () => {
    const other = TEXT.replace("[50.0, 60.0]", "[51.0, 60.0]");
    assert.throws(() => verifyPatchset(ps, other), /digest verification failed.*sha256/);
  });
  await t.step("unknown patch, bad patch path, bad patchset: clear errors", () => {
    assert.throws(() => applyPatch(ps, TEXT, "m1000"), /No patch associated with "m1000".*m500/);
    const bad = structuredClone(ps);
    bad.patches[0].patch[0].path = "/channels/3/samples";
    assert.throws(() => applyPatch(bad, TEXT, "m500"), /patch m500: operation 0/);
    assert.throws(
      () => parsePatchset({ ...ps, patches: [ps.patches[0], ps.patches[0]] }),
      /duplicate m500/,
    );
    assert.throws(() => parsePatchset({ ...ps, version: 1 }), /patchset: version/);
  });
});

Deno.test("inspect: pyhf's summary of the 2-bin example", () => {
  const s = inspectWorkspace(WS);
  assert.deepEqual(s.channels, [["singlechannel", 2]]);
  assert.deepEqual(s.samples, ["background", "signal"]);
  assert.deepEqual(s.parameters, [
    { name: "mu", constraint: "unconstrained", modifiers: ["normfactor"] },
    { name: "uncorr_bkguncrt", constraint: "constrained_by_poisson", modifiers: ["shapesys"] },
  ]);
  // The layout of pyhf's docstring example of `pyhf inspect` for this file.
  const text = formatSummary(s);
  assert.match(text, /^ {7}channels {2}1$/m);
  assert.match(text, /^ {2}singlechannel {4}2 {2}$/m);
  assert.match(text, /^uncorr_bkguncrt {2}constrained_by_poisson {2}shapesys$/m);
  assert.match(text, /^\(\*\) Measurement {12}mu {12}\(none\)$/m);
});

Deno.test("CLI: the workspace tools as pyhf's commands", async (t) => {
  const path = new URL("./data/pyhf_2bin_1channel.json", import.meta.url).pathname;
  const run = async (argv: string[]) => {
    const out: string[] = [], err: string[] = [];
    const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
    return { code, out: out.join("\n"), err: err.join("\n") };
  };
  await t.step("digest prints pyhf's line", async () => {
    const r = await run(["digest", path]);
    assert.equal(r.code, 0);
    assert.equal(r.out, `sha256:${PYHF_DIGEST}`);
    assert.deepEqual(JSON.parse((await run(["digest", path, "-a", "md5", "--json"])).out), {
      md5: digest(TEXT, "md5"),
    });
  });
  await t.step("inspect, prune, rename, sort, combine", async () => {
    assert.match((await run(["inspect", path])).out, /constrained_by_poisson/);
    const pruned = JSON.parse((await run(["prune", path, "-t", "shapesys"])).out);
    assert.deepEqual(pruned.channels[0].samples[1].modifiers, []);
    const renamed = JSON.parse((await run(["rename", path, "-c", "singlechannel", "SR"])).out);
    assert.equal(renamed.observations[0].name, "SR");
    assert.equal(
      JSON.parse((await run(["sort", path])).out).channels[0].samples[0].name,
      "background",
    );
    const outer = JSON.parse((await run(["combine", path, path, "--join", "outer"])).out);
    assert.equal(outer.channels.length, 1);
  });
  await t.step("errors: exit 1 with pyhf's reason, exit 2 on bad usage", async () => {
    const clash = await run(["combine", path, path]);
    assert.equal(clash.code, 1);
    assert.match(clash.err, /channels in common with the same name: singlechannel/);
    const bad = await run(["combine", path, path, "--join", "inner"]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--join must be one of/);
    assert.equal((await run(["prune", path, "--bogus"])).code, 2);
    assert.match((await run(["prune", "--help"])).out, /zgrad prune WS.json/);
    // Invalid UTF-8 is an error naming the byte offset, as for the statistics commands.
    const bad8 = await Deno.makeTempFile({ suffix: ".json" });
    try {
      await Deno.writeFile(bad8, new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]));
      const r = await run(["digest", bad8]);
      assert.equal(r.code, 1);
      assert.match(r.err, /byte offset 2/);
    } finally {
      await Deno.remove(bad8);
    }
  });
});
