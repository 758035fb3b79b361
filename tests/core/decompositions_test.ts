/**
 * eigh, svd and qr: values against numpy 2.4.6 (LAPACK; references computed offline with
 * `numpy.linalg` and pasted here, so the tests need no Python), the defining identities
 * (reconstruction, orthonormality, ordering) on harder matrices, batching (`vmap` and leading
 * axes), `jit`, and NaN propagation.
 */
import assert from "node:assert/strict";
import * as np from "../../mod.ts";
import { type Array, array, jit, vmap } from "../../mod.ts";

const f64 = (v: number[][] | number[][][]) => array(v, "float64");

/** Max |a − b| over all entries. */
function maxDiff(a: Array | number[][] | number[], b: Array | number[][] | number[]): number {
  const x = (a instanceof np.Array ? a : f64(a as number[][])).dataSync();
  const y = (b instanceof np.Array ? b : f64(b as number[][])).dataSync();
  assert.equal(x.length, y.length, "sizes differ");
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}
const eye = (n: number) => np.eye(n, n, 0, "float64");
const T = (x: Array) => np.moveaxis(x, -1, -2);
/** Flips columns of `v` to agree in sign with `ref` (eigen/singular vectors are unique up to sign). */
function alignColumns(v: Array, ref: number[][]): Array {
  const r = f64(ref);
  const s = np.sign(np.sum(np.mul(v, r), 0));
  return np.mul(v, s);
}

const S = [[4, 1, 0.5], [1, 3, -0.7], [0.5, -0.7, 1]];
const B = [[1, 2, 3], [4, 5, 6.5], [7, 8, 10], [1, 0, 1]];

Deno.test("eigh", async (t) => {
  await t.step("matches numpy.linalg.eigh", () => {
    const [w, v] = np.eigh(f64(S));
    assert.ok(maxDiff(w, [0.5884247445614315, 2.7925427436730685, 4.619032511765501]) < 1e-14);
    const ref = [
      [-0.2378398706787546, -0.4626966457924733, -0.8540163990743433],
      [0.36043153898341895, 0.7744265872757015, -0.5199543889867211],
      [0.901954157161858, -0.431480329670896, -0.017419055242394926],
    ];
    assert.ok(maxDiff(alignColumns(v, ref), ref) < 1e-14);
  });
  await t.step("identities on a random 8×8 with a near-degenerate pair", () => {
    const g = np.random.normal(np.random.key(3), [8, 8], { dtype: "float64" });
    const a = np.add(np.add(g, T(g)), np.mul(eye(8), 1e-9));
    const [w, v] = np.eigh(a);
    assert.ok(maxDiff(np.matmul(T(v), v), eye(8)) < 1e-13);
    assert.ok(maxDiff(np.matmul(v.mul(w), T(v)), a) < 1e-12);
    const wd = w.dataSync();
    for (let i = 1; i < 8; i++) assert.ok(wd[i - 1] <= wd[i], "ascending");
    // Degenerate eigenvalues (identity) still give an orthonormal basis.
    const [w1, v1] = np.eigh(eye(4));
    assert.deepEqual(w1.tolist(), [1, 1, 1, 1]);
    assert.ok(maxDiff(np.matmul(T(v1), v1), eye(4)) === 0);
  });
  await t.step("symmetrises its input, batches, jits, float32", () => {
    const a = f64([[2, 1], [3, 2]]); // symmetrised to [[2, 2], [2, 2]]
    assert.ok(maxDiff(np.eigh(a)[0], [0, 4]) < 1e-15);
    const stack = np.stack([f64(S), np.mul(f64(S), 2)]);
    const [wb] = np.eigh(stack);
    const [wv] = vmap((m: Array) => np.eigh(m))(stack) as Array[];
    const [wj] = jit((m: Array) => np.eigh(m))(stack) as Array[];
    assert.ok(maxDiff(wb.slice(1), np.eigh(np.mul(f64(S), 2))[0]) === 0);
    assert.ok(maxDiff(wv, wb) === 0 && maxDiff(wj, wb) === 0);
    const [w32] = np.eigh(array(S, "float32"));
    assert.equal(w32.dtype, "float32");
    assert.ok(maxDiff(w32, [0.5884247445614315, 2.7925427436730685, 4.619032511765501]) < 1e-6);
    assert.ok((np.eigh(f64([[1, NaN], [NaN, 1]]))[0].tolist() as number[]).every(Number.isNaN));
    assert.throws(() => np.eigh(f64([[1, 2, 3]])), /eigh: a must be square/);
  });
});

