//! Survival function of the two-sided one-sample Kolmogorov–Smirnov statistic `D_n`, the
//! distribution scipy calls `kstwo` and uses for `ks_2samp(method="asymp")` with
//! `n = round(m·n/(m+n))`.
//!
//! The method is chosen as in Simard & L'Ecuyer (2011, "Computing the two-sided
//! Kolmogorov–Smirnov distribution"): Ruben–Gambino closed forms at the edges, twice the
//! exact one-sided Smirnov tail (Birnbaum–Tingey sum) for large deviations, the Durbin
//! matrix (Marsaglia–Tsang–Wang) and Pomeranz recursions for small `n`, and the
//! Pelz–Good expansion for large `n`.

use std::f64::consts::PI;

const SCALE_EXP: i32 = 128;
const LN_2PI: f64 = 1.837_877_066_409_345_3;

fn scale_up() -> f64 {
    2f64.powi(SCALE_EXP)
}

fn scale_down() -> f64 {
    2f64.powi(-SCALE_EXP)
}

fn clip(p: f64) -> f64 {
    p.clamp(0.0, 1.0)
}

/// `P(D_n > x)`, the probability that the two-sided statistic of `n` observations
/// exceeds `x`. Returns NaN for `n == 0`.
pub fn kstwo_sf(n: u64, x: f64) -> f64 {
    if n == 0 || x.is_nan() {
        return f64::NAN;
    }
    if x >= 1.0 {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let nf = n as f64;
    let t = nf * x;
    if t <= 1.0 {
        if t <= 0.5 {
            return 1.0;
        }
        // Ruben–Gambino: P(D_n <= x) = n!/n^n (2t-1)^n for 1/2n <= x <= 1/n.
        let cdf = if n <= 140 {
            (1..=n).fold(1.0, |acc, i| {
                acc * (i as f64 * (1.0 / nf) * (2.0 * t - 1.0))
            })
        } else {
            (ln_factorial_over_n_pow_n(nf) + nf * (2.0 * t - 1.0).ln()).exp()
        };
        return clip(1.0 - cdf);
    }
    if t >= nf - 1.0 {
        return clip(2.0 * (1.0 - x).powf(nf));
    }
    if x >= 0.5 {
        return clip(2.0 * smirnov_sf(n, x));
    }
    let nx2 = t * x;
    if n <= 140 {
        if nx2 <= 0.754693 {
            return clip(1.0 - durbin_cdf(n, x));
        }
        if nx2 <= 4.0 {
            return clip(1.0 - pomeranz_cdf(n, x));
        }
        return clip(2.0 * smirnov_sf(n, x));
    }
    if nx2 >= 370.0 {
        return 0.0;
    }
    if nx2 >= 2.2 {
        return clip(2.0 * smirnov_sf(n, x));
    }
    let cdf = if nx2 >= 18.0 {
        1.0
    } else if n <= 100_000 && nf * x.powf(1.5) <= 1.4 {
        durbin_cdf(n, x)
    } else {
        pelz_good_cdf(nf, x)
    };
    clip(1.0 - cdf)
}

/// `ln(n!/n^n)` by Stirling's series (n > 140).
fn ln_factorial_over_n_pow_n(n: f64) -> f64 {
    // Stirling series coefficients B_2k / (2k(2k-1)), highest order first.
    const C: [f64; 8] = [
        -3617.0 / 122400.0,
        1.0 / 156.0,
        -691.0 / 360360.0,
        1.0 / 1188.0,
        -1.0 / 1680.0,
        1.0 / 1260.0,
        -1.0 / 360.0,
        1.0 / 12.0,
    ];
    let rn = 1.0 / n;
    let y = rn / n;
    let poly = C.iter().fold(0.0, |acc, c| acc * y + c);
    n.ln() / 2.0 - n + LN_2PI / 2.0 + rn * poly
}

fn matmul(a: &[f64], b: &[f64], m: usize) -> Vec<f64> {
    let mut c = vec![0.0; m * m];
    for i in 0..m {
        for k in 0..m {
            let aik = a[i * m + k];
            if aik == 0.0 {
                continue;
            }
            let row = &b[k * m..(k + 1) * m];
            let out = &mut c[i * m..(i + 1) * m];
            for (o, bv) in out.iter_mut().zip(row) {
                *o += aik * bv;
            }
        }
    }
    c
}

/// `P(D_n <= d)` by Durbin's matrix formula as organised by Marsaglia, Tsang and Wang
/// (2003): the (k,k) entry of `H^n`, times `n!/n^n`, with `k = ceil(n·d)`.
fn durbin_cdf(n: u64, d: f64) -> f64 {
    let nf = n as f64;
    let nd = nf * d;
    if d >= 1.0 {
        return 1.0;
    }
    if nd <= 0.5 {
        return 0.0;
    }
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let m = 2 * k - 1;
    // v[j-1] = (1 - h^j)/j!, w[j-1] = 1/(j-1)!
    let mut v = vec![0.0; m];
    let mut w = vec![0.0; m];
    let mut fac = 1.0;
    for j in 1..=m {
        w[j - 1] = fac;
        fac /= j as f64;
        v[j - 1] = (1.0 - h.powi(j as i32)) * fac;
    }
    let tt = (2.0 * h - 1.0).max(0.0).powi(m as i32) - 2.0 * h.powi(m as i32);
    v[m - 1] = (1.0 + tt) * fac;
    let mut hm = vec![0.0; m * m];
    for col in 1..m {
        for row in (col - 1)..m {
            hm[row * m + col] = w[row - (col - 1)];
        }
    }
    for row in 0..m {
        hm[row * m] = v[row];
    }
    for col in 0..m {
        hm[(m - 1) * m + col] = v[m - 1 - col];
    }
    let mut pwr = vec![0.0; m * m];
    for i in 0..m {
        pwr[i * m + i] = 1.0;
    }
    let mut nn = n;
    let mut expnt: i32 = 0;
    let mut h_expnt: i32 = 0;
    while nn > 0 {
        if nn % 2 == 1 {
            pwr = matmul(&pwr, &hm, m);
            expnt += h_expnt;
        }
        hm = matmul(&hm, &hm, m);
        h_expnt *= 2;
        if hm[(k - 1) * m + (k - 1)].abs() > scale_up() {
            for x in hm.iter_mut() {
                *x /= scale_up();
            }
            h_expnt += SCALE_EXP;
        }
        nn /= 2;
    }
    let mut p = pwr[(k - 1) * m + (k - 1)];
    for i in 1..=n {
        p = i as f64 * p / nf;
        if p.abs() < scale_down() {
            p *= scale_up();
            expnt -= SCALE_EXP;
        }
    }
    if expnt != 0 {
        p *= 2f64.powi(expnt);
    }
    clip(p)
}

/// Column range `[j1, j2]` used in row `i` of Pomeranz's recursion.
fn pomeranz_range(i: usize, n: i64, ll: i64, ceilf: i64, roundf: i64) -> (i64, i64) {
    let (j1, j2) = if i == 0 {
        (-ll - ceilf - 1, ll + ceilf - 1)
    } else {
        let half = i.div_ceil(2) as i64;
        if (i + 1).is_multiple_of(2) {
            if half == n + 1 {
                (n - ll - ceilf - 1, n + ll + ceilf - 1)
            } else {
                (half - 1 - ll - roundf - 1, half + ll - 1 + ceilf - 1)
            }
        } else {
            (half - 1 - ll - 1, half + ll + roundf - 1)
        }
    };
    ((j1 + 2).max(0), j2.min(n))
}

/// `P(D_n <= x)` by Pomeranz's (1974) recursion over the lattice of crossing points.
fn pomeranz_cdf(n: u64, x: f64) -> f64 {
    let ni = n as i64;
    let nf = n as f64;
    let t = nf * x;
    let ll = t.floor() as i64;
    let f = t - ll as f64;
    let g = f.min(1.0 - f);
    let ceilf = i64::from(f > 0.0);
    let roundf = i64::from(f > 0.5);
    let npwrs = (2 * (ll + 1)) as usize;
    let mut gpower = vec![1.0; npwrs];
    let mut twogpower = vec![1.0; npwrs];
    let mut onem2gpower = vec![1.0; npwrs];
    let (a, b, c) = (g / nf, 2.0 * g / nf, (1.0 - 2.0 * g) / nf);
    for m in 1..npwrs {
        gpower[m] = gpower[m - 1] * a / m as f64;
        twogpower[m] = twogpower[m - 1] * b / m as f64;
        onem2gpower[m] = onem2gpower[m - 1] * c / m as f64;
    }
    let mut v0 = vec![0.0; npwrs];
    let mut v1 = vec![0.0; npwrs];
    v1[0] = 1.0;
    let (mut v0s, mut v1s): (i64, i64) = (0, 0);
    let mut expnt: i32 = 0;
    let (mut j1, _) = pomeranz_range(0, ni, ll, ceilf, roundf);
    let mut j2;
    for i in 1..(2 * n as usize + 2) {
        let k1 = j1;
        std::mem::swap(&mut v0, &mut v1);
        std::mem::swap(&mut v0s, &mut v1s);
        v1.iter_mut().for_each(|x| *x = 0.0);
        (j1, j2) = pomeranz_range(i, ni, ll, ceilf, roundf);
        let pwrs = if i == 1 || i == 2 * n as usize + 1 {
            &gpower
        } else if i % 2 == 1 {
            &twogpower
        } else {
            &onem2gpower
        };
        let ln2 = j2 - k1 + 1;
        if ln2 > 0 {
            let ln2 = ln2 as usize;
            let base = (k1 - v0s) as usize;
            let src = &v0[base..base + ln2];
            let start = (j1 - k1) as usize;
            let len = (j2 - j1 + 1) as usize;
            for (out, tt) in (start..start + len).enumerate() {
                // Full convolution entry tt of src and pwrs[..ln2].
                let lo = tt.saturating_sub(ln2 - 1);
                let hi = tt.min(ln2 - 1);
                let mut s = 0.0;
                for q in lo..=hi {
                    s += src[q] * pwrs[tt - q];
                }
                v1[out] = s;
            }
            let max = v1.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            if 0.0 < max && max < scale_down() {
                v1.iter_mut().for_each(|x| *x *= scale_up());
                expnt -= SCALE_EXP;
            }
            v1s = v0s + j1 - k1;
        }
    }
    let mut ans = v1[(ni - v1s) as usize];
    for m in 1..=n {
        if ans.abs() > scale_up() {
            ans *= scale_down();
            expnt += SCALE_EXP;
        }
        ans *= m as f64;
    }
    if expnt != 0 {
        ans *= 2f64.powi(expnt);
    }
    clip(ans)
}

/// `P(D_n <= x)` by the Pelz–Good (1976) expansion of the Li-Chien/Korolyuk series in
/// `1/sqrt(n)`, rewritten with Jacobi theta functions for small `z = x·sqrt(n)`.
fn pelz_good_cdf(n: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let sqrt_2pi = (2.0 * PI).sqrt();
    let pi2 = PI * PI;
    let pi4 = pi2 * pi2;
    let pi6 = pi4 * pi2;
    let z = n.sqrt() * x;
    let (z2, z3, z4, z6) = (z * z, z.powi(3), z.powi(4), z.powi(6));
    let qlog = -pi2 / 8.0 / z2;
    if qlog < -708.0 {
        return 0.0;
    }
    let q = qlog.exp();
    let k1a = -z2;
    let k1b = pi2 / 4.0;
    let k2a = 6.0 * z6 + 2.0 * z4;
    let k2b = (2.0 * z4 - 5.0 * z2) * pi2 / 4.0;
    let k2c = pi4 * (1.0 - 2.0 * z2) / 16.0;
    let k3d = pi6 * (5.0 - 30.0 * z2) / 64.0;
    let k3c = pi4 * (-60.0 * z2 + 212.0 * z4) / 16.0;
    let k3b = pi2 * (135.0 * z4 - 96.0 * z6) / 4.0;
    let k3a = -30.0 * z6 - 90.0 * z.powi(8);
    let mut k = [0.0f64; 4];
    let maxk = (16.0 * z / PI).ceil() as i64;
    for kk in (1..=maxk).rev() {
        let m = (2 * kk - 1) as f64;
        let (m2, m4, m6) = (m * m, m.powi(4), m.powi(6));
        let qp = q.powf(8.0 * kk as f64);
        let coeffs = [
            1.0,
            k1a + k1b * m2,
            k2a + k2b * m2 + k2c * m4,
            k3a + k3b * m2 + k3c * m4 + k3d * m6,
        ];
        for (acc, c) in k.iter_mut().zip(coeffs) {
            *acc = *acc * qp + c;
        }
    }
    let div = [z, 6.0 * z4, 72.0 * z.powi(7), 6480.0 * z.powi(10)];
    for (acc, d) in k.iter_mut().zip(div) {
        *acc = *acc * q * sqrt_2pi / d;
    }
    let q2 = (-pi2 / 2.0 / z2).exp();
    let sqrt3z = 3f64.sqrt() * z;
    let mut k2extra = 0.0;
    let mut k3extra = 0.0;
    for kk in (1..=maxk).rev() {
        let ks = kk as f64;
        let ks2 = ks * ks;
        let qp = q2.powf(ks2);
        k2extra += ks2 * qp;
        let kspi = PI * ks;
        k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ks2 * qp;
    }
    k[2] += k2extra * pi2 * sqrt_2pi / (-36.0 * z3);
    k[3] += k3extra * pi2 * sqrt_2pi / (216.0 * z6);
    let mut sum = 0.0;
    for (i, acc) in k.iter().enumerate() {
        sum += acc / n.powf(i as f64 / 2.0);
    }
    sum
}

/// Upper tail of the one-sided one-sample statistic, `P(D_n^+ >= x)`, by the exact
/// Birnbaum–Tingey sum. Each term is `x/p · Binomial(n, p).pmf(j)` with `p = x + j/n`,
/// evaluated with Loader's saddle-point form so that every term keeps full relative
/// precision for large `n`; terms are summed outward from the largest one until they
/// no longer change the sum.
pub fn smirnov_sf(n: u64, x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x >= 1.0 {
        return 0.0;
    }
    let nf = n as f64;
    let jmax = (nf * (1.0 - x)).floor() as i64;
    if jmax < 0 {
        return 0.0;
    }
    // Natural log of term j (-inf when it is zero).
    let ln_term = |j: i64| -> f64 {
        let jf = j as f64;
        let p = x + jf / nf;
        let q = 1.0 - x - jf / nf;
        if q <= 0.0 {
            return if (n as i64) == j {
                (x / p).ln()
            } else {
                f64::NEG_INFINITY
            };
        }
        (x / p).ln() + ln_binom_pmf(j as u64, n, p, q)
    };
    // The terms are unimodal in j, with the largest near p(1-p) maximal, i.e. p = 1/2.
    let mut peak = ((nf * (0.5 - x)).round() as i64).clamp(0, jmax);
    let mut best = ln_term(peak);
    loop {
        let left = if peak > 0 {
            ln_term(peak - 1)
        } else {
            f64::NEG_INFINITY
        };
        let right = if peak < jmax {
            ln_term(peak + 1)
        } else {
            f64::NEG_INFINITY
        };
        if left > best && left >= right {
            peak -= 1;
            best = left;
        } else if right > best {
            peak += 1;
            best = right;
        } else {
            break;
        }
    }
    if best == f64::NEG_INFINITY {
        return 0.0;
    }
    // Sum the terms relative to the largest, so that tails below the smallest double
    // still add up correctly.
    let mut sum = 1.0;
    for dir in [1i64, -1] {
        let mut j = peak + dir;
        let mut small_run = 0;
        while (0..=jmax).contains(&j) {
            let t = (ln_term(j) - best).exp();
            sum += t;
            if t < sum * 1e-20 {
                small_run += 1;
                if small_run > 8 {
                    break;
                }
            } else {
                small_run = 0;
            }
            j += dir;
        }
    }
    clip((best + sum.ln()).exp())
}

/// Natural log of the binomial pmf `C(n,k) p^k q^(n-k)` with `q = 1 - p` given
/// separately, by Loader (2000).
fn ln_binom_pmf(k: u64, n: u64, p: f64, q: f64) -> f64 {
    let nf = n as f64;
    if k == 0 {
        return nf * q.ln();
    }
    if k == n {
        return nf * p.ln();
    }
    let kf = k as f64;
    let nk = nf - kf;
    let lc = stirlerr(nf) - stirlerr(kf) - stirlerr(nk) - bd0(kf, nf * p) - bd0(nk, nf * q);
    lc + 0.5 * (nf / (2.0 * PI * kf * nk)).ln()
}

/// `ln(n!) - ln(sqrt(2πn) (n/e)^n)`.
fn stirlerr(n: f64) -> f64 {
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    if n <= 15.0 {
        return crate::analysis::dist::ln_gamma(n + 1.0) - (n + 0.5) * n.ln() + n - LN_2PI / 2.0;
    }
    let nn = n * n;
    if n > 500.0 {
        return (S0 - S1 / nn) / n;
    }
    if n > 80.0 {
        return (S0 - (S1 - S2 / nn) / nn) / n;
    }
    if n > 35.0 {
        return (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n;
    }
    (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n
}

/// Deviance term `x ln(x/np) + np - x`, accurate when `x` is close to `np`.
fn bd0(x: f64, np: f64) -> f64 {
    if (x - np).abs() < 0.1 * (x + np) {
        let v = (x - np) / (x + np);
        let mut s = (x - np) * v;
        let mut ej = 2.0 * x * v;
        let v2 = v * v;
        let mut j = 1.0;
        loop {
            ej *= v2;
            let s1 = s + ej / (2.0 * j + 1.0);
            if s1 == s {
                return s1;
            }
            s = s1;
            j += 1.0;
            if j > 1000.0 {
                return s;
            }
        }
    }
    x * (x / np).ln() + np - x
}
