/**
 * Tables, the Parquet cache and preprocessing: filter/concat keep collections aligned; a cache
 * entry round-trips every column kind; a partial entry is never read as complete; a second run is
 * served from the cache without opening the ROOT files (they are overwritten with garbage of the
 * same size and mtime in between); changed sources, skims or branches are re-read; failing files
 * are skipped with a warning or fail the run, as configured.
 */
import assert from "node:assert/strict";
import { type Column, type EventTable, isJagged } from "../../analysis/data/columns.ts";
import {
  cacheKey,
  manifestMismatch,
  readCacheEntry,
  readManifest,
  writeCacheEntry,
} from "../../analysis/data/cache.ts";
import { preprocess, type PreprocessOptions } from "../../analysis/data/preprocess.ts";
import { readEvents } from "../../analysis/data/reader.ts";
import { applySkim, DEFAULT_SKIM, NO_SKIM, triggerMetSkim } from "../../analysis/data/skim.ts";
import { loadDatasetWithReport } from "../../analysis/data/mod.ts";
import { concatTables, filterTable } from "../../analysis/data/table.ts";
import {
  assertArrayEqual,
  copyWritable,
  nano,
  nanoMissing,
  noWrite,
  skipBecause,
  sum,
  tempDir,
} from "./data_helpers.ts";

function assertTablesEqual(got: EventTable, want: EventTable, what: string) {
  assert.equal(got.nEvents, want.nEvents, `${what}: nEvents`);
  assert.deepEqual(
    Object.keys(got.columns).sort(),
    Object.keys(want.columns).sort(),
    `${what}: columns`,
  );
  for (const [n, w] of Object.entries(want.columns)) {
    const g: Column = got.columns[n];
    assert.equal(isJagged(g), isJagged(w), `${what}: ${n} jaggedness`);
    if (isJagged(g) && isJagged(w)) {
      assertArrayEqual(g.offsets, w.offsets, `${what}: ${n} offsets`);
      assert.equal(g.values.constructor, w.values.constructor, `${what}: ${n} kind`);
      assertArrayEqual(g.values, w.values, `${what}: ${n}`);
    } else if (!isJagged(g) && !isJagged(w)) {
      assert.equal(g.constructor, w.constructor, `${what}: ${n} kind`);
      assertArrayEqual(g, w, `${what}: ${n}`);
    }
  }
}

function sampleTable(): EventTable {
  const mu = new Int32Array([0, 2, 2, 3]);
  const jet = new Int32Array([0, 1, 4, 4]);
  return {
    nEvents: 3,
    columns: {
      MET_pt: new Float32Array([60.5, 20.25, 99]),
      event: new Float64Array([2 ** 40 + 1, 7, 9]),
      nMuon: new Int32Array([2, 0, 1]),
      HLT_TkMu50: new Uint8Array([1, 0, 1]),
      Muon_pt: { offsets: mu, values: new Float32Array([70, 30, 55]) },
      Muon_tightId: { offsets: mu, values: new Uint8Array([1, 0, 1]) },
      Jet_pt: { offsets: jet, values: new Float32Array([40, 300, 200, 100]) },
      Jet_jetId: { offsets: jet, values: new Int32Array([6, 2, 6, 0]) },
    },
  };
}

Deno.test("table: filter and concat keep collections aligned", () => {
  const t = sampleTable();
  const f = filterTable(t, [1, 0, 1]);
  assert.equal(f.nEvents, 2);
  const mp = f.columns.Muon_pt, mt = f.columns.Muon_tightId;
  assert.ok(isJagged(mp) && isJagged(mt));
  assertArrayEqual(mp.offsets, [0, 2, 3], "filtered offsets");
  assertArrayEqual(mp.values, [70, 30, 55], "filtered values");
  assert.equal(mp.offsets, mt.offsets, "filtered collection shares offsets");
  assertArrayEqual(f.columns.event as Float64Array, [2 ** 40 + 1, 9], "event");
  const c = concatTables([t, f]);
  assert.equal(c.nEvents, 5);
  const jp = c.columns.Jet_pt;
  assert.ok(isJagged(jp));
  assertArrayEqual(jp.offsets, [0, 1, 4, 4, 5, 5], "concat offsets");
  assertArrayEqual(jp.values, [40, 300, 200, 100, 40], "concat values");
  assert.throws(() => filterTable(t, [1, 0]), /mask has 2 entries but the table has 3 events/);
  assert.throws(() => concatTables([t, { nEvents: 0, columns: {} }]), /table 1 has columns \[\]/);
});

