/**
 * Tests for core/special.ts against high-precision references.
 *
 * Every reference value below was generated with Python 3 + mpmath 1.3.0 at
 * `mpmath.mp.dps = 40`, evaluated at the exact double nearest the literal argument
 * (`x = mpmath.mpf(float("<literal>"))`) and printed with `mpmath.nstr(v, 20)`:
 *
 * - ERF:          mpmath.erf(x)
 * - ERFC:         mpmath.erfc(x)
 * - ERFCX:        mpmath.exp(x*x) * mpmath.erfc(x)
 * - NDTR:         mpmath.ncdf(x)
 * - LOG_NDTR:     mpmath.log(mpmath.ncdf(x)) for x <= 0,
 *                 mpmath.log1p(-mpmath.ncdf(-x)) for x > 0 (40 digits cannot hold 1 - tiny)
 * - NDTRI:        y = mpmath.findroot(lambda y: mpmath.log(mpmath.ncdf(y)) - mpmath.log(q), y0)
 *                 with q = min(p, 1 - p), negated when p > 1/2
 * - LGAMMA:       mpmath.loggamma(x)
 * - LGAMMA_NEG:   mpmath.log(abs(mpmath.gamma(x)))
 * - DIGAMMA(_NEG):  mpmath.digamma(x)
 * - TRIGAMMA(_NEG): mpmath.polygamma(1, x)
 * - ERFINV:       mpmath.erfinv(x)
 * - erfc(27) = mpmath.erfc(27) and ndtr(-38) (subnormal results, checked absolutely).
 *
 * Bounds enforced (relative error |got - ref| / |ref|):
 * - erf, erfc, erfcx, ndtr, logNdtr, ndtri: 1e-15 (≈ 4.5 ulp; measured worst ≈ 7.2e-16 over
 *   ~40k random mpmath-checked points, the worst being ndtr near x = -1.7).
 * - lgamma, digamma, trigamma for x > 0: 1e-15, including next to the zeros of lgamma at 1 and 2
 *   and digamma's root at 1.46163 (the implementation is relatively accurate there).
 * - x < 0 (reflection formulas), at points away from the zeros: 1e-14.
 * - subnormal results: within 2 subnormal ulps (2 * Number.MIN_VALUE).
 * - erfinv: 1e-15, including the last doubles below 1 (measured worst ≈ 1.7e-16 over ~8k random
 *   mpmath-checked points spread uniformly on (-1, 1), log-uniformly in 1 - x down to 1e-16 and in
 *   x down to 1e-12).
 */
import assert from "node:assert/strict";
import {
  digamma,
  erf,
  erfc,
  erfcx,
  erfinv,
  lgamma,
  logNdtr,
  ndtr,
  ndtri,
  trigamma,
} from "../../core/special.ts";

type Case = [x: number, expected: number];

function assertRel(f: (x: number) => number, name: string, cases: Case[], tol: number): void {
  for (const [x, expected] of cases) {
    const got = f(x);
    const rel = Math.abs(got - expected) / Math.abs(expected);
    assert.ok(
      rel <= tol,
      `${name}(${x}) = ${got}, expected ${expected} (relative error ${
        rel.toExponential(2)
      } > ${tol})`,
    );
  }
}

function assertNaN(f: (x: number) => number, name: string, xs: number[]): void {
  for (const x of xs) assert.ok(Number.isNaN(f(x)), `${name}(${x}) should be NaN, got ${f(x)}`);
}

const ERF: Case[] = [
  [1e-10, 1.128379167095512615e-10],
  [0.1, 0.1124629160182848984],
  [0.5, 0.52049987781304653768],
  [0.84375, 0.76722566123234163346],
  [1, 0.84270079294971486934],
  [1.25, 0.92290012825645823014],
  [2, 0.99532226501895273416],
  [2.857, 0.99994664173991315363],
  [3.5, 0.99999925690162765859],
  [5, 0.99999999999846254021],
  [-0.3, -0.32862675945912741619],
  [-2, -0.99532226501895273416],
];

