"""Reference values for Verdict's distribution functions (src/analysis/dist/).

Computes the standard normal, Student t and chi-squared cdf / sf / ppf / isf on a
grid of shapes and probabilities, both with scipy.stats (what users compare
against) and with mpmath at 50 significant digits (the truth), and records for every
point which one the Rust tests must match: scipy's value where scipy agrees with
mpmath to 1e-12 relative, mpmath's value where scipy itself is off.

Setup (throwaway venv; the versions used for the committed fixture are pinned):

    python3 -m venv /tmp/v && /tmp/v/bin/pip install scipy==1.17.1 mpmath==1.4.1 numpy==2.4.6

Run from the repository root (takes about a minute on one core):

    /tmp/v/bin/python tests/reference/make_dist_reference.py [OUTPUT]

OUTPUT defaults to tests/fixtures/dist_reference.json. The Rust tests read the
fixture only; they need no Python.

Exact values: Student t uses mpmath.betainc (regularized, hypergeometric, reliable
for df up to 1e12 and beyond). mpmath.gammainc does not converge for shapes above
about 1e5, so for a = k/2 >= 1e5 the chi-squared reference uses Temme's uniform
asymptotic expansion (DLMF 8.12.8) evaluated in 50-digit arithmetic with 12 terms
whose Taylor coefficients are derived here in exact rational arithmetic; its
truncation error there is far below 1e-40, and it is checked against
mpmath.gammainc where both work (the largest difference is stored in the fixture
as temme_check_max_rel). Quantiles are solved in 50-digit arithmetic by a
bracketing root finder on ln F(e^u) = ln p.
"""
import json
import math
import sys
from fractions import Fraction

import mpmath as mp
import numpy as np
import scipy
from scipy import stats

mp.mp.dps = 50
REL_OK = 1e-12

DFS = [1, 1.5, 2, 2.7, 3, 5, 10, 33.3, 100, 1234.5, 1e4, 1e5, 1e6, 8e6 + 0.3, 1.5e7,
       1e8, 1e9, 1e10, 1e11, 1e12]
PROBS = [1e-300, 1e-200, 1e-100, 1e-50, 1e-20, 1e-10, 1e-6, 0.001, 0.025, 0.05, 0.1,
         0.3, 0.5, 0.7, 0.9, 0.95, 0.975, 0.999, 1 - 1e-6, 1 - 1e-10, 1 - 1e-16]
T_GRID = [0.001, 0.1, 0.5, 1, 1.5, 1.96, 2, 2.5, 3, 4, 5, 7, 10, 20, 30, 37, 100, 1e3,
          1e5, 1e10, 1e50]
NORM_GRID = [-38, -37.5, -30, -20, -10, -5, -3, -2, -1, -0.5, -1e-5, 0, 1e-5, 0.5, 1,
             1.5, 2, 3, 5, 8, 10, 20, 30, 37.5, 38]
TINY = 1e-300  # forward values below this are not recorded (they underflow in f64)


# ---------------------------------------------------------------- exact functions
def norm_sf(x):
    return mp.erfc(mp.mpf(x) / mp.sqrt(2)) / 2


def t_tail(t, df):
    """P(T > t) for t >= 0."""
    t, df = mp.mpf(t), mp.mpf(df)
    if t == 0:
        return mp.mpf(1) / 2
    # Bound sf(t) <= pdf(t) (df + t^2) / (df t): skip astronomically small tails
    # (mpmath can take minutes on them, and they underflow in f64 anyway).
    ln_pdf = (mp.loggamma((df + 1) / 2) - mp.loggamma(df / 2) - mp.log(df * mp.pi) / 2
              - (df + 1) / 2 * mp.log1p(t * t / df))
    if ln_pdf + mp.log((df + t * t) / (df * t)) < -800:
        return mp.mpf(0)
    return mp.betainc(df / 2, mp.mpf(1) / 2, 0, df / (df + t * t), regularized=True) / 2


def t_sf(t, df):
    return t_tail(t, df) if t >= 0 else 1 - t_tail(-t, df)


def t_cdf(t, df):
    return t_sf(-t, df)


