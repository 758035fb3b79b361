/**
 * The ROOT reader on the real NanoAOD files of ../shared/data/nanoaod (PROVENANCE.md there):
 * branch lists, jagged structure against the stored counters, the four compression codecs,
 * branch-name fallbacks, known values (checked independently against the file's Parquet twin,
 * written by parquet-cpp-arrow), weights on real events, and clear errors for missing branches
 * and corrupt or truncated files. Skips with a message when ../shared is absent.
 */
import assert from "node:assert/strict";
import { parquetRead } from "npm:hyparquet@^1.31.5";
import { compressors } from "npm:hyparquet-compressors@^1.1.2";
import { isJagged, type Jagged } from "../../analysis/data/columns.ts";
import {
  MissingBranchError,
  openEvents,
  readEvents,
  RootReadError,
} from "../../analysis/data/reader.ts";
import { resolveBranches } from "../../analysis/data/branches.ts";
import { eventWeights } from "../../analysis/data/fileset.ts";
import {
  assertArrayEqual,
  nano,
  nanoMissing,
  noNet,
  noWrite,
  serveBytes,
  skipBecause,
  sum,
  tempDir,
} from "./data_helpers.ts";

const jag = (c: unknown): Jagged => {
  assert.ok(c && isJagged(c as Jagged), "expected a jagged column");
  return c as Jagged;
};

Deno.test("branch fallbacks resolve per file (no ROOT needed)", () => {
  const v12 = new Set([
    "Jet_btagDeepFlavB",
    "FatJet_particleNetWithMass_TvsQCD",
    "PuppiMET_pt",
    "PuppiMET_phi",
    "MET_pt",
    "MET_phi",
  ]);
  const r = resolveBranches([
    "Jet_btagDeepB",
    "FatJet_particleNet_TvsQCD",
    "MET_pt",
    "MET_phi",
    "HLT_TkMu50",
  ], v12);
  assert.equal(r.resolved.get("Jet_btagDeepB"), "Jet_btagDeepFlavB");
  assert.equal(r.resolved.get("FatJet_particleNet_TvsQCD"), "FatJet_particleNetWithMass_TvsQCD");
  assert.equal(r.resolved.get("MET_pt"), "PuppiMET_pt");
  assert.deepEqual(r.missing, [{ branch: "HLT_TkMu50", tried: ["HLT_TkMu50", "HLT_Mu50"] }]);
  // MET members come from one family: PFMET when PuppiMET lacks a member.
  const mixed = resolveBranches(
    ["MET_pt", "MET_sumEt"],
    new Set(["PuppiMET_pt", "PFMET_pt", "PFMET_sumEt"]),
  );
  assert.equal(mixed.resolved.get("MET_pt"), "PFMET_pt");
  assert.equal(mixed.resolved.get("MET_sumEt"), "PFMET_sumEt");
  const none = resolveBranches(["MET_pt"], new Set(["Jet_pt"]));
  assert.deepEqual(none.missing[0].tried, ["PuppiMET_pt", "MET_pt", "PFMET_pt"]);
});