Deno.test("svd", async (t) => {
  const s = [17.628272943691254, 1.0106548135414557, 0.687437175739035];
  await t.step("matches numpy.linalg.svd (reduced), tall and wide", () => {
    const [u, sv, vt] = np.svd(f64(B), { fullMatrices: false });
    assert.ok(maxDiff(sv, s) < 1e-13);
    const vtRef = [
      [-0.4615520472942255, -0.5458684966185378, -0.6992834132438197],
      [-0.8827151446645561, 0.36099431036897256, 0.3008273279824525],
      [-0.0882251722488608, -0.7561155283953951, 0.6484640519728225],
    ];
    const uRef = [
      [-0.20711837693490076, 0.7339355139679664, 0.5017708367429925],
      [-0.5174013862554, 0.22706922482110847, 0.1186115760516861],
      [-0.827684395575899, -0.2797970643257495, -0.26454768463962186],
      [-0.06585077643431202, -0.5757532729133297, 0.814967388287769],
    ];
    const signs = np.sign(np.sum(np.mul(vt, f64(vtRef)), 1, { keepdims: true }));
    assert.ok(maxDiff(np.mul(vt, signs), vtRef) < 1e-13);
    assert.ok(maxDiff(np.mul(u, T(signs)), uRef) < 1e-13);
    const [uw, sw, vtw] = np.svd(T(f64(B)), { fullMatrices: false });
    assert.deepEqual([uw.shape, sw.shape, vtw.shape], [[3, 3], [3], [3, 4]]);
    assert.ok(maxDiff(sw, s) < 1e-13);
    assert.ok(maxDiff(np.matmul(uw.mul(sw), vtw), T(f64(B))) < 1e-13);
  });
  await t.step("full matrices, rank deficiency, tiny singular values", () => {
    const [u, sv, vt] = np.svd(f64(B));
    assert.ok(maxDiff(np.matmul(u.slice(null, "0:3").mul(sv), vt), B) < 1e-13);
    assert.deepEqual([u.shape, vt.shape], [[4, 4], [3, 3]]);
    assert.ok(maxDiff(np.matmul(T(u), u), eye(4)) < 1e-14);
    // Rank 1: completed bases stay orthonormal.
    const [u1, s1, vt1] = np.svd(f64([[1, 1], [1, 1], [0, 0]]));
    assert.ok(maxDiff(s1, [2, 0]) < 1e-15);
    assert.ok(maxDiff(np.matmul(T(u1), u1), eye(3)) < 1e-15);
    assert.ok(maxDiff(np.matmul(vt1, T(vt1)), eye(2)) < 1e-15);
    // Graded matrix: one-sided Jacobi keeps small singular values to high relative accuracy,
    // which the eigenvalues of AᵀA could not (their squares are below rounding of the largest).
    const [, sg] = np.svd(f64([[1, 0, 0], [0, 1e-9, 0], [0, 0, 1e-12]]));
    const sd = sg.dataSync();
    assert.ok(Math.abs(sd[1] - 1e-9) < 1e-23 && Math.abs(sd[2] - 1e-12) < 1e-26);
    assert.deepEqual(np.svdvals(f64([[3, 0], [0, -4]])).tolist(), [4, 3]);
  });
  await t.step("batches (vmap = leading axes = loop), jits", () => {
    const g = np.random.normal(np.random.key(7), [3, 5, 4], { dtype: "float64" });
    const [, sb] = np.svd(g, { fullMatrices: false });
    const sv = vmap((m: Array) => np.svdvals(m))(g) as Array;
    const sj = jit((m: Array) => np.svd(m, { fullMatrices: false })[1])(g);
    for (let i = 0; i < 3; i++) assert.ok(maxDiff(sb.slice(i), np.svdvals(g.slice(i))) === 0);
    assert.ok(maxDiff(sv, sb) === 0 && maxDiff(sj, sb) === 0);
  });
});