def _temme_coefficients(kmax=12, nmax=40):
    """Taylor coefficients of Temme's c_k(eta) (exact), see tests/reference/gen_dist_coefficients.py."""
    m_len = nmax + 2 * kmax + 4
    m = [Fraction(0)] * (m_len + 2)
    m[1] = Fraction(1)
    for n in range(2, m_len + 2):
        acc = m[n - 1] - sum((n + 1 - i) * m[i] * m[n + 1 - i] for i in range(2, n))
        m[n] = acc / (n + 1)
    v = m[1:]
    w = [Fraction(0)] * m_len
    w[0] = 1 / v[0]
    for k in range(1, m_len):
        w[k] = -sum(v[j] * w[k - j] for j in range(1, k + 1)) / v[0]
    # Stirling coefficients g_k of Gamma*(a).
    nb = 2 * kmax + 4
    b = [Fraction(0)] * (nb + 1)
    b[0] = Fraction(1)
    for mm in range(1, nb + 1):
        b[mm] = -sum(math.comb(mm + 1, j) * b[j] for j in range(mm)) / (mm + 1)
    s = [Fraction(0)] * (kmax + 1)
    for j in range(1, kmax + 1):
        if 2 * j - 1 <= kmax:
            s[2 * j - 1] = b[2 * j] / (2 * j * (2 * j - 1))
    g = [Fraction(0)] * (kmax + 1)
    g[0] = Fraction(1)
    for k in range(1, kmax + 1):
        g[k] = sum(j * s[j] * g[k - j] for j in range(1, k + 1)) / k
    c = [w[n + 1] for n in range(m_len - 1)]
    out = [c[:nmax]]
    for k in range(1, kmax):
        deriv = [(n + 1) * c[n + 1] for n in range(len(c) - 1)]
        sgn = 1 if k % 2 == 0 else -1
        br = [deriv[n] + sgn * g[k] * w[n] for n in range(len(deriv))]
        assert br[0] == 0
        c = br[1:]
        out.append(c[:nmax])
    return [[mp.mpf(x.numerator) / x.denominator for x in row] for row in out]


TEMME = _temme_coefficients()


def gamma_pq_temme(a, x):
    a, x = mp.mpf(a), mp.mpf(x)
    mu = (x - a) / a
    e2 = mu - mp.log1p(mu)
    eta = mp.sqrt(2 * e2) * (1 if mu >= 0 else -1)
    s = mp.mpf(0)
    for k, row in enumerate(TEMME):
        s += mp.polyval(row[::-1], eta) / a ** k
    r = mp.exp(-a * e2) / mp.sqrt(2 * mp.pi * a) * s
    q = mp.erfc(eta * mp.sqrt(a / 2)) / 2 + r
    p = mp.erfc(-eta * mp.sqrt(a / 2)) / 2 - r
    return p, q


def gamma_pq(a, x):
    """(P(a, x), Q(a, x)) exactly (50 digits)."""
    a, x = mp.mpf(a), mp.mpf(x)
    if x == 0:
        return mp.mpf(0), mp.mpf(1)
    if a >= 1e5:
        return gamma_pq_temme(a, x)
    if x < a:
        p = mp.gammainc(a, 0, x, regularized=True)
        return p, 1 - p
    q = mp.gammainc(a, x, mp.inf, regularized=True)
    return 1 - q, q


def chi2_cdf(x, k):
    return gamma_pq(mp.mpf(k) / 2, mp.mpf(x) / 2)[0]


def chi2_sf(x, k):
    return gamma_pq(mp.mpf(k) / 2, mp.mpf(x) / 2)[1]


