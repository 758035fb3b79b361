/**
 * SVG → PNG with resvg (its WebAssembly build from npm: no native code, no browser). Text needs a
 * font file: the first of `fontPaths` that exists (default: common DejaVu/Liberation locations).
 *
 * @module
 */
import { initWasm, Resvg } from "npm:@resvg/resvg-wasm@^2.6.2";
import { createRequire } from "node:module";

const DEFAULT_FONTS = [
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/TTF/DejaVuSans.ttf",
  "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
  "/System/Library/Fonts/Supplemental/Arial.ttf",
  "C:\\Windows\\Fonts\\arial.ttf",
];

let ready: Promise<void> | null = null;

function init(): Promise<void> {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    const path = require.resolve("@resvg/resvg-wasm/index_bg.wasm");
    await initWasm(await Deno.readFile(path));
  })();
  return ready;
}

/**
 * Rasterises an SVG (white background, `scale`× its size, default 2).
 *
 * @example
 * ```ts
 * import { svgToPng } from "./png.ts";
 * const png = await svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
 * ```
 */
export async function svgToPng(
  svg: string,
  opts: { scale?: number; fontPaths?: readonly string[] } = {},
): Promise<Uint8Array> {
  await init();
  const fonts: Uint8Array[] = [];
  for (const p of opts.fontPaths ?? DEFAULT_FONTS) {
    try {
      fonts.push(await Deno.readFile(p));
      break;
    } catch {
      // try the next location
    }
  }
  const r = new Resvg(svg, {
    background: "white",
    fitTo: { mode: "zoom", value: opts.scale ?? 2 },
    font: { fontBuffers: fonts, loadSystemFonts: false },
  });
  return r.render().asPng();
}