Deno.test({
  name: "cache: round trip, partial entries are misses",
  ignore: skipBecause(noWrite),
  async fn() {
    const { dir, cleanup } = await tempDir("zgrad_cache_");
    try {
      const t = sampleTable();
      const info = {
        source: { kind: "url" as const, url: "https://example.org/x.root" },
        tree: "Events",
        branches: Object.keys(t.columns),
        resolved: {},
        skim: "none",
        nInput: 10,
      };
      const key = await cacheKey("https://example.org/x.root", "Events");
      assert.match(key, /^x-[0-9a-f]{12}$/);
      await writeCacheEntry(dir, key, t, info);
      const m = await readManifest(dir, key);
      assert.ok(m);
      assert.equal(manifestMismatch(m, { ...info }), null);
      assertTablesEqual(await readCacheEntry(dir, key, m), t, "round trip");
      const sub = await readCacheEntry(dir, key, m, ["Muon_pt", "MET_pt"]);
      assert.deepEqual(Object.keys(sub.columns).sort(), ["MET_pt", "Muon_pt"]);
      // Different skim, source, missing branch: misses with a reason.
      assert.match(manifestMismatch(m, { ...info, skim: "other" })!, /skim/);
      assert.match(manifestMismatch(m, { ...info, source: { kind: "url", url: "y" } })!, /source/);
      assert.match(
        manifestMismatch(m, { ...info, branches: ["Tau_pt"] })!,
        /lacks branches Tau_pt/,
      );
      // Zero events round-trip too.
      const empty = filterTable(t, [0, 0, 0]);
      await writeCacheEntry(dir, "empty", empty, info);
      assertTablesEqual(
        await readCacheEntry(dir, "empty", (await readManifest(dir, "empty"))!),
        empty,
        "empty",
      );
      // A part cut short (crash while copying, disk full) or a missing manifest: not an entry.
      const part = `${dir}/${key}.Muon.parquet`;
      const bytes = await Deno.readFile(part);
      await Deno.writeFile(part, bytes.slice(0, bytes.length - 10));
      assert.equal(await readManifest(dir, key), null);
      await Deno.writeFile(part, bytes);
      assert.ok(await readManifest(dir, key));
      await Deno.remove(`${dir}/${key}.manifest.json`);
      assert.equal(await readManifest(dir, key), null);
      // No temporary files are left behind.
      const names = [...Deno.readDirSync(dir)].map((e) => e.name);
      assert.ok(names.every((n) => !n.includes(".tmp-")), names.join(", "));
    } finally {
      await cleanup();
    }
  },
});

Deno.test({
  name: "preprocess: parallel read, skim, cache re-use without opening ROOT, errors",
  ignore: skipBecause(nanoMissing, noWrite),
  async fn(t) {
    const { dir, cleanup } = await tempDir("zgrad_pre_");
    try {
      const files = [
        "nano_dy.root",
        "NanoAODv5_sample.root",
        "nanoAOD_2015_CMS_Open_Data_ttbar.root",
      ];
      for (const f of files) await copyWritable(nano(f), `${dir}/${f}`);
      const tasks = files.map((f, i) => ({
        process: i === 1 ? "ttbar" : "other",
        file: `${dir}/${f}`,
      }));
      const branches = [
        "Muon_pt",
        "Muon_eta",
        "Jet_pt",
        "Jet_btagDeepB",
        "MET_pt",
        "genWeight",
        "event",
      ];
      const opts: PreprocessOptions = {
        cacheDir: `${dir}/cache`,
        branches,
        skim: triggerMetSkim({ metCut: 20 }),
        progress: "off",
        chunkSize: 300, // several chunks per file
      };
      const direct = await Promise.all(
        tasks.map(async (tk) =>
          applySkim(await readEvents(tk.file, [...branches, "HLT_TkMu50"]), opts.skim)
        ),
      );

      await t.step(
        "first run reads every file (workers), equal to a direct read + skim",
        async () => {
          const r = await preprocess(tasks, opts);
          assert.deepEqual(r.files.map((f) => f.status), ["read", "read", "read"]);
          assert.deepEqual(r.files.map((f) => f.nInput), [40, 1000, 200]);
          r.files.forEach((f, i) => assertTablesEqual(f.table!, direct[i], f.file));
          assert.ok(direct[1].nEvents > 0 && direct[1].nEvents < 1000, "the skim selects");
          const main = await preprocess(tasks, { ...opts, workers: false, readFromCache: false });
          main.files.forEach((f, i) =>
            assertTablesEqual(f.table!, direct[i], `main thread ${f.file}`)
          );
        },
      );

      await t.step(
        "second run is served from the cache: the ROOT files are not opened",
        async () => {
          for (const tk of tasks) {
            // Garbage of the same size and mtime: only a read of the file itself could notice.
            const st = await Deno.stat(tk.file);
            await Deno.writeFile(tk.file, new Uint8Array(st.size).fill(0x42));
            await Deno.utime(tk.file, st.atime!, st.mtime!);
          }
          const r = await preprocess(tasks, opts);
          assert.deepEqual(r.files.map((f) => f.status), ["cached", "cached", "cached"]);
          r.files.forEach((f, i) => assertTablesEqual(f.table!, direct[i], `cached ${f.file}`));
          // A subset of the branches is served from the same entries.
          const sub = await preprocess(tasks, { ...opts, branches: ["Muon_pt"] });
          assert.deepEqual(sub.files.map((f) => f.status), ["cached", "cached", "cached"]);
        },
      );

      await t.step("a changed source is re-read: fail or skip with a warning", async () => {
        const bad = tasks[0].file;
        await Deno.utime(bad, new Date(), new Date());
        await assert.rejects(preprocess(tasks, opts), (e: unknown) => {
          assert.ok(e instanceof Error && e.message.includes(bad), String(e));
          return true;
        });
        const r = await preprocess(tasks, { ...opts, onError: "skip" });
        assert.deepEqual(r.files.map((f) => f.status), ["skipped", "cached", "cached"]);
        assert.equal(r.warnings.length, 1);
        assert.match(
          r.warnings[0],
          /skipped .*nano_dy\.root \(process other\): cannot read ROOT file/,
        );
        assert.match(r.files[0].error!, /nano_dy\.root/);
      });

      await t.step("a new skim or missing cache with runPreprocessing=false", async () => {
        await assert.rejects(
          preprocess(tasks.slice(1, 2), { ...opts, skim: DEFAULT_SKIM, runPreprocessing: false }),
          /no usable cache for .*NanoAODv5_sample\.root .*skim .*runPreprocessing is false/,
        );
      });

      await t.step("an interrupted entry (no manifest) is rebuilt", async () => {
        await copyWritable(nano("NanoAODv5_sample.root"), tasks[1].file);
        const key = await cacheKey(tasks[1].file, "Events");
        await Deno.remove(`${dir}/cache/ttbar/${key}.manifest.json`);
        const r = await preprocess(tasks.slice(1, 2), opts);
        assert.equal(r.files[0].status, "read");
        assertTablesEqual(r.files[0].table!, direct[1], "rebuilt");
      });

      await t.step("a skim that throws fails the run naming the file", async () => {
        const broken = {
          name: "broken",
          branches: ["MET_pt"],
          select: (): Uint8Array => {
            throw new Error("selection bug");
          },
        };
        await assert.rejects(
          preprocess(tasks.slice(1, 2), { ...opts, skim: broken }),
          /NanoAODv5_sample\.root: selection bug/,
        );
        const r = await preprocess(tasks.slice(1, 2), { ...opts, skim: broken, onError: "skip" });
        assert.match(r.warnings[0], /skipped .*NanoAODv5_sample.*selection bug/);
      });
    } finally {
      await cleanup();
    }
  },
});