# ---------------------------------------------------------------- exact quantiles
def solve_log(fun, target, u0):
    """Root of ln fun(e^u) = ln target (fun monotone), starting near u0 (scipy's
    answer, usually already good to many digits): secant iteration, then a sign
    check on a 1e-40-wide bracket around the root; bisection as a fallback."""
    lt = mp.log(target)

    def g(u):
        v = fun(mp.exp(u))
        return mp.log(v) - lt if v > 0 else mp.mpf(-10) ** 6 * (1 if lt > 0 else -1)

    u0 = mp.mpf(u0)
    try:
        root = mp.findroot(g, (u0, u0 + mp.mpf(1e-7) * max(1, abs(u0))), solver="secant",
                           tol=mp.mpf(10) ** -80, maxsteps=60, verify=False)
        eps = mp.mpf(10) ** -40 * max(1, abs(root))
        if g(root - eps) * g(root + eps) <= 0:
            return mp.exp(root)
    except (ZeroDivisionError, ValueError):
        pass
    return mp.exp(bisect_log(g, u0))


def bisect_log(g, u0):
    g0 = g(u0)
    if g0 == 0:
        return u0
    d = mp.mpf(1e-6) * max(1, abs(u0))
    for _ in range(60):
        a, b = u0 - d, u0 + d
        if g(a) * g0 <= 0:
            lo, hi = a, u0
            break
        if g(b) * g0 <= 0:
            lo, hi = u0, b
            break
        d *= 4
    else:
        raise RuntimeError("no bracket")
    glo = g(lo)
    while abs(hi - lo) > mp.mpf(10) ** -45 * max(1, abs(lo)):
        mid = (lo + hi) / 2
        gm = g(mid)
        if gm == 0:
            return mid
        if gm * glo < 0:
            hi = mid
        else:
            lo, glo = mid, gm
    return (lo + hi) / 2


def start(v, fallback):
    v = float(v)
    if math.isfinite(v) and v != 0:
        return math.log(abs(v))
    return fallback


def upper_exact(tail, q, hint):
    """x >= 0 with tail(x) = q for 0 < q <= 1/2 (tail decreasing, tail(0) = 1/2)."""
    if q == 0.5:
        return mp.mpf(0)
    return solve_log(tail, mp.mpf(q), start(hint, 0.0))


def sym_ppf_exact(tail, p, hint):
    """Quantile of a symmetric distribution; p is a double, 1 - p is formed in f64
    only where that is exact (p >= 1/2), never 1 - tiny in 50-digit arithmetic."""
    if p < 0.5:
        return -upper_exact(tail, p, hint)
    return upper_exact(tail, 1.0 - p, hint)


def chi2_lower_exact(p, k, hint):
    return solve_log(lambda x: chi2_cdf(x, k), mp.mpf(p), start(hint, math.log(k)))


def chi2_upper_exact(q, k, hint):
    return solve_log(lambda x: chi2_sf(x, k), mp.mpf(q), start(hint, math.log(k)))


def chi2_ppf_exact(p, k, hint):
    if p <= 0.5:
        return chi2_lower_exact(p, k, hint)
    return chi2_upper_exact(1.0 - p, k, hint)


def chi2_isf_exact(q, k, hint):
    if q <= 0.5:
        return chi2_upper_exact(q, k, hint)
    return chi2_lower_exact(1.0 - q, k, hint)


