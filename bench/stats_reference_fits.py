#!/usr/bin/env python3
"""Independent reference minima for zgrad's convergence tests (a dev tool; no test needs it).

pyhf is not installable on this machine (only the npm and Debian registries are reachable, and
Debian has no python3-pyhf), so the reference is an independent re-implementation of pyhf's
likelihood in numpy, minimised with scipy:

- the HistFactory model of pyhf for the modifiers the synthetic workspaces use: normfactor,
  normsys (pyhf's default code4, formulas and A^-1 of pyhf/interpolators/code4.py), histosys
  (code4p, pyhf/interpolators/code4p.py), staterror (Gaussian, sigma_b = sqrt(sum of squared
  uncertainties) / sum of nominal yields of the samples it acts on, auxdata 1);
- parameters in pyhf's order (histosys, lumi, normfactor, normsys, shapefactor, shapesys,
  staterror; names sorted within a type), bounds mu [0, 10], alphas [-5, 5], gammas [1e-10, 10];
- -2 log L with the full Poisson normalisation (gammaln) and the Gaussian constraint terms, as
  pyhf's twice_nll;
- scipy.optimize.minimize with the analytic gradient (checked against finite differences on every
  run): method TNC (truncated Newton) to machine-precision tolerances, then L-BFGS-B restarted from
  the last point until -2 log L stops decreasing; the largest free gradient component at the end
  is printed (a check that the point is a minimum).

Usage: python3 bench/stats_reference_fits.py WS.json [WS.json ...]
prints one JSON line per workspace: {"file", "npars", "twice_nll", "bestfit", "grad_inf_norm",
"scipy", "numpy"}. Write the workspaces with `deno run -A bench/stats_bench.ts --dump-workspaces=DIR`.
"""
import json
import sys

import numpy as np
import scipy
from scipy.optimize import minimize
from scipy.special import gammaln

TYPE_ORDER = ["histosys", "lumi", "normfactor", "normsys", "shapefactor", "shapesys", "staterror"]
AINV = np.array([
    [15 / 16, -15 / 16, -7 / 16, -7 / 16, 1 / 16, -1 / 16],
    [3 / 2, 3 / 2, -9 / 16, 9 / 16, 1 / 16, 1 / 16],
    [-5 / 8, 5 / 8, 5 / 8, 5 / 8, -1 / 8, 1 / 8],
    [-3 / 2, -3 / 2, 7 / 8, -7 / 8, -1 / 8, -1 / 8],
    [3 / 16, -3 / 16, -3 / 16, -3 / 16, 1 / 16, -1 / 16],
    [1 / 2, 1 / 2, -5 / 16, 5 / 16, 1 / 16, 1 / 16],
])


def code4(alpha, hi, lo):
    """Factor and its derivative in alpha (scalar alpha, scalar hi/lo)."""
    if alpha >= 1:
        return hi ** alpha, hi ** alpha * np.log(hi)
    if alpha <= -1:
        return lo ** (-alpha), -lo ** (-alpha) * np.log(lo)
    lh, ll = np.log(hi), np.log(lo)
    b = np.array([hi - 1, lo - 1, hi * lh, -lo * ll, hi * lh * lh, lo * ll * ll])
    a = AINV @ b
    powers = alpha ** np.arange(1, 7)
    dpowers = np.arange(1, 7) * alpha ** np.arange(0, 6)
    return 1 + a @ powers, a @ dpowers


def code4p(alpha, hi, nom, lo):
    """Delta and its derivative in alpha (arrays over bins)."""
    up, dn = hi - nom, nom - lo
    if alpha > 1:
        return alpha * up, up
    if alpha < -1:
        return alpha * dn, dn
    s, a = 0.5 * (up + dn), 0.0625 * (up - dn)
    a2 = alpha * alpha
    val = alpha * s + a2 * a * (15 - 10 * a2 + 3 * a2 * a2)
    der = s + a * (30 * alpha - 40 * alpha ** 3 + 18 * alpha ** 5)
    return val, der


def build(ws):
    channels = sorted(ws["channels"], key=lambda c: c["name"])
    obs = {o["name"]: o["data"] for o in ws["observations"]}
    params = {}  # name -> (type, n)
    for t in TYPE_ORDER:
        names = set()
        for ch in channels:
            for smp in ch["samples"]:
                for m in smp["modifiers"]:
                    if m["type"] == t:
                        names.add(m["name"])
        for name in sorted(names):
            if name in params:
                continue
            if t == "staterror":
                nb = next(len(c["samples"][0]["data"]) for c in channels
                          if any(m["name"] == name for s in c["samples"] for m in s["modifiers"]))
                params[name] = (t, nb)
            else:
                params[name] = (t, 1)
    order = list(params)
    start, k = {}, 0
    for name in order:
        start[name] = k
        k += params[name][1]
    npars = k
    init = np.zeros(npars)
    lower, upper = np.full(npars, -5.0), np.full(npars, 5.0)
    for name in order:
        t, n = params[name]
        s = start[name]
        if t in ("normfactor", "staterror"):
            init[s:s + n] = 1
            lower[s:s + n], upper[s:s + n] = (0, 10) if t == "normfactor" else (1e-10, 10)
    # staterror widths
    sigma = {}
    for ch in channels:
        for name in {m["name"] for s in ch["samples"] for m in s["modifiers"] if m["type"] == "staterror"}:
            num = np.zeros(len(ch["samples"][0]["data"]))
            den = np.zeros_like(num)
            for smp in ch["samples"]:
                for m in smp["modifiers"]:
                    if m["type"] == "staterror" and m["name"] == name:
                        num += np.array(m["data"]) ** 2
                        den += np.array(smp["data"])
            sigma[name] = np.sqrt(num) / den
    data = np.concatenate([np.array(obs[c["name"]], float) for c in channels])
    return dict(channels=channels, params=params, order=order, start=start, npars=npars,
                init=init, bounds=list(zip(lower, upper)), sigma=sigma, data=data)


