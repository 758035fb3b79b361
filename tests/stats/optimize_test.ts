import assert from "node:assert/strict";
import { minimize } from "../../stats/optimize.ts";

Deno.test("minimize polishes with Newton steps where f is flat to rounding", () => {
  // f = 1e8 + d² + d⁴ with d = x − 1: near the minimum, decreases of f are below the ulp of 1e8
  // (1.5e-8), so a line search on f alone cannot tell progress from noise.
  const f = (x: number) => 1e8 + (x - 1) ** 2 + (x - 1) ** 4;
  const r = minimize({
    value: ([x]) => f(x),
    valueAndGrad: ([x]) => [f(x), Float64Array.of(2 * (x - 1) + 4 * (x - 1) ** 3)],
    hessian: ([x]) => Float64Array.of(2 + 12 * (x - 1) ** 2),
  }, Float64Array.of(1.0001));
  assert.ok(r.converged, r.message);
  assert.ok(Math.abs(r.x[0] - 1) < 1e-10, `x = ${r.x[0]}`); // was 1.0001 without the polish
  assert.ok(r.edm < 1e-12, `edm = ${r.edm}`);
});
