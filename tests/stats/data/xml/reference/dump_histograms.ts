// Dev step for make_reference.py (never run by the tests): dumps every TH1 of the fixture ROOT
// files, raw as jsroot reads them (cells with under/overflow, fSumw2, class), to histograms.json,
// for the uproot stand-in that lets pyhf's readxml run without uproot.
// Run from the repo root: deno run -A tests/stats/data/xml/reference/dump_histograms.ts
import { openFile } from "npm:jsroot@7.11.2/io";

const here = new URL(".", import.meta.url).pathname;
const root = `${here}..`;
const out: Record<string, Record<string, unknown>> = {};
for (const dir of Deno.readDirSync(root)) {
  if (!dir.name.startsWith("xmlimport")) continue;
  for (const f of Deno.readDirSync(`${root}/${dir.name}/data`)) {
    const rel = `${dir.name}/data/${f.name}`;
    const bytes = await Deno.readFile(`${root}/${rel}`);
    const view = new DataView(bytes.buffer);
    if (view.getInt32(4) < 0) view.setInt32(4, 50000); // see stats/xml/histograms.ts
    const file = await openFile(bytes.buffer);
    const hists: Record<string, unknown> = {};
    const walk = async (keys: { fName: string; fClassName: string }[], prefix: string) => {
      for (const k of keys) {
        const name = prefix + k.fName;
        if (k.fClassName === "TDirectory" || k.fClassName === "TDirectoryFile") {
          hists[name] = { class: "TDirectory" };
          await walk((await file.readDirectory(name)).fKeys, name + "/");
        } else if (k.fClassName.startsWith("TH1")) {
          const h = await file.readObject(name);
          hists[name] = {
            class: h._typename,
            cells: Array.from(h.fArray),
            sumw2: Array.from(h.fSumw2 ?? []),
            ncells: h.fNcells,
          };
        }
      }
    };
    await walk(file.fKeys, "");
    out[rel] = hists;
  }
}
await Deno.writeTextFile(`${here}histograms.json`, JSON.stringify(out, null, 1) + "\n");