Deno.test("qr", async (t) => {
  await t.step("matches numpy.linalg.qr (Householder with LAPACK's signs)", () => {
    const [q, r] = np.qr(f64(B));
    assert.ok(
      maxDiff(q, [
        [-0.12216944435630528, 0.5642764926868793, 0.7071067811865468],
        [-0.48867777742522095, 0.23175641663925378, 0.20203050891044277],
        [-0.8551861104941366, -0.10076365940837123, -0.3030457633656636],
        [-0.12216944435630524, -0.7859565433852946, 0.6060915267313272],
      ]) < 1e-14,
    );
    assert.ok(
      maxDiff(r, [
        [-8.18535277187245, -9.529216659791809, -12.216944435630522],
        [0, 1.4812257933030573, 1.4056530487467782],
        [0, 0, 1.010152544552209],
      ]) < 1e-13,
    );
    const [qc, rc] = np.qr(f64(B), "complete");
    assert.deepEqual([qc.shape, rc.shape], [[4, 4], [4, 3]]);
    assert.ok(
      maxDiff(
        qc.slice(null, "3"),
        [0.7071067811865468, 0.20203050891044277, -0.3030457633656636, 0.6060915267313272].map((
          v,
        ) => [v]).flat(),
      ) > 0.5,
    ); // 4th column, not 3rd
    assert.ok(
      maxDiff(qc.slice(null, "3"), [
        0.40824829046386346,
        -0.8164965809277258,
        0.40824829046386285,
        0,
      ]) < 1e-14,
    );
    const [qw, rw] = np.qr(T(f64(B)));
    assert.ok(
      maxDiff(qw, [
        [-0.2672612419124243, 0.9143773178718293, 0.3041143685078819],
        [-0.5345224838248488, 0.12191697571624394, -0.836314513396676],
        [-0.8017837257372732, -0.3860704231014389, 0.45617155276182336],
      ]) < 1e-14,
    );
    assert.ok(maxDiff(np.matmul(qw, rw), T(f64(B))) < 1e-14);
  });
  await t.step("batches, jits, rejects bad modes", () => {
    const g = np.random.normal(np.random.key(1), [2, 4, 3], { dtype: "float64" });
    const [q, r] = np.qr(g);
    const [qv, rv] = vmap((m: Array) => np.qr(m))(g) as Array[];
    const [qj, rj] = jit((m: Array) => np.qr(m))(g) as Array[];
    assert.ok(maxDiff(np.matmul(q, r), g) < 1e-14);
    assert.ok(
      maxDiff(q, qv) === 0 && maxDiff(r, rv) === 0 && maxDiff(q, qj) === 0 && maxDiff(r, rj) === 0,
    );
    assert.ok(maxDiff(np.tril(r, -1), np.zerosLike(r)) === 0);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => np.qr(g, "r" as any), /qr: mode must be "reduced" or "complete"/);
  });
});

Deno.test("linalg namespace: numpy names", () => {
  const a = f64([[2, 1], [1, 2]]);
  assert.ok(maxDiff(np.linalg.eigh(a)[0], np.eigh(a)[0]) === 0);
  assert.ok(maxDiff(np.linalg.svd(a)[1], [3, 1]) < 1e-15);
  assert.ok(maxDiff(np.linalg.det(a), f64([[3]]).reshape([])) < 1e-14);
});
