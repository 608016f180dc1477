"""Derive the series coefficients hard-coded in src/{gamma,student_t}.rs.

All arithmetic is exact (fractions.Fraction); the printed values are the
nearest f64 (Python float) of each exact rational. Run with any python3 >= 3.8:

    python3 tests/reference/gen_dist_coefficients.py

1. TEMME: Taylor coefficients d[k][n] of Temme's uniform-expansion functions
   c_k(eta) for the incomplete gamma ratio (DLMF 8.12.8-8.12.10):
       c_0(eta) = 1/(lambda - 1) - 1/eta,
       c_k(eta) = (1/eta) c_{k-1}'(eta) + (-1)^k g_k / (lambda - 1),
   where eta^2/2 = lambda - 1 - ln(lambda), sign(eta) = sign(lambda - 1), and
   g_k are the coefficients of Gamma*(a) ~ sum_k g_k a^-k (DLMF 5.11.3).
2. SINH: coefficients e_j of (2 sinh(w/2) / w)^(-1/2) = sum_j e_j w^(2j), used by
   the large-df Student-t tail expansion.
3. ZETA: zeta(k) - 1 for k = 2..40 (for ln_gamma near 1 and 2).
4. ERFCX: Chebyshev coefficients of g(t) = (y + 4) * erfcx(y), y = 4 (1 + t) / (1 - t),
   t in [-1, 1] (y in [0, inf)); the mapping follows Weideman (SIAM J. Numer. Anal.
   31, 1994). Items 3 and 4 need mpmath (pip install mpmath).
"""
from fractions import Fraction as F
import math

K = 10   # number of c_k functions
N = 30   # Taylor terms kept for each c_k


def bernoulli(n):
    b = [F(0)] * (n + 1)
    b[0] = F(1)
    for m in range(1, n + 1):
        b[m] = -sum(math.comb(m + 1, j) * b[j] for j in range(m)) / (m + 1)
    return b


def series_exp(s, n):
    """exp of a power series s (s[0] == 0), truncated to n terms."""
    # e' = s' e  ->  k e_k = sum_{j=1}^k j s_j e_{k-j}
    e = [F(0)] * n
    e[0] = F(1)
    for k in range(1, n):
        e[k] = sum(j * s[j] * e[k - j] for j in range(1, k + 1) if j < len(s)) / k
    return e


def stirling_g(n):
    """g_k, k < n: Gamma*(a) = exp(sum_j B_2j / (2j (2j-1) a^(2j-1))) = sum g_k a^-k."""
    b = bernoulli(2 * n + 2)
    s = [F(0)] * n
    for j in range(1, n):
        if 2 * j - 1 < n:
            s[2 * j - 1] = b[2 * j] / (2 * j * (2 * j - 1))
    return series_exp(s, n)


def series_inv(v, n):
    w = [F(0)] * n
    w[0] = 1 / v[0]
    for k in range(1, n):
        w[k] = -sum(v[j] * w[k - j] for j in range(1, k + 1) if j < len(v)) / v[0]
    return w


def temme():
    m_len = N + 2 * K + 4
    # mu(eta) = lambda - 1 = sum_{n>=1} m_n eta^n, from eta (1 + mu) = mu mu'.
    m = [F(0)] * (m_len + 2)
    m[1] = F(1)
    for n in range(2, m_len + 2):
        acc = m[n - 1] - sum((n + 1 - i) * m[i] * m[n + 1 - i] for i in range(2, n))
        m[n] = acc / (n + 1)
    v = m[1:]                    # mu = eta * v(eta)
    w = series_inv(v, m_len)     # 1/mu = (1/eta) * w(eta)
    g = stirling_g(K + 1)
    c = [w[n + 1] for n in range(m_len - 1)]   # c_0 = (w - 1)/eta
    out = [c[:N]]
    for k in range(1, K):
        deriv = [(n + 1) * c[n + 1] for n in range(len(c) - 1)]
        sgn = 1 if k % 2 == 0 else -1
        br = [deriv[n] + sgn * g[k] * w[n] for n in range(len(deriv))]
        assert br[0] == 0, (k, br[0])
        c = br[1:]
        out.append(c[:N])
    return out


def sinh_coeffs(n):
    # s(X) = sinh(w/2)/(w/2) = sum X^j / (4^j (2j+1)!), X = w^2; want s^(-1/2).
    s = [F(1, 4 ** j * math.factorial(2 * j + 1)) for j in range(n)]
    alpha = F(-1, 2)
    e = [F(0)] * n
    e[0] = F(1)
    for k in range(1, n):
        e[k] = sum(((alpha + 1) * j - k) * s[j] * e[k - j] for j in range(1, k + 1)) / k
    return e


def zeta_minus_one(kmax):
    import mpmath
    mpmath.mp.dps = 40
    return [float(mpmath.zeta(k) - 1) for k in range(2, kmax + 1)]


def erfcx_cheb(n_terms=28, nodes=96, k=4):
    import mpmath as mp
    mp.mp.dps = 40
    k = mp.mpf(k)

    def g(t):
        if t == 1:
            return 1 / mp.sqrt(mp.pi)
        y = k * (1 + t) / (1 - t)
        return mp.exp(y * y) * mp.erfc(y) * (y + k)

    xs = [mp.cos(mp.pi * (j + mp.mpf(1) / 2) / nodes) for j in range(nodes)]
    fv = [g(x) for x in xs]
    c = []
    for i in range(n_terms):
        s = sum(fv[j] * mp.cos(mp.pi * i * (j + mp.mpf(1) / 2) / nodes) for j in range(nodes))
        c.append(2 * s / nodes)
    c[0] /= 2
    return [float(x) for x in c]


def fmt(x):
    return repr(float(x))


if __name__ == "__main__":
    d = temme()
    print("// TEMME d[k][n]")
    for row in d:
        print("    [" + ", ".join(fmt(x) for x in row) + "],")
    print("// SINH e_j")
    print("    " + ", ".join(fmt(x) for x in sinh_coeffs(26)))
    print("// STIRLING g_k")
    print("    " + ", ".join(fmt(x) for x in stirling_g(K + 1)))
    try:
        print("// ZETA-1, k=2..")
        print("    " + ", ".join(repr(x) for x in zeta_minus_one(40)))
    except ImportError:
        print("// (mpmath not installed: zeta table skipped)")
    try:
        print("// ERFCX Chebyshev c_0..")
        print("    " + ", ".join(repr(x) for x in erfcx_cheb()))
    except ImportError:
        print("// (mpmath not installed: erfcx table skipped)")