const ERFC: Case[] = [
  [-3, 1.9999779095030014146],
  [-1, 1.8427007929497148693],
  [-0.2, 1.2227025892104784662],
  [0.1, 0.8875370839817151016],
  [0.3, 0.67137324054087258381],
  [0.5, 0.47950012218695346232],
  [0.9, 0.20309178757716786034],
  [1, 0.15729920705028513066],
  [1.5, 0.033894853524689272933],
  [2.5, 4.0695201744495893956e-4],
  [3, 2.2090496998585441373e-5],
  [5, 1.5374597944280348502e-12],
  [10, 2.088487583762544757e-45],
  [15, 7.2129941724512066666e-100],
  [20, 5.3958656116079009289e-176],
  [26, 5.6631924088561428465e-296],
];

const ERFCX: Case[] = [
  [-26, 7.6577249314905683515e293],
  [-5, 1.4400979867466104041e11],
  [-1, 5.0089800807622834663],
  [0.5, 0.61569034419292587487],
  [1, 0.42758357615580700441],
  [2, 0.25539567631050574387],
  [5, 0.11070463773306862637],
  [10, 0.056140992743822585858],
  [27.9, 0.020208884621282616655],
  [28, 0.020136801964214276777],
  [30, 0.018795888861416751497],
  [100, 0.0056416137829894329036],
  [1e5, 5.6418958351954680777e-6],
  [1e10, 5.6418958354775628695e-11],
];

const NDTR: Case[] = [
  [-38, 2.8854283600687843084e-316],
  [-37, 5.7255712225245768227e-300],
  [-30, 4.9067139271481870595e-198],
  [-20, 2.7536241186062336951e-89],
  [-10, 7.619853024160526066e-24],
  [-5, 2.8665157187919391167e-7],
  [-2, 0.0227501319481792072],
  [-1.5, 0.066807201268858066004],
  [-1, 0.15865525393145705141],
  [-0.5, 0.30853753872598689636],
  [0.3, 0.61791142218895263307],
  [1, 0.84134474606854294859],
  [2, 0.9772498680518207928],
  [5, 0.99999971334842812081],
  [8, 0.9999999999999993779],
];

const LOG_NDTR: Case[] = [
  [-1e5, -5.0000000124318639983e9],
  [-1e3, -500007.82669481218431],
  [-50, -1254.8313611394199013],
  [-30, -454.32124395634319711],
  [-20.5, -214.06672896326380017],
  [-20, -203.91715537109726394],
  [-10, -53.231285150512470578],
  [-3, -6.6077262215103495433],
  [-1, -1.8410216450092635058],
  [0.5, -0.36894641528865639307],
  [1, -0.17275377902344988953],
  [3, -0.0013508099647481937988],
  [8, -6.2209605742717860585e-16],
  [30, -4.9067139271481870595e-198],
  [37, -5.7255712225245768227e-300],
];

const NDTRI: Case[] = [
  [1e-300, -37.047096299361199237],
  [1e-100, -21.273453560965324294],
  [1e-20, -9.2623400897984075796],
  [1e-10, -6.3613409024040561991],
  [0.001, -3.0902323061678135354],
  [0.025, -1.9599639845400542118],
  [0.075, -1.4395314709384559349],
  [0.2, -0.84162123357291416552],
  [0.7, 0.52440051270804065631],
  [0.925, 1.4395314709384562291],
  [0.975, 1.9599639845400538556],
  [0.999, 3.0902323061678132778],
  [0.9999999999, 6.3613408896974218642],
];