# ---------------------------------------------------------------- assembling
def enc(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def rel(a, b):
    a, b = float(a), float(b)
    if a == b:
        return 0.0
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    return abs(a - b) / abs(b) if b != 0 else abs(a)


cases = []
scipy_off = []


def add(name, args, sp, exact):
    exact_f = float(exact)
    sp = float(sp)
    ok = rel(sp, exact_f) <= REL_OK
    if not ok:
        scipy_off.append((name, args, sp, exact_f, rel(sp, exact_f)))
    cases.append([name, [enc(a) for a in args], enc(sp), enc(exact_f),
                  "scipy" if ok else "mpmath"])


def forward(name, exact_fun, scipy_fun, x, shape=None):
    args = [x] if shape is None else [x, shape]
    e = exact_fun(*args)
    if abs(e) < TINY:
        return
    add(name, args, scipy_fun(*args), e)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/dist_reference.json"
    # Normal.
    for p in PROBS:
        ppf = sym_ppf_exact(norm_sf, p, stats.norm.ppf(p))
        add("norm.ppf", [p], stats.norm.ppf(p), ppf)
        add("norm.isf", [p], stats.norm.isf(p), -sym_ppf_exact(norm_sf, p, stats.norm.isf(p)))
        x = float(ppf)
        forward("norm.cdf", lambda v: norm_sf(-v), stats.norm.cdf, x)
        forward("norm.sf", norm_sf, stats.norm.sf, x)
    for x in NORM_GRID:
        forward("norm.cdf", lambda v: norm_sf(-v), stats.norm.cdf, x)
        forward("norm.sf", norm_sf, stats.norm.sf, x)
    print("normal done", len(cases), flush=True)
    # Student t.
    for df in DFS:
        for p in PROBS:
            sp_ppf = stats.t.ppf(p, df)
            tail = lambda t, df=df: t_tail(t, df)  # noqa: E731
            ppf = sym_ppf_exact(tail, p, sp_ppf)
            add("t.ppf", [p, df], sp_ppf, ppf)
            sp_isf = stats.t.isf(p, df)
            add("t.isf", [p, df], sp_isf, -sym_ppf_exact(tail, p, sp_isf))
            x = float(ppf)
            forward("t.cdf", t_cdf, stats.t.cdf, x, df)
            forward("t.sf", t_sf, stats.t.sf, x, df)
        for x in T_GRID:
            forward("t.cdf", t_cdf, stats.t.cdf, x, df)
            forward("t.sf", t_sf, stats.t.sf, x, df)
        print("t df", df, len(cases), flush=True)
    # Chi-squared.
    for k in DFS:
        for p in PROBS:
            sp_ppf = stats.chi2.ppf(p, k)
            ppf = chi2_ppf_exact(p, k, sp_ppf)
            add("chi2.ppf", [p, k], sp_ppf, ppf)
            sp_isf = stats.chi2.isf(p, k)
            add("chi2.isf", [p, k], sp_isf, chi2_isf_exact(p, k, sp_isf))
            x = float(ppf)
            if x > 0:
                forward("chi2.cdf", chi2_cdf, stats.chi2.cdf, x, k)
                forward("chi2.sf", chi2_sf, stats.chi2.sf, x, k)
        xs = [0.001, 0.5, 1, 5, 50]
        xs += [k * m for m in (1e-3, 0.1, 0.5, 0.9, 1, 1.1, 2, 5, 10)]
        xs += [k + c * math.sqrt(2 * k) for c in (-5, -2, -1, 0, 1, 2, 5, 10, 20, 37)]
        for x in sorted(set(v for v in xs if v > 0)):
            forward("chi2.cdf", chi2_cdf, stats.chi2.cdf, x, k)
            forward("chi2.sf", chi2_sf, stats.chi2.sf, x, k)
        print("chi2 k", k, len(cases), flush=True)
    # Cross-check the large-shape Temme reference against mpmath.gammainc.
    worst = 0.0
    for a in (2e3, 2e4, 9e4):
        for c in (-30, -5, -1, 0, 1, 5, 30):
            x = a + c * math.sqrt(a)
            pt, qt = gamma_pq_temme(a, x)
            pm = mp.gammainc(a, 0, x, regularized=True)
            qm = mp.gammainc(a, x, mp.inf, regularized=True)
            worst = max(worst, float(abs(pt - pm) / pm), float(abs(qt - qm) / qm))
    doc = {
        "generator": "tests/reference/make_dist_reference.py",
        "scipy_version": scipy.__version__,
        "mpmath_version": mp.__version__,
        "numpy_version": np.__version__,
        "mp_dps": mp.mp.dps,
        "scipy_ok_rel": REL_OK,
        "temme_check_max_rel": worst,
        "fields": ["function", "args", "scipy", "mpmath", "expect_from"],
        "cases": cases,
    }
    with open(out, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(cases)} cases to {out}; temme check {worst:.2e}")
    print(f"scipy off from mpmath by more than {REL_OK:g} at {len(scipy_off)} points:")
    for name, args, sp, ex, r in scipy_off:
        print(f"  {name}{tuple(args)}: scipy {sp!r} mpmath {ex!r} rel {r:.3g}")


if __name__ == "__main__":
    main()
