/**
 * `deno task bundle`: builds `dist/zgrad.js` (an ES module with a source map) from `mod.ts` with
 * esbuild — the same code runs in Deno and in a browser — and the web page's modules
 * (`dist/web/app.js`, `dist/web/worker.js` from `examples/web/`), which import zgrad from
 * `../zgrad.js` rather than carrying a copy of it.
 *
 * `dist/` is a build output (not checked in); `deno task serve` builds it when it is missing or
 * older than its sources.
 *
 * @module
 */
// Pinned as in tools/cpu_worker_bundle.ts: one esbuild for every build of the repository.
import * as esbuild from "npm:esbuild@0.28.2";

/** The repository's root folder. */
export const ROOT: string = new URL("../", import.meta.url).pathname;
/** The default output folder. */
export const DIST: string = `${ROOT}dist`;
/** The page's entry points, bundled into `<outDir>/web/`. */
const PAGE_ENTRIES = ["examples/web/app.ts", "examples/web/worker.ts"];
/** Folders whose files the bundles are built from (for {@link bundleIsStale}). */
const SOURCE_DIRS = ["core", "ad", "gpu", "optim", "nn", "examples/web", "bench"];

const COMMON: esbuild.BuildOptions = {
  absWorkingDir: ROOT,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  sourcemap: true,
  legalComments: "none",
  logLevel: "silent",
};

/**
 * An esbuild plugin that turns every import of the repository's `mod.ts` into an import of the
 * library bundle `zgradUrl`: the page's modules share the one copy of zgrad the page loads.
 */
function zgradExternal(zgradUrl: string): esbuild.Plugin {
  return {
    name: "zgrad-external",
    setup(build) {
      build.onResolve({ filter: /mod\.ts$/ }, (args) => {
        const resolved = new URL(args.path, `file://${args.resolveDir}/`).pathname;
        return resolved === `${ROOT}mod.ts` ? { path: zgradUrl, external: true } : undefined;
      });
    },
  };
}

/**
 * Builds `<outDir>/zgrad.js` (+ `.map`) from `mod.ts`, and `<outDir>/web/app.js` and
 * `<outDir>/web/worker.js` (+ maps) from `examples/web/`. Resolves to the files written.
 *
 * @example
 * ```ts ignore
 * import { bundle } from "./bundle.ts";
 * console.log(await bundle("/tmp/dist")); // ["/tmp/dist/zgrad.js", ...]
 * ```
 */
export async function bundle(outDir: string = DIST): Promise<string[]> {
  try {
    const lib = await esbuild.build({
      ...COMMON,
      entryPoints: ["mod.ts"],
      outfile: `${outDir}/zgrad.js`,
      metafile: true,
    });
    const page = await esbuild.build({
      ...COMMON,
      entryPoints: PAGE_ENTRIES,
      outdir: `${outDir}/web`,
      metafile: true,
      plugins: [zgradExternal("../zgrad.js")],
    });
    const pageInputs = Object.keys(page.metafile!.inputs);
    // A page module that bundled a second zgrad would still run, twice as large and with two
    // device states: refuse it.
    if (pageInputs.some((p) => p.startsWith("core/"))) {
      throw new Error(`bundle: the page modules include zgrad's core (${pageInputs.join(", ")})`);
    }
    return [...Object.keys(lib.metafile!.outputs), ...Object.keys(page.metafile!.outputs)]
      .map((p) => new URL(p, `file://${ROOT}`).pathname);
  } finally {
    await esbuild.stop();
  }
}

/** Newest modification time (ms) of the files under `dir` with one of `exts`; 0 when none. */
async function newest(dir: string, exts: RegExp): Promise<number> {
  let t = 0;
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) t = Math.max(t, await newest(path, exts));
    else if (exts.test(e.name)) t = Math.max(t, (await Deno.stat(path)).mtime?.getTime() ?? 0);
  }
  return t;
}

/**
 * Whether the bundles in `outDir` are missing or older than a source file (`mod.ts` and the
 * folders its code and the page's code come from).
 *
 * @example
 * ```ts ignore
 * import { bundle, bundleIsStale } from "./bundle.ts";
 * if (await bundleIsStale()) await bundle();
 * ```
 */
export async function bundleIsStale(outDir: string = DIST): Promise<boolean> {
  let built = Infinity;
  for (const f of ["zgrad.js", "web/app.js", "web/worker.js"]) {
    try {
      built = Math.min(built, (await Deno.stat(`${outDir}/${f}`)).mtime?.getTime() ?? 0);
    } catch {
      return true;
    }
  }
  let src = (await Deno.stat(`${ROOT}mod.ts`)).mtime?.getTime() ?? 0;
  for (const d of SOURCE_DIRS) src = Math.max(src, await newest(`${ROOT}${d}`, /\.ts$/));
  return src > built;
}

if (import.meta.main) {
  const files = await bundle(Deno.args[0] ?? DIST);
  for (const f of files) console.log(`wrote ${f} (${(await Deno.stat(f)).size} bytes)`);
}