const LGAMMA: Case[] = [
  [1e-8, 18.420680738180208884],
  [0.1, 2.252712651734205902],
  [0.5, 0.57236494292470008707],
  [0.9, 0.066376239734742954426],
  [0.9999999, 5.7721574684441928263e-8],
  [1.0000001, -5.772155829918507097e-8],
  [1.5, -0.12078223763524522235],
  [1.9999999, -4.2278430309861298194e-8],
  [2.0000001, 4.2278436665324979232e-8],
  [2.5, 0.28468287047291915963],
  [3, 0.69314718055994530942],
  [4.5, 2.4537365708424422205],
  [9.99, 12.77931521435019336],
  [10, 12.801827480081469611],
  [10.5, 13.940625219403763633],
  [33.3, 82.603723581654943008],
  [171.5, 709.14316303092824227],
  [1e5, 1051287.7089736568949],
  [1e10, 2.2025850928881058147e11],
  [1e300, 6.8977552789821374147e302],
];

const LGAMMA_NEG: Case[] = [
  [-1e-8, 18.420680749724522182],
  [-0.5, 1.2655121234846453965],
  [-1.5, 0.86004701537648101451],
  [-2.5, -0.056243716497674050673],
  [-10.3, -14.457515440024208334],
  [-100.7, -365.61225576180533017],
];

const DIGAMMA: Case[] = [
  [1e-8, -1.0000000057721564636e8],
  [0.1, -10.423754940411076232],
  [0.5, -1.9635100260214234794],
  [1, -0.57721566490153286061],
  [1.3, -0.16919088886679960526],
  [1.4616321449683622, -9.2412655217294275168e-17],
  [1.4616321449683625, 1.2245374622004069031e-16],
  [1.46163, -2.0756283887224572375e-6],
  [1.5, 0.036489973978576520559],
  [1.6, 0.12604745277347632815],
  [2, 0.42278433509846713939],
  [2.5, 0.70315664064524318723],
  [5.5, 1.6110931485817511237],
  [9.99, 2.250700372831201122],
  [10, 2.2517525890667211076],
  [50, 3.901989673427892197],
  [1e5, 11.512920464961895087],
  [1e15, 34.53877639491068476],
];

const DIGAMMA_NEG: Case[] = [
  [-1e-8, 99999999.422784316557],
  [-0.5, 0.036489973978576520559],
  [-2.5, 1.1031566406452431872],
  [-10.3, 4.6624034935820870175],
];

const TRIGAMMA: Case[] = [
  [1e-8, 1.0000000000000001226e16],
  [0.1, 101.4332991507927477],
  [0.5, 4.9348022005446793094],
  [1, 1.6449340668482264365],
  [1.5, 0.93480220054467930942],
  [2, 0.64493406684822643647],
  [5, 0.22132295573711532536],
  [9.99, 0.10527695014824178439],
  [10, 0.10516633568168574612],
  [50, 0.020201333226697125806],
  [1e5, 1.0000050000166666667e-5],
  [1e15, 1.0000000000000005e-15],
];

const TRIGAMMA_NEG: Case[] = [
  [-1e-8, 1.0000000000000001226e16],
  [-0.5, 8.9348022005446793094],
  [-2.5, 9.5392466449891237539],
  [-10.3, 14.98688706572263782],
];

const ERFINV: Case[] = [
  [1e-300, 8.8622692545275803586e-301],
  [1e-10, 8.8622692545275804594e-11],
  [2e-8, 1.77245385090551625e-8],
  [0.001, 0.00088622715746655212301],
  [0.1, 0.088855990494257691974],
  [0.3, 0.27246271472675434502],
  [0.4999999999999999, 0.47693627620446974986],
  [0.5, 0.47693627620446987338],
  [0.7, 0.73286907795921678488],
  [0.9, 1.1630871536766741628],
  [0.99, 1.8213863677184494559],
  [0.999999, 3.4589107372754987775],
  [0.9999999999, 4.5728249585449249378],
  // 1 - 2^-52 and 1 - 2^-53, the last two doubles below 1: (1 + x)/2 would round both to 1.
  [0.9999999999999998, 5.8050186831934533002],
  [0.9999999999999999, 5.8635847487551679272],
  [-0.25, -0.22531205501217810473],
  [-0.8, -0.90619380243682330954],
  [-0.99999999, -4.0522372432687633554],
];