Deno.test({
  name: "reader: real NanoAOD files",
  ignore: skipBecause(nanoMissing),
  async fn(t) {
    await t.step("branch lists and entries", async () => {
      const cases: [string, number, number][] = [
        ["nano_dy.root", 40, 1499],
        ["nano_tt_v12.root", 200, 654],
        ["nano_tt_v15.root", 200, 2656],
        ["NanoAODv5_sample.root", 1000, 1479],
        ["nanoAOD_2015_CMS_Open_Data_ttbar.root", 200, 947],
        ["nano_dimuon.root", 40, 1601],
      ];
      for (const [f, n, nb] of cases) {
        const ev = await openEvents(nano(f));
        assert.equal(ev.nEntries, n, f);
        assert.equal(ev.branchNames.length, nb, f);
        assert.ok(ev.branchNames.includes("Muon_pt") && ev.branchNames.includes("nJet"), f);
      }
    });

    await t.step("jagged offsets agree with the stored counters", async () => {
      for (
        const f of ["nano_dy.root", "NanoAODv5_sample.root", "nano_tt_v12.root", "pfnano.root"]
      ) {
        const tb = await readEvents(nano(f), [
          "nMuon",
          "nJet",
          "Muon_pt",
          "Muon_eta",
          "Jet_pt",
          "Jet_mass",
        ]);
        for (
          const [coll, cols] of [["Muon", ["Muon_pt", "Muon_eta"]], ["Jet", [
            "Jet_pt",
            "Jet_mass",
          ]]] as const
        ) {
          const counter = tb.columns[`n${coll}`] as Float64Array;
          const a = jag(tb.columns[cols[0]]), b = jag(tb.columns[cols[1]]);
          assert.equal(a.offsets.length, tb.nEvents + 1, `${f} ${cols[0]} offsets`);
          assert.equal(a.offsets[0], 0);
          for (let i = 0; i < tb.nEvents; i++) {
            assert.equal(a.offsets[i + 1] - a.offsets[i], counter[i], `${f} ${coll} event ${i}`);
          }
          assert.equal(a.values.length, a.offsets[tb.nEvents]);
          // One collection's columns share one offsets array.
          assert.equal(a.offsets, b.offsets, `${f}: ${cols.join(", ")} share offsets`);
        }
      }
    });

    await t.step("known values (nano_dy: event 4 has two muons)", async () => {
      const tb = await readEvents(nano("nano_dy.root"), ["Muon_pt", "Jet_pt", "MET_pt", "event"]);
      const mu = jag(tb.columns.Muon_pt);
      assertArrayEqual(mu.offsets.slice(0, 6), [0, 0, 0, 0, 0, 2], "Muon offsets");
      assertArrayEqual(mu.values.slice(0, 3), [
        76.7533187866211,
        20.13140869140625,
        31.03870391845703,
      ], "Muon_pt");
      assert.ok(Math.abs(sum(mu.values) - 538.3693809509277) < 1e-9);
      assert.equal(jag(tb.columns.Jet_pt).values.length, 188);
      assert.ok(Math.abs(sum(tb.columns.MET_pt as Float32Array) - 1040.691969871521) < 1e-9);
      assert.ok(tb.columns.event instanceof Float64Array);
      assert.equal((tb.columns.event as Float64Array)[0], 3749778);
    });

    await t.step("independent check: nano_dy.root equals its Parquet twin", async () => {
      const names = ["event", "PuppiMET_pt", "MET_pt", "Jet_pt", "Muon_pt", "Muon_eta"];
      const fromRoot = await readEvents(nano("nano_dy.root"), [
        "event",
        "PuppiMET_pt",
        "MET_pt",
        "Jet_pt",
        "Muon_pt",
        "Muon_eta",
      ]);
      const bytes = await Deno.readFile(nano("nano_dy.parquet"));
      const pq: Record<string, unknown[]> = {};
      await parquetRead({
        file: bytes.buffer,
        compressors,
        columns: ["event", "PuppiMET_pt", "Jet_pt", "Muon_pt", "Muon_eta"],
        rowFormat: "object",
        onComplete: (rows: Record<string, unknown>[]) => {
          for (const n of names) pq[n] = rows.map((r) => r[n]);
        },
      });
      assertArrayEqual(fromRoot.columns.event as Float64Array, pq.event.map(Number), "event");
      assertArrayEqual(
        fromRoot.columns.PuppiMET_pt as Float32Array,
        pq.PuppiMET_pt as number[],
        "PuppiMET_pt",
      );
      // Canonical MET_pt is PuppiMET.
      assertArrayEqual(
        fromRoot.columns.MET_pt as Float32Array,
        pq.PuppiMET_pt as number[],
        "MET_pt",
      );
      for (const n of ["Jet_pt", "Muon_pt", "Muon_eta"]) {
        const c = jag(fromRoot.columns[n]);
        const lists = pq[n] as number[][];
        assertArrayEqual(
          c.offsets.slice(1).map((o, i) => o - c.offsets[i]),
          lists.map((l) => l.length),
          `${n} counts`,
        );
        assertArrayEqual(c.values, lists.flat(), `${n} values`);
      }
    });

    await t.step("all four codecs read identical values (HZZ trio + LZMA NanoAOD)", async () => {
      const br = ["NMuon", "Muon_Px", "Muon_E", "Jet_Py", "MET_px", "EventWeight"];
      const tables = await Promise.all(
        ["zstd", "lz4", "lzma"].map((c) =>
          readEvents(nano(`uproot-HZZ-${c}.root`), br, { tree: "events" })
        ),
      );
      for (const tb of tables) {
        assert.equal(tb.nEvents, 2421);
        assert.equal(jag(tb.columns.Muon_Px).values.length, 3825);
        assert.ok(Math.abs(sum(jag(tb.columns.Muon_Px).values) - -2506.0211019696435) < 1e-6);
      }
      for (const n of br) {
        const [a, b, c] = tables.map((tb) => tb.columns[n]);
        const vals = (x: typeof a) => isJagged(x) ? x.values : x;
        assertArrayEqual(vals(b), vals(a), `${n} lz4 vs zstd`);
        assertArrayEqual(vals(c), vals(a), `${n} lzma vs zstd`);
      }
      // ZLIB is every other NanoAOD file; pfnano.root is LZMA like central CMS NanoAOD.
      const pf = await readEvents(nano("pfnano.root"), ["Muon_pt", "FatJet_particleNet_TvsQCD"]);
      assert.equal(pf.nEvents, 10);
      assert.ok(Math.abs(sum(jag(pf.columns.Muon_pt).values) - 462.8623299598694) < 1e-9);
      assert.equal(jag(pf.columns.FatJet_particleNet_TvsQCD).values.length, 24);
    });

    await t.step("fallbacks across NanoAOD versions", async () => {
      const br = ["Jet_btagDeepB", "FatJet_particleNet_TvsQCD", "MET_pt", "MET_phi"];
      const want: Record<string, string[]> = {
        "nano_tt_v12.root": [
          "Jet_btagDeepFlavB",
          "FatJet_particleNetWithMass_TvsQCD",
          "PuppiMET_pt",
          "PuppiMET_phi",
        ],
        "nano_tt_v15.root": [
          "Jet_btagDeepFlavB",
          "FatJet_particleNetWithMass_TvsQCD",
          "PuppiMET_pt",
          "PuppiMET_phi",
        ],
        "NanoAODv5_sample.root": [
          "Jet_btagDeepB",
          "FatJet_deepTag_TvsQCD",
          "PuppiMET_pt",
          "PuppiMET_phi",
        ],
        "nanoAOD_2015_CMS_Open_Data_ttbar.root": [
          "Jet_btagDeepB",
          "FatJet_particleNet_TvsQCD",
          "PuppiMET_pt",
          "PuppiMET_phi",
        ],
      };
      for (const [f, stored] of Object.entries(want)) {
        const ev = await openEvents(nano(f));
        assert.deepEqual(br.map((b) => ev.resolve(br).get(b)), stored, f);
      }
      // Values arrive under the canonical name; v15's PF MET is still readable by its own name.
      const v15 = await readEvents(nano("nano_tt_v15.root"), [
        "Jet_btagDeepB",
        "Jet_btagDeepFlavB",
        "PFMET_pt",
        "HLT_TkMu50",
      ]);
      assertArrayEqual(
        jag(v15.columns.Jet_btagDeepB).values,
        jag(v15.columns.Jet_btagDeepFlavB).values,
        "btag",
      );
      assert.equal((v15.columns.PFMET_pt as Float32Array).length, 200);
      assert.ok(v15.columns.HLT_TkMu50 instanceof Uint8Array);
    });

    await t.step("a missing branch names the file, the branch and the names tried", async () => {
      await assert.rejects(
        readEvents(nano("nano_tt_v12.root"), ["Muon_pt", "HLT_TkMu50"]),
        (e: unknown) => {
          assert.ok(e instanceof MissingBranchError);
          assert.match(
            e.message,
            /nano_tt_v12\.root has no branch HLT_TkMu50 \(tried HLT_TkMu50, HLT_Mu50\)/,
          );
          return true;
        },
      );
      await assert.rejects(
        readEvents(nano("nano_dimuon.root"), ["genWeight"]),
        /nano_dimuon\.root has no branch genWeight/,
      );
      await assert.rejects(
        readEvents(nano("nano_dy.root"), ["Muon_pt"], { tree: "Runs2" }),
        /nano_dy\.root: no TTree Runs2 \(keys: .*Events/,
      );
    });

    await t.step("weights on real events: sign(genWeight)·σ·L/N_gen", async () => {
      // The "ttbar" 2015 Open Data file is W+jets (aMC@NLO): |genWeight| = 225892.45, both signs.
      const tb = await readEvents(nano("nanoAOD_2015_CMS_Open_Data_ttbar.root"), ["genWeight"]);
      const gw = tb.columns.genWeight as Float32Array;
      const neg = gw.filter((g) => g < 0).length;
      assert.equal(neg, 26);
      const spec = { files: [], xsec: 61526.7, nGen: 200 - 2 * neg, isData: false };
      const w = eventWeights(spec, gw, tb.nEvents, 16400);
      const unit = 61526.7 * 16400 / (200 - 2 * neg);
      assert.ok(Math.abs(sum(w) - unit * (200 - 2 * neg)) < 1e-6 * unit * 200);
      assert.ok(Math.abs(Math.abs(w[0]) - unit) < 1e-9 * unit);
    });
  },
});

Deno.test({
  name: "reader: corrupt and truncated files give errors naming the file",
  ignore: skipBecause(nanoMissing, noWrite),
  async fn() {
    const { dir, cleanup } = await tempDir("zgrad_reader_");
    try {
      const src = await Deno.readFile(nano("NanoAODv5_sample.root"));
      const cases: [string, Uint8Array][] = [
        ["truncated_half.root", src.slice(0, src.length >> 1)],
        ["truncated_header.root", src.slice(0, 1000)],
        ["not_root.root", new TextEncoder().encode("this is not a ROOT file\n".repeat(100))],
      ];
      // Baskets overwritten in the middle: the header and keys are intact, the data is not.
      const scrambled = src.slice();
      for (let i = 300000; i < 2000000; i += 3) scrambled[i] ^= 0x5a;
      cases.push(["scrambled_baskets.root", scrambled]);
      for (const [name, bytes] of cases) {
        const path = `${dir}/${name}`;
        await Deno.writeFile(path, bytes);
        await assert.rejects(
          readEvents(path, ["Muon_pt", "MET_pt", "Jet_pt", "Jet_eta", "Electron_pt", "Photon_pt"]),
          (e: unknown) => {
            assert.ok(e instanceof RootReadError, `${name}: ${e}`);
            assert.ok(e.message.includes(path), `${name}: message names the file: ${e.message}`);
            return true;
          },
        );
      }
      await assert.rejects(readEvents(`${dir}/absent.root`, ["Muon_pt"]), /absent\.root/);
    } finally {
      await cleanup();
    }
  },
});

Deno.test({
  name: "reader: an http(s) URL is read with range requests, equal to the local file",
  ignore: skipBecause(nanoMissing, noNet),
  async fn() {
    const srv = serveBytes(await Deno.readFile(nano("NanoAODv5_sample.root")));
    try {
      const br = ["Muon_pt", "Jet_btagDeepB", "MET_pt", "event"];
      const remote = await readEvents(`${srv.url}/NanoAODv5_sample.root`, br);
      const local = await readEvents(nano("NanoAODv5_sample.root"), br);
      for (const n of br) {
        const [r, l] = [remote.columns[n], local.columns[n]];
        assertArrayEqual(isJagged(r) ? r.values : r, isJagged(l) ? l.values : l, n);
      }
      // Only the needed byte ranges travel, in a few requests rather than one per basket.
      assert.ok(srv.requests() < 30, `${srv.requests()} requests`);
    } finally {
      await srv.close();
    }
  },
});