Deno.test({
  name: "loadDataset: a fileset JSON of real files (MC and collision data)",
  ignore: skipBecause(nanoMissing, noWrite),
  async fn() {
    const { dir, cleanup } = await tempDir("zgrad_fileset_");
    try {
      await copyWritable(nano("nano_dy.root"), `${dir}/dy.root`);
      const fileset = {
        dy: { files: ["dy.root"], xsec: 6077.22, nGen: 1000 },
        wjets: { files: [nano("nanoAOD_2015_CMS_Open_Data_ttbar.root")], xsec: 61526.7, nGen: 148 },
        data: { files: [nano("nano_dimuon.root"), `${dir}/missing.root`], isData: true },
      };
      await Deno.writeTextFile(`${dir}/fileset.json`, JSON.stringify(fileset));
      const warnings: string[] = [];
      const r = await loadDatasetWithReport({
        fileset: `${dir}/fileset.json`,
        cacheDir: `${dir}/cache`,
        skim: NO_SKIM,
        onError: "skip",
        progress: "off",
        onWarning: (w) => warnings.push(w),
      });
      assert.deepEqual(r.files.map((f) => f.status), ["read", "read", "read", "skipped"]);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /skipped .*missing\.root \(process data\): cannot access/);
      const [dy, wj, data] = r.processes;
      assert.equal(dy.table.nEvents, 40);
      assert.deepEqual(dy.files, [`${dir}/dy.root`]);
      const gw = dy.table.columns.genWeight as Float32Array;
      const unit = 6077.22 * 16400 / 1000;
      assertArrayEqual(dy.weight, Array.from(gw, (g) => Math.sign(g) * unit), "dy weights");
      assert.ok(Math.abs(sum(wj.weight) - 61526.7 * 16400) < 1e-3, "Σw = σL when nGen = Σ sign");
      assert.ok(data.isData && data.weight.every((w) => w === 1) && data.table.nEvents === 40);
      assert.ok(!("genWeight" in data.table.columns) && !("Pileup_nTrueInt" in data.table.columns));
      // Collision data has the trigger under its old name; the column is canonical.
      assert.ok(data.table.columns.HLT_TkMu50 instanceof Uint8Array);
      // maxFiles and processes select before anything is read.
      const one = await loadDatasetWithReport({
        fileset: `${dir}/fileset.json`,
        cacheDir: `${dir}/cache`,
        skim: NO_SKIM,
        processes: ["data"],
        maxFiles: 1,
        progress: "off",
      });
      assert.deepEqual(one.files.map((f) => f.status), ["cached"]);
      await assert.rejects(
        loadDatasetWithReport({
          fileset: `${dir}/fileset.json`,
          processes: ["ttbar"],
          progress: "off",
        }),
        /no process ttbar in the fileset \(have dy, wjets, data\)/,
      );
    } finally {
      await cleanup();
    }
  },
});
