import assert from "node:assert/strict";
import { linePlot, renderSvg, stackedHistogram, svgToPng } from "../../plots/mod.ts";

Deno.test("plots: stacked histogram and line plot render to SVG; bad input is refused", async () => {
  const spec = stackedHistogram({
    edges: [0, 1, 2, 3],
    stack: [{ name: "background", values: [5, 3, 1] }, { name: "signal", values: [0, 1, 2] }],
    uncertainty: [0.5, 0.4, 0.3],
    data: [6, 4, 2],
    xLabel: "m [TeV]",
    title: "stack",
  });
  const svg = await renderSvg(spec);
  assert.match(svg, /^<svg/);
  for (const text of ["background", "signal", "m [TeV]", "stack"]) {
    assert.ok(svg.includes(text), text);
  }
  const line = await renderSvg(linePlot({
    series: [{ name: "observed", x: [0, 1, 2], y: [0.5, 0.2, 0.04] }],
    bands: [{
      name: "±1σ",
      x: [0, 1, 2],
      lo: [0.4, 0.1, 0.02],
      hi: [0.6, 0.3, 0.08],
      color: "#0c0",
    }],
    hlines: [{ y: 0.05 }],
    xLabel: "μ",
  }));
  assert.ok(line.includes("observed") && line.includes("±1σ"));
  assert.throws(
    () => stackedHistogram({ edges: [0, 1, 2], stack: [{ name: "b", values: [1] }] }),
    /component b: 1 values for 2 bins/,
  );
  assert.throws(
    () => linePlot({ series: [{ name: "s", x: [0, 1], y: [1] }] }),
    /series s has mismatched lengths/,
  );
  const png = await svgToPng(svg, { scale: 1 });
  assert.deepEqual([...png.slice(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
});
