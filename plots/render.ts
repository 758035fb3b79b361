/**
 * Headless rendering of Vega-Lite specs: compiled to Vega, run in a `vega.View` without a
 * renderer, and serialised to SVG (no browser, no canvas).
 *
 * @module
 */
import * as vega from "npm:vega@^6";
import { compile, type TopLevelSpec } from "npm:vega-lite@^6";

/**
 * Renders a Vega-Lite spec to an SVG string.
 *
 * @example
 * ```ts
 * import { renderSvg, linePlot } from "./mod.ts";
 * const svg = await renderSvg(linePlot({ series: [{ name: "y", x: [0, 1], y: [0, 1] }] }));
 * ```
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Renders a spec and writes it as `<path>` (an `.svg` file), creating the directory; also writes
 * the Vega-Lite spec beside it as `<path without .svg>.vl.json` when `saveSpec` is set.
 *
 * @example
 * ```ts
 * import { writePlot, linePlot } from "./mod.ts";
 * await writePlot("out/z0.svg", linePlot({ series: [{ name: "Z0", x: [0, 1], y: [1, 2] }] }));
 * ```
 */
export async function writePlot(
  path: string,
  spec: TopLevelSpec,
  opts: { saveSpec?: boolean } = {},
): Promise<string[]> {
  if (!path.endsWith(".svg")) throw new Error(`writePlot: ${path} should end in .svg`);
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
  await Deno.mkdir(dir, { recursive: true });
  const svg = await renderSvg(spec);
  await Deno.writeTextFile(path, svg);
  const written = [path];
  if (opts.saveSpec) {
    const specPath = path.replace(/\.svg$/, ".vl.json");
    await Deno.writeTextFile(specPath, JSON.stringify(spec, null, 2));
    written.push(specPath);
  }
  return written;
}
