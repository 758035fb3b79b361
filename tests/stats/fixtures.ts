/**
 * Loading the pyhf reference fixtures (../shared/fixtures/pyhf, see its README) and comparing with
 * their tolerances: shared by the parity tests. The same helpers as in pyhf_parity_test.ts.
 */
import assert from "node:assert/strict";
import { fromPyhf, type Model } from "../../stats/mod.ts";

/** The fixture folder. */
export const fixtureDir = new URL("../../../shared/fixtures/pyhf/", import.meta.url);

/** The fixture files (sorted), or why there are none. */
export function listFixtures(): { files: string[]; reason: string } {
  try {
    const files = [...Deno.readDirSync(fixtureDir)]
      .filter((e) => e.isFile && e.name.endsWith(".json"))
      .map((e) => e.name)
      .sort();
    return { files, reason: files.length ? "" : `no *.json fixtures in ${fixtureDir.pathname}` };
  } catch (e) {
    return {
      files: [],
      reason: e instanceof Deno.errors.NotFound
        ? `${fixtureDir.pathname} is absent (a fresh clone has no ../shared)`
        : e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied
        ? `no read permission for ${fixtureDir.pathname} (run with --allow-read)`
        : `cannot read ${fixtureDir.pathname}: ${(e as Error).message}`,
    };
  }
}

// deno-lint-ignore no-explicit-any
export type Json = any;

/** Reads one fixture. */
export function readFixture(file: string): Json {
  return JSON.parse(Deno.readTextFileSync(new URL(file, fixtureDir)));
}

/** True when the fixture used pyhf's default interpolation (normsys code4, histosys code4p). */
export function usesPyhfDefaults(fx: Json): boolean {
  const s = fx.modifier_settings ?? {};
  return (s.normsys?.interpcode ?? "code4") === "code4" &&
    (s.histosys?.interpcode ?? "code4p") === "code4p";
}

/**
 * The fixture's model, built as pyhf's `Workspace.model(measurement, modifier_settings)`. Cases
 * computed with pyhf's defaults are loaded **without** settings, so that the parity tests prove
 * zgrad's defaults give pyhf's numbers; the ROOT-compatible cases (code1/code0) pass theirs.
 */
export function fixtureModel(fx: Json): Model {
  return fromPyhf(fx.spec, {
    measurement: fx.measurement,
    modifierSettings: usesPyhfDefaults(fx) ? undefined : fx.modifier_settings,
  });
}

/** numpy.isclose: |a − b| ≤ atol + rtol·|b| (b is the reference). */
export function isclose(a: number, b: number, rtol: number, atol: number): boolean {
  return Math.abs(a - b) <= atol + rtol * Math.abs(b);
}

/** Asserts isclose element-wise, naming the entry. */
export function assertClose(
  got: ArrayLike<number>,
  want: number[],
  rtol: number,
  atol: number,
  what: string,
) {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    assert.ok(
      isclose(got[i], want[i], rtol, atol),
      `${what}[${i}]: got ${got[i]}, pyhf ${want[i]} (diff ${got[i] - want[i]})`,
    );
  }
}

/** The data vector of a query: observed, or the stored Asimov vector. */
export function dataOf(q: Json, fx: Json): number[] {
  if (q.args.data_vector) return q.args.data_vector;
  assert.equal(q.args.data, "observed", `unexpected data label ${q.args.data}`);
  return fx.model_info.pyhf_data;
}