const TOL = 1e-15;
const TOL_NEG = 1e-14;

Deno.test("core/special", async (t) => {
  await t.step("erf", () => {
    assertRel(erf, "erf", ERF, TOL);
    assert.equal(erf(0), 0);
    assert.ok(Object.is(erf(-0), -0));
    assert.equal(erf(Infinity), 1);
    assert.equal(erf(-Infinity), -1);
    assert.equal(erf(6), 1);
    // erf(x) = 2x/√π below 2^-28; 2/√π·2^-1074 rounds back to the smallest subnormal.
    assert.equal(erf(Number.MIN_VALUE), Number.MIN_VALUE);
    assertRel(erf, "erf", [[1e-300, 1.1283791670955126022e-300]], TOL);
    assertNaN(erf, "erf", [NaN]);
  });

  await t.step("erfc", () => {
    assertRel(erfc, "erfc", ERFC, TOL);
    assert.equal(erfc(0), 1);
    assert.equal(erfc(Infinity), 0);
    assert.equal(erfc(-Infinity), 2);
    assert.equal(erfc(28), 0);
    // erfc(27) = 5.237048923789255685e-319 is subnormal.
    assert.ok(Math.abs(erfc(27) - 5.237048923789255685e-319) <= 2 * Number.MIN_VALUE);
    assertNaN(erfc, "erfc", [NaN]);
  });

  await t.step("erf(x) + erfc(x) = 1 within an ulp of 1 for |x| < 0.5", () => {
    for (let i = 0; i <= 2000; i++) {
      const x = -0.5 + i / 2000;
      const err = Math.abs(erf(x) + erfc(x) - 1);
      assert.ok(err <= Number.EPSILON, `x = ${x}: erf + erfc - 1 = ${err}`);
    }
  });

  await t.step("erfcx", () => {
    assertRel(erfcx, "erfcx", ERFCX, TOL);
    assert.equal(erfcx(0), 1);
    assert.equal(erfcx(Infinity), 0);
    assert.equal(erfcx(-Infinity), Infinity);
    assert.equal(erfcx(-27), Infinity);
    assertNaN(erfcx, "erfcx", [NaN]);
  });

  await t.step("ndtr", () => {
    assertRel(ndtr, "ndtr", NDTR.filter(([, y]) => y >= 2 ** -1022), TOL);
    // ndtr(-38) = 2.8854283600687843084e-316 is subnormal.
    assert.ok(Math.abs(ndtr(-38) - 2.8854283600687843084e-316) <= 2 * Number.MIN_VALUE);
    assert.equal(ndtr(0), 0.5);
    assert.equal(ndtr(-Infinity), 0);
    assert.equal(ndtr(Infinity), 1);
    assert.equal(ndtr(-40), 0);
    assertNaN(ndtr, "ndtr", [NaN]);
  });

  await t.step("ndtr(x) + ndtr(-x) = 1", () => {
    for (let i = 0; i <= 2000; i++) {
      const x = -40 + i / 25;
      const err = Math.abs(ndtr(x) + ndtr(-x) - 1);
      assert.ok(err <= Number.EPSILON, `x = ${x}: ndtr(x) + ndtr(-x) - 1 = ${err}`);
    }
  });

  await t.step("logNdtr", () => {
    assertRel(logNdtr, "logNdtr", LOG_NDTR, TOL);
    assert.equal(logNdtr(0), Math.log(0.5));
    assert.equal(logNdtr(-Infinity), -Infinity);
    assert.equal(logNdtr(Infinity), 0);
    assertNaN(logNdtr, "logNdtr", [NaN]);
    // Agrees with log(ndtr(x)) where that is representable, on both sides of the x = -20 switch.
    for (const x of [-19.9, -20, -20.1, -25, -37]) {
      const rel = Math.abs(logNdtr(x) / Math.log(ndtr(x)) - 1);
      assert.ok(rel <= 2 * TOL, `logNdtr(${x}) vs log(ndtr(${x})): ${rel}`);
    }
  });

  await t.step("ndtri", () => {
    assertRel(ndtri, "ndtri", NDTRI, TOL);
    assert.equal(ndtri(0.5), 0);
    assert.equal(ndtri(0), -Infinity);
    assert.equal(ndtri(1), Infinity);
    assert.ok(Number.isFinite(ndtri(Number.MIN_VALUE)));
    assertNaN(ndtri, "ndtri", [NaN, -1e-300, 1 + Number.EPSILON, -Infinity, Infinity, 2]);
  });

  await t.step("ndtri(ndtr(x)) ≈ x on [-8, 8]", () => {
    // ndtr(x) is rounded to a double p, which moves the exact inverse by up to
    // ulp(p)/2 / φ(x) ≈ 2^-53 p / φ(x); on top of that allow 16 ulp-ish of |x|. The first term
    // dominates for large positive x, where p is within a few ulps of 1.
    const u = 2 ** -53;
    for (let i = 0; i <= 1600; i++) {
      const x = -8 + i / 100;
      const p = ndtr(x);
      const phi = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
      const tol = 16 * u * (p / phi + Math.abs(x));
      const err = Math.abs(ndtri(p) - x);
      assert.ok(err <= tol, `x = ${x}: |ndtri(ndtr(x)) - x| = ${err} > ${tol}`);
    }
  });

  await t.step("erfinv", () => {
    assertRel(erfinv, "erfinv", ERFINV, TOL);
    assert.equal(erfinv(0), 0);
    assert.ok(Object.is(erfinv(-0), -0));
    assert.equal(erfinv(1), Infinity);
    assert.equal(erfinv(-1), -Infinity);
    assertNaN(erfinv, "erfinv", [NaN, 1 + Number.EPSILON, -1.5, Infinity, -Infinity]);
  });

  await t.step("erf(erfinv(x)) ≈ x and erfinv is odd", () => {
    for (let i = 1; i < 2000; i++) {
      const x = -1 + i / 1000;
      assert.ok(Math.abs(erf(erfinv(x)) - x) <= 2 * Number.EPSILON, `x = ${x}`);
      assert.equal(erfinv(-x), -erfinv(x));
    }
  });

  await t.step("lgamma", () => {
    assertRel(lgamma, "lgamma", LGAMMA, TOL);
    assertRel(lgamma, "lgamma", LGAMMA_NEG, TOL_NEG);
    assert.equal(lgamma(1), 0);
    assert.equal(lgamma(2), 0);
    // Absolute accuracy right next to the zeros at 1 and 2.
    for (const x of [1 - 2 ** -52, 1 + 2 ** -52, 2 - 2 ** -51, 2 + 2 ** -51]) {
      assert.ok(Math.abs(lgamma(x)) <= 1e-15, `lgamma(${x}) = ${lgamma(x)}`);
    }
    for (const x of [0, -0, -1, -2, -1e10, -(2 ** 60), Infinity, -Infinity]) {
      assert.equal(lgamma(x), Infinity, `lgamma(${x})`);
    }
    assertNaN(lgamma, "lgamma", [NaN]);
  });

  await t.step("digamma", () => {
    assertRel(digamma, "digamma", DIGAMMA, TOL);
    assertRel(digamma, "digamma", DIGAMMA_NEG, TOL_NEG);
    assert.equal(digamma(0), -Infinity);
    assert.equal(digamma(-0), Infinity);
    assert.equal(digamma(Infinity), Infinity);
    assertNaN(digamma, "digamma", [NaN, -1, -2, -Infinity]);
  });

  await t.step("trigamma", () => {
    assertRel(trigamma, "trigamma", TRIGAMMA, TOL);
    assertRel(trigamma, "trigamma", TRIGAMMA_NEG, TOL_NEG);
    assert.equal(trigamma(0), Infinity);
    assert.equal(trigamma(-3), Infinity);
    assert.equal(trigamma(Infinity), 0);
    assertNaN(trigamma, "trigamma", [NaN, -Infinity]);
  });
});
