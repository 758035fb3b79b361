/**
 * Bad input: each malformed workspace or setting gives a WorkspaceError that names the JSON path
 * and says what is wrong.
 */
import assert from "node:assert/strict";
import {
  fromPyhf,
  type FromPyhfOptions,
  parseWorkspace,
  validateWorkspace,
  WorkspaceError,
} from "../../stats/mod.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

function base(): Json {
  return {
    channels: [{
      name: "sr",
      samples: [
        { name: "sig", data: [5, 10], modifiers: [{ name: "mu", type: "normfactor", data: null }] },
        { name: "bkg", data: [50, 60], modifiers: [] },
      ],
    }],
    observations: [{ name: "sr", data: [55, 70] }],
    measurements: [{ name: "m", config: { poi: "mu", parameters: [] } }],
    version: "1.0.0",
  };
}

/** Asserts `f` throws a WorkspaceError whose first issue has `path` and a message matching `msg`. */
function rejects(f: () => unknown, path: string, msg: RegExp) {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof WorkspaceError, `expected a WorkspaceError, got ${e}`);
    assert.equal(e.issues[0].path, path, e.message);
    assert.match(e.issues[0].message, msg);
    assert.ok(e.message.startsWith(`${path}: `), e.message);
    return true;
  });
}
const build = (ws: Json, opts?: FromPyhfOptions) => () => fromPyhf(ws, opts);

