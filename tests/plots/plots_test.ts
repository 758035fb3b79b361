import assert from "node:assert/strict";
import {
  linePlot,
  pullPlot,
  rankingPlot,
  renderSvg,
  stackedHistogram,
  svgToPng,
} from "../../plots/mod.ts";

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
  for (const text of ["background", "signal", "m [TeV]", "stack", "data", "uncertainty"]) {
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

Deno.test("plots: pulls and ranking specs render with their legends; bad input is refused", async () => {
  const pulls = await renderSvg(pullPlot({
    labels: ["jes", "lumi", "staterror_ch[0]"],
    pull: [0.4, -0.1, 1.3],
    constraint: [0.8, 0.95, 0.5],
    title: "pulls",
  }));
  assert.match(pulls, /^<svg/);
  for (const t of ["pre-fit ±1σ", "pre-fit ±2σ", "post-fit θ̂ ± σ̂", "jes", "staterror_ch[0]"]) {
    assert.ok(pulls.includes(t), t);
  }
  const rank = await renderSvg(rankingPlot({
    labels: ["jes", "norm"],
    postfitUp: [0.1, 0.2],
    postfitDown: [-0.09, -0.15],
    prefitUp: [0.12, null],
    prefitDown: [-0.11, null],
    pull: [0.2, null],
    constraint: [0.8, null],
    poi: "mu",
  }));
  for (
    const t of [
      "pre-fit impact: θ = θ̂ + σ₀",
      "post-fit impact: θ = θ̂ − σ̂",
      "pull",
      "Δmu",
      "(θ̂ − θ₀)/σ₀",
      "norm",
    ]
  ) assert.ok(rank.includes(t), t);
  assert.throws(
    () => pullPlot({ labels: ["a", "b"], pull: [0], constraint: [1, 1] }),
    /pullPlot: pull has 1 values for 2 labels/,
  );
  assert.throws(() => pullPlot({ labels: [], pull: [], constraint: [] }), /no parameters/);
  assert.throws(
    () => stackedHistogram({ edges: [0, 1], stack: [{ name: "data", values: [1] }], data: [1] }),
    /legend names must differ/,
  );
});