def twice_nll_and_grad(x, M):
    grad = np.zeros_like(x)
    lam_all, dlam_all = [], []  # per channel: lam [B], list of (param index, dlam [B])
    for ch in M["channels"]:
        B = len(ch["samples"][0]["data"])
        lam = np.zeros(B)
        dl = {}
        for smp in ch["samples"]:
            nom = np.array(smp["data"], float)
            rate, drate = nom.copy(), {}
            for m in smp["modifiers"]:
                if m["type"] == "histosys":
                    i = M["start"][m["name"]]
                    v, d = code4p(x[i], np.array(m["data"]["hi_data"]), nom, np.array(m["data"]["lo_data"]))
                    rate = rate + v
                    drate[i] = drate.get(i, 0) + d
            factors = []  # (param index or list, factor [B], dfactor [B])
            for m in smp["modifiers"]:
                t = m["type"]
                if t == "normfactor":
                    i = M["start"][m["name"]]
                    factors.append(([i] * B, np.full(B, x[i]), np.ones(B)))
                elif t == "normsys":
                    i = M["start"][m["name"]]
                    f, d = code4(x[i], m["data"]["hi"], m["data"]["lo"])
                    factors.append(([i] * B, np.full(B, f), np.full(B, d)))
                elif t == "staterror":
                    s = M["start"][m["name"]]
                    factors.append((list(range(s, s + B)), x[s:s + B].copy(), np.ones(B)))
            F = np.ones(B)
            for _, f, _ in factors:
                F = F * f
            lam += rate * F
            for i, d in drate.items():
                dl[i] = dl.get(i, 0) + d * F
            for k, (idx, f, d) in enumerate(factors):
                other = np.ones(B)
                for j, (_, g, _) in enumerate(factors):
                    if j != k:
                        other = other * g
                contrib = rate * d * other
                for b in range(B):
                    dl.setdefault(idx[b], np.zeros(B))
                    if np.isscalar(dl[idx[b]]):
                        dl[idx[b]] = np.full(B, dl[idx[b]])
                    dl[idx[b]][b] += contrib[b]
        lam_all.append(lam)
        dlam_all.append(dl)
    lam = np.concatenate(lam_all)
    n = M["data"]
    if np.any(lam <= 0):  # outside the model's domain: a wall the line search backs off from
        return 1e300, np.zeros_like(x)
    val = -2 * np.sum(np.where(n > 0, n * np.log(np.where(n > 0, lam, 1)), 0) - lam - gammaln(n + 1))
    w = -2 * (np.where(n > 0, n / lam, 0) - 1)
    off = 0
    for ch, dl in zip(M["channels"], dlam_all):
        B = len(ch["samples"][0]["data"])
        for i, d in dl.items():
            grad[i] += np.sum(w[off:off + B] * d)
        off += B
    for name in M["order"]:
        t, nn = M["params"][name]
        s = M["start"][name]
        if t in ("normsys", "histosys"):
            val += x[s] ** 2 + np.log(2 * np.pi)
            grad[s] += 2 * x[s]
        elif t == "staterror":
            sg = M["sigma"][name]
            z = (1 - x[s:s + nn]) / sg
            val += np.sum(z * z + 2 * np.log(sg) + np.log(2 * np.pi))
            grad[s:s + nn] += -2 * z / sg
    return val, grad


def main(paths):
    for p in paths:
        ws = json.load(open(p))
        M = build(ws)
        f = lambda x: twice_nll_and_grad(x, M)
        x0 = M["init"]
        # Gradient check against central differences at the start.
        g0 = f(x0)[1]
        for i in range(min(M["npars"], 5)):
            e = np.zeros_like(x0)
            e[i] = 1e-6
            fd = (f(x0 + e)[0] - f(x0 - e)[0]) / 2e-6
            assert abs(fd - g0[i]) < 1e-4 * max(1, abs(fd)), (p, i, fd, g0[i])
        # TNC (truncated Newton) first: L-BFGS-B's first line search can stall against the wall
        # where a histosys drives a rate negative. Then L-BFGS-B restarts polish; keep the best.
        r = minimize(f, x0, jac=True, method="TNC", bounds=M["bounds"],
                     options=dict(maxfun=1000000, ftol=1e-15, xtol=1e-14, gtol=1e-11))
        for _ in range(20):
            r2 = minimize(f, r.x, jac=True, method="L-BFGS-B", bounds=M["bounds"],
                          options=dict(ftol=1e-16, gtol=1e-11, maxiter=100000, maxcor=50))
            if not r2.fun < r.fun - 1e-13:
                break
            r = r2
        val, g = f(r.x)
        free = np.array([not (lo >= v or v >= hi) for v, (lo, hi) in zip(r.x, M["bounds"])])
        print(json.dumps({
            "file": p.split("/")[-1], "npars": M["npars"], "par_order": M["order"],
            "twice_nll": val, "bestfit": r.x.tolist(),
            "grad_inf_norm": float(np.max(np.abs(g[free]))) if free.any() else 0.0,
            "scipy": scipy.__version__, "numpy": np.__version__, "message": str(r.message),
        }))


if __name__ == "__main__":
    main(sys.argv[1:])