Deno.test("workspace errors: structure", async (t) => {
  await t.step("malformed JSON", () => {
    rejects(() => parseWorkspace('{"channels": ['), "(json)", /malformed JSON/);
  });
  await t.step(
    "not an object",
    () => rejects(() => validateWorkspace(42), "(workspace)", /expected an object, got 42/),
  );
  await t.step("missing top-level key", () => {
    const ws = base();
    delete ws.observations;
    rejects(() => validateWorkspace(ws), "observations", /required array is missing/);
  });
  await t.step("unknown modifier type", () => {
    const ws = base();
    ws.channels[0].samples[1].modifiers.push({ name: "x", type: "normsyss", data: null });
    rejects(
      () => validateWorkspace(ws),
      "channels[0].samples[1].modifiers[0].type",
      /unknown modifier type "normsyss" \(known types: histosys, lumi, normfactor/,
    );
  });
  await t.step("modifier data of the wrong form", () => {
    const ws = base();
    ws.channels[0].samples[1].modifiers.push({ name: "n", type: "normsys", data: { hi: 1.1 } });
    rejects(
      () => validateWorkspace(ws),
      "channels[0].samples[1].modifiers[0].data.lo",
      /required number is missing/,
    );
  });
  await t.step("non-positive normsys factor", () => {
    const ws = base();
    ws.channels[0].samples[1].modifiers.push({
      name: "n",
      type: "normsys",
      data: { hi: 1.1, lo: 0 },
    });
    rejects(
      () => validateWorkspace(ws),
      "channels[0].samples[1].modifiers[0].data.lo",
      /must be positive/,
    );
  });
  await t.step("duplicate names", () => {
    const ws = base();
    ws.channels[0].samples[1].name = "sig";
    rejects(
      () => validateWorkspace(ws),
      "channels[0].samples[1].name",
      /duplicate sample name "sig"/,
    );
  });
});

Deno.test("workspace errors: bin counts", async (t) => {
  await t.step("histosys hi_data (the issue's example)", () => {
    const ws = base();
    const twelve = Array.from({ length: 12 }, () => 10);
    ws.channels.push({
      name: "cr",
      samples: [{
        name: "bkg",
        data: twelve,
        modifiers: [
          { name: "mu2", type: "normfactor", data: null },
          { name: "s", type: "staterror", data: twelve.map(() => 1) },
          { name: "h", type: "histosys", data: { hi_data: twelve.slice(1), lo_data: twelve } },
        ],
      }],
    });
    ws.observations.push({ name: "cr", data: twelve });
    assert.throws(() => validateWorkspace(ws), {
      name: "WorkspaceError",
      message: "channels[1].samples[0].modifiers[2].data.hi_data: expected 12 numbers, got 11",
    });
  });
  await t.step("sample data", () => {
    const ws = base();
    ws.channels[0].samples[1].data = [1, 2, 3];
    rejects(
      () => validateWorkspace(ws),
      "channels[0].samples[1].data",
      /expected 2 numbers, got 3/,
    );
  });
  await t.step("staterror data", () => {
    const ws = base();
    ws.channels[0].samples[1].modifiers.push({ name: "st", type: "staterror", data: [1] });
    rejects(
      () => validateWorkspace(ws),
      "channels[0].samples[1].modifiers[0].data",
      /expected 2 numbers, got 1/,
    );
  });
  await t.step("observation", () => {
    const ws = base();
    ws.observations[0].data = [1];
    rejects(() => validateWorkspace(ws), "observations[0].data", /expected 2 numbers, got 1/);
  });
});

Deno.test("workspace errors: yields and observations", async (t) => {
  await t.step("negative yield", () => {
    const ws = base();
    ws.channels[0].samples[1].data = [50, -3];
    rejects(() => validateWorkspace(ws), "channels[0].samples[1].data[1]", /negative yield -3/);
  });
  await t.step("NaN yield", () => {
    const ws = base();
    ws.channels[0].samples[0].data = [NaN, 10];
    rejects(
      () => validateWorkspace(ws),
      "channels[0].samples[0].data[0]",
      /expected a finite number, got NaN/,
    );
  });
  await t.step("infinite uncertainty", () => {
    const ws = base();
    ws.channels[0].samples[1].modifiers.push({ name: "g", type: "shapesys", data: [1, Infinity] });
    rejects(
      () => validateWorkspace(ws),
      "channels[0].samples[1].modifiers[0].data[1]",
      /finite number, got Infinity/,
    );
  });
  await t.step("negative observation", () => {
    const ws = base();
    ws.observations[0].data = [-1, 2];
    rejects(() => validateWorkspace(ws), "observations[0].data[0]", /negative count -1/);
  });
  await t.step("missing observation", () => {
    const ws = base();
    ws.observations = [];
    rejects(() => validateWorkspace(ws), "observations", /missing observation for channel "sr"/);
  });
  await t.step("observation of an unknown channel", () => {
    const ws = base();
    ws.observations.push({ name: "cr", data: [1, 2] });
    rejects(() => validateWorkspace(ws), "observations[1].name", /unknown channel "cr"/);
  });
  await t.step("every problem is listed", () => {
    const ws = base();
    ws.channels[0].samples[1].data = [-1, -2];
    ws.observations = [];
    assert.throws(
      () => validateWorkspace(ws),
      (e: unknown) => (e as WorkspaceError).issues.length === 3,
    );
  });
});

Deno.test("workspace errors: measurement and parameters", async (t) => {
  await t.step("unknown parameter in the measurement config", () => {
    const ws = base();
    ws.measurements[0].config.parameters.push({ name: "typo", inits: [1] });
    rejects(
      build(ws),
      "measurements[0].config.parameters[0].name",
      /parameter "typo" is configured but no modifier declares it \(model parameters: mu\)/,
    );
    const m = fromPyhf(ws, { unknownParameters: "ignore" });
    assert.match(m.warnings[0], /"typo" is configured but no modifier declares it; ignored/);
  });
  await t.step("a ROOT-style lumi config without lumi modifier is only a warning", () => {
    const ws = base();
    ws.measurements[0].config.parameters.push({ name: "lumi", auxdata: [1], sigmas: [0.1] });
    assert.equal(fromPyhf(ws).warnings.length, 1);
  });
  await t.step("unknown measurement", () => {
    rejects(
      build(base(), { measurement: "x" }),
      "measurements",
      /no measurement named "x" \(available: "m"\)/,
    );
  });
  await t.step("POI that is not a parameter", () => {
    const ws = base();
    ws.measurements[0].config.poi = "nope";
    rejects(build(ws), "measurements[0].config.poi", /"nope" is not a model parameter/);
    rejects(build(base(), { poiName: "nope" }), "poiName", /"nope" is not a model parameter/);
  });
  await t.step("wrong number of values", () => {
    const ws = base();
    ws.measurements[0].config.parameters.push({ name: "mu", inits: [1, 2] });
    rejects(
      build(ws),
      "measurements[0].config.parameters[0].inits",
      /expected 1 value for parameter "mu", got 2/,
    );
  });
  await t.step("a field the modifier does not use", () => {
    const ws = base();
    ws.measurements[0].config.parameters.push({ name: "mu", sigmas: [1] });
    rejects(
      build(ws),
      "measurements[0].config.parameters[0].sigmas",
      /"mu" \(normfactor\) does not use sigmas/,
    );
  });
  await t.step("bounds with lo > hi", () => {
    const ws = base();
    ws.measurements[0].config.parameters.push({ name: "mu", bounds: [[2, 1]] });
    rejects(
      () => validateWorkspace(ws),
      "measurements[0].config.parameters[0].bounds[0]",
      /lower bound 2 exceeds/,
    );
  });
  await t.step("lumi without its constraint", () => {
    const ws = base();
    ws.channels[0].samples[1].modifiers.push({ name: "lumi", type: "lumi", data: null });
    rejects(
      build(ws),
      "measurements[0].config.parameters",
      /needs a config entry with auxdata and sigmas/,
    );
  });
  await t.step("one name for two kinds of parameter", () => {
    const ws = base();
    ws.channels[0].samples[1].modifiers.push({
      name: "mu",
      type: "normsys",
      data: { hi: 1.1, lo: 0.9 },
    });
    rejects(
      build(ws),
      "channels[0].samples[1].modifiers[0]",
      /declared by normfactor .* and normsys with different kind/,
    );
  });
  await t.step("shapesys in two channels", () => {
    const ws = base();
    ws.channels[0].samples[1].modifiers.push({ name: "g", type: "shapesys", data: [1, 1] });
    ws.channels.push({
      name: "cr",
      samples: [{
        name: "bkg",
        data: [9],
        modifiers: [{ name: "g", type: "shapesys", data: [1] }],
      }],
    });
    ws.observations.push({ name: "cr", data: [9] });
    rejects(
      build(ws),
      "channels[0].samples[1].modifiers[0]",
      /shapesys "g" acts in channels "cr" and "sr"/,
    );
  });
  await t.step("unsupported interpolation code", () => {
    rejects(
      // deno-lint-ignore no-explicit-any
      build(base(), { modifierSettings: { histosys: { interpcode: "code1" as any } } }),
      "modifierSettings.histosys.interpcode",
      /unsupported interpolation code "code1" \(supported: code0, code2, code4, code4p\)/,
    );
  });
});
