"""Inference fixtures (sequential tests, CUPED, quantile tests, guardrails) and their reference
values, computed with GrowthBook's gbstats 0.8 (and statsmodels for two request-level checks).

Run from the repository root in a throwaway venv:
    python3 -m venv /tmp/gb && /tmp/gb/bin/pip install gbstats==0.8.0 statsmodels
    /tmp/gb/bin/python tests/reference/make_inference_reference.py

The simulation: 3000 users (~42k experiment rows, ~15k pre-period rows, so that
experiment.jsonl stays near 12 MB) with lognormal activity (heavy users send hundreds of requests)
and a persistent propensity that drives their pre-period and experiment behaviour alike, so
the pre-period total predicts the experiment total (CUPED is informative). A pre-period of
7 days before START (2025-12-01T00:00:00Z), then 14 days of experiment in two allocation
stages: stage 0 = days 0-4 with 10 % of users (zlib.crc32(user_id) % 100 < 10) on the
challenger B, stage 1 = days 4-14 with 50 % (bucket < 50). Users with 10 <= bucket < 50 move
A -> B at day 4. B's revenue is 1.03 x, its latency about 5 % higher; conversion is equal.
No error rows. Timestamps are distinct and strictly increasing; about 10 % are written
without a fraction (structlog style), the others with microseconds.

Writes tests/fixtures/inference/:
  experiment.jsonl  structlog JSON lines: the pre-period rows (no "group" key, model
                    ranker_v1), then the experiment rows (with "group"), with an
                    `ab_config_changed` 10 -> 50 line at day 4
  post.jsonl        the experiment rows only
  pre_period.jsonl  the pre-period rows only
  reference.json    (all per stage and "combined" over the stages; a unit is
                    (user, group, stage) over the experiment rows)
    ratio       per metric (converted, revenue): per-unit sum / row count as gbstats
                RatioStatistic, TwoSidedTTest and SequentialTwoSidedTTest (tuning 5000),
                absolute and relative
    cuped       per metric: post = the unit's total in the stage, pre = the user's total over
                the whole pre-period (0 without pre-period rows); gbstats
                RegressionAdjustedStatistic with compute_theta; adjusted and unadjusted
                (plain SampleMeanStatistic of post) tests, theta, variance reduction
    quantile    latency_ms p50/p95/p99 with gbstats QuantileClusteredStatistic (users are
                the clusters) per stage and group
    combined    inverse-variance weights over stages; fixed: normal ci and p; sequential:
                gbstats' SequentialTwoSidedTTest formulas with the combined variance and
                N = the summed sample sizes (units, or requests for quantiles)
    guardrails  one-sided non-inferiority on the combined estimates (latency_p99 relative
                0.10 decrease-desired, revenue absolute 0.5 and converted relative 0.02
                increase-desired), fixed and sequential, Holm across the three
    request_level  statsmodels cross-checks of one-sided non-inferiority p-values on stage 1
                with requests as observations (Welch t for revenue, Wald for converted)
    counts      rows and users per stage and group, pre-period rows and users

Sequential one-sided guardrails: rho is always gbstats' rho at ALPHA (a tuning constant); the
bound uses the two-sided sequential width with ALPHA replaced by 2*ALPHA inside the log, and
the p-value is half the two-sided always-valid p of the shifted estimate (h*est - margin)
when h*est < margin, else 1 - half of it. With the same rho the bound and the p-value agree
(p < ALPHA exactly when the harmful-side bound is within the margin).
"""
import json
import os
import zlib
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import test_proportions_2indep
from statsmodels.stats.weightstats import ttest_ind

from gbstats.frequentist.tests import (
    FrequentistConfig,
    SequentialConfig,
    SequentialTwoSidedTTest,
    TwoSidedTTest,
)
from gbstats.models.statistics import (
    QuantileClusteredStatistic,
    RatioStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
    compute_theta,
)

ALPHA = 0.05
SEQUENTIAL_TUNING = 5000
OUT = "tests/fixtures/inference"
SEED = 20251203  # chosen so that CUPED on revenue lands in 0.3-0.7 in both stages
START = datetime(2025, 12, 1, 0, 0, 0, tzinfo=timezone.utc)
PRE_DAYS = 7
STAGE_DAYS = [0, 4]  # days from START at which each stage starts
END_DAYS = 14
RAMP = [10, 50]
N_USERS = 3000
EXP_ROWS = 42_000  # expected experiment rows (the files stay near 12 MB)
PRE_ROWS = 15_500  # expected pre-period rows
P = dict(act_prop=1.2, act_noise=0.7, conv=0.06, pre_noise=0.25, exp_noise=0.12, amount_sd=0.6)
METRICS = ["converted", "revenue"]
NUS = [0.5, 0.95, 0.99]
DAY_US = 86_400_000_000
Z2 = stats.norm.ppf(1 - ALPHA / 2)
Z1 = stats.norm.ppf(1 - ALPHA)
RHO = float(np.sqrt((-2 * np.log(ALPHA) + np.log(-2 * np.log(ALPHA) + 1)) / SEQUENTIAL_TUNING))


def bucket(user):
    return zlib.crc32(user.encode()) % 100


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- simulation


def unique_times(rng, n, lo_us, hi_us, whole_share=0.10):
    """n distinct, sorted microsecond offsets in [lo_us, hi_us); about `whole_share` of them
    whole seconds (written without a fraction). Returns (times, whole)."""
    times = np.empty(0, dtype=np.int64)
    whole = np.empty(0, dtype=bool)
    while len(times) < n:
        k = n - len(times) + 16
        t = rng.integers(lo_us, hi_us, k, dtype=np.int64)
        w = rng.random(k) < whole_share
        t = np.where(w, (t // 1_000_000) * 1_000_000, t)
        ok = t >= lo_us
        t, w = t[ok], w[ok]
        t = np.concatenate([times, t])
        w = np.concatenate([whole, w])
        t, idx = np.unique(t, return_index=True)  # sorted, first occurrence kept
        times, whole = t, w[idx]
    # drop a random surplus, keep order
    keep = np.sort(rng.choice(len(times), n, replace=False))
    return times[keep], whole[keep]


def simulate(seed=SEED):
    rng = np.random.default_rng(seed)
    users = np.array([f"u{i:05d}" for i in range(N_USERS)])
    buckets = np.array([bucket(u) for u in users])
    # persistent propensity: activity, conversion and spend all move with it
    prop = rng.normal(0.0, 1.0, N_USERS)
    rate = np.exp(P["act_prop"] * prop + rng.normal(0.0, P["act_noise"], N_USERS))  # lognormal activity
    rate = rate / rate.sum() * (EXP_ROWS / END_DAYS)  # expected requests per day over all users
    p_conv = 1 / (1 + np.exp(-(np.log(P["conv"] / (1 - P["conv"])) + 0.5 * prop + rng.normal(0.0, 0.3, N_USERS))))
    spend = np.exp(0.25 * prop + rng.normal(0.0, 0.25, N_USERS))
    lat_mult = np.exp(rng.normal(0.0, 0.25, N_USERS))  # latencies cluster by user
    new_user = rng.random(N_USERS) < 0.22  # no pre-period history
    # activity drifts a little between the periods
    pre_factor = np.where(new_user, 0.0, PRE_ROWS / (0.78 * EXP_ROWS * PRE_DAYS / END_DAYS)
                          * np.exp(rng.normal(0.0, P["pre_noise"], N_USERS) - P["pre_noise"] ** 2 / 2))
    exp_factor = np.exp(rng.normal(0.0, P["exp_noise"], N_USERS) - P["exp_noise"] ** 2 / 2)

    def period(lo_days, hi_days, factor):
        counts = rng.poisson(rate * factor * (hi_days - lo_days))
        n = int(counts.sum())
        uidx = rng.permutation(np.repeat(np.arange(N_USERS), counts))
        t, whole = unique_times(rng, n, lo_days * DAY_US, hi_days * DAY_US)
        return pd.DataFrame(dict(t_us=t, whole=whole, uidx=uidx))

    pre = period(-PRE_DAYS, 0, pre_factor)
    post = period(0, END_DAYS, exp_factor)
    # nothing exactly at the ramp (the ab_config_changed line has that time stamp)
    post = post[post.t_us != STAGE_DAYS[1] * DAY_US].reset_index(drop=True)
    pre["stage"] = -1
    pre["group"] = None
    post["stage"] = np.where(post.t_us >= STAGE_DAYS[1] * DAY_US, 1, 0)
    ramp = np.array(RAMP)[post.stage.values]
    post["group"] = np.where(buckets[post.uidx.values] < ramp, "B", "A")

    def outcomes(df):
        n = len(df)
        u = df.uidx.values
        is_b = (df.group.values == "B")
        conv = (rng.random(n) < p_conv[u]).astype(int)
        amount = np.exp(rng.normal(2.5, P["amount_sd"], n)) * spend[u] * np.where(is_b, 1.03, 1.0)
        df["converted"] = conv
        df["revenue"] = np.round(np.where(conv == 1, amount, 0.0), 2)
        lat = np.exp(rng.normal(np.log(22.0), 0.35, n)) * lat_mult[u] * np.where(is_b, 1.05, 1.0)
        df["latency_ms"] = np.round(lat, 3)
        df["score"] = np.round(np.clip(rng.beta(2, 5, n) + 0.1 * conv, 0, 1), 4)
        df["user"] = users[u]
        return df

    return outcomes(pre), outcomes(post)


# ---------------------------------------------------------------- writing


def lines(df, with_group):
    out = []
    for r in df.itertuples(index=False):
        dt = START + timedelta(microseconds=int(r.t_us))
        ts = iso(dt) if r.whole else dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        d = dict(event="prediction", user_id=r.user)
        if with_group:
            d["group"] = r.group
        d.update(model="ranker_v2" if r.group == "B" else "ranker_v1", score=float(r.score),
                 latency_ms=float(r.latency_ms), converted=int(r.converted), revenue=float(r.revenue),
                 timestamp=ts, level="info")
        out.append(json.dumps(d))
    return out


def write_files(pre, post):
    os.makedirs(OUT, exist_ok=True)
    pre_lines = lines(pre, False)
    post_lines = lines(post, True)
    ramp_at = int(np.searchsorted(post.t_us.values, STAGE_DAYS[1] * DAY_US))
    ramp_line = json.dumps(dict(event="ab_config_changed", challenger_percent=RAMP[1], previous=RAMP[0],
                                timestamp=iso(START + timedelta(days=STAGE_DAYS[1])), level="info"))
    with open(f"{OUT}/experiment.jsonl", "w") as f:
        f.write("\n".join(pre_lines + post_lines[:ramp_at] + [ramp_line] + post_lines[ramp_at:]) + "\n")
    with open(f"{OUT}/post.jsonl", "w") as f:
        f.write("\n".join(post_lines) + "\n")
    with open(f"{OUT}/pre_period.jsonl", "w") as f:
        f.write("\n".join(pre_lines) + "\n")


# ---------------------------------------------------------------- statistics helpers


def seq_ci_p(estimate, variance, n, alpha=ALPHA, rho=RHO, test_value=0.0):
    """gbstats' SequentialTwoSidedTTest formulas for a given estimate, variance and N."""
    s2 = variance * n
    width = np.sqrt(s2) * np.sqrt(
        (2 * (n * np.power(rho, 2) + 1)) * np.log(np.sqrt(n * np.power(rho, 2) + 1) / alpha)
        / (np.power(n * rho, 2)))
    st2 = np.power(estimate - test_value, 2) * n / variance
    tr2p1 = n * np.power(rho, 2) + 1
    evalue = np.exp(np.power(rho, 2) * st2 / (2 * tr2p1)) / np.sqrt(tr2p1)
    return [float(estimate - width), float(estimate + width)], float(min(1 / evalue, 1)), float(width)


def close(a, b, tol=1e-12):
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


SEQ_CHECKS = {"count": 0, "max_abs_diff": 0.0}


def gb_tests(a, b):
    """Fixed and sequential gbstats tests, absolute and relative."""
    res = {}
    n = a.n + b.n
    for kind in ("absolute", "relative"):
        t = TwoSidedTTest(a, b, FrequentistConfig(alpha=ALPHA, difference_type=kind))
        s = SequentialTwoSidedTTest(a, b, SequentialConfig(alpha=ALPHA, difference_type=kind,
                                                            sequential_tuning_parameter=SEQUENTIAL_TUNING))
        fixed = dict(estimate=float(t.point_estimate), variance=float(t.variance),
                     ci=[float(x) for x in t.confidence_interval], p_value=float(t.p_value), dof=float(t.dof))
        seq = dict(estimate=float(s.point_estimate), ci=[float(x) for x in s.confidence_interval],
                   p_value=float(s.p_value), n=int(n))
        # our combined-stage helper must reproduce gbstats on a single stage
        assert close(float(s.rho), RHO)
        ci, p, _ = seq_ci_p(fixed["estimate"], fixed["variance"], n)
        for x, y in zip(ci + [p], seq["ci"] + [seq["p_value"]]):
            assert close(x, y), (x, y)
            SEQ_CHECKS["max_abs_diff"] = max(SEQ_CHECKS["max_abs_diff"], abs(x - y))
        SEQ_CHECKS["count"] += 1
        res[kind] = dict(fixed=fixed, sequential=seq)
    return res


def combine(per_stage, ns):
    """per_stage: list of {"absolute": {"fixed": {estimate, variance}}, ...}; ns: N per stage."""
    out = {}
    n = int(sum(ns))
    for kind in ("absolute", "relative"):
        d = np.array([x[kind]["fixed"]["estimate"] for x in per_stage])
        v = np.array([x[kind]["fixed"]["variance"] for x in per_stage])
        w = 1 / v
        est = float((w * d).sum() / w.sum())
        var = float(1 / w.sum())
        se = float(np.sqrt(var))
        ci, p, _ = seq_ci_p(est, var, n)
        out[kind] = dict(estimate=est, variance=var, n=n, weights=[float(x) for x in w],
                         fixed=dict(ci=[est - Z2 * se, est + Z2 * se],
                                    p_value=float(2 * stats.norm.sf(abs(est / se)))),
                         sequential=dict(ci=ci, p_value=p))
    return out


def sample_mean(x):
    x = np.asarray(x, float)
    return SampleMeanStatistic(n=int(len(x)), sum=float(x.sum()), sum_squares=float((x * x).sum()))


def ratio_stat(m, d):
    m, d = np.asarray(m, float), np.asarray(d, float)
    n = int(len(m))
    return RatioStatistic(n=n, m_statistic=sample_mean(m), d_statistic=sample_mean(d),
                          m_d_sum_of_products=float((m * d).sum()))


# ---------------------------------------------------------------- analyses


def units_frame(post, pre):
    """One row per unit (stage, group, user): row count and per-metric sums, with the user's
    pre-period totals (0 without pre-period rows)."""
    u = post.groupby(["stage", "group", "user"], sort=True).agg(
        d=("converted", "size"), converted=("converted", "sum"), revenue=("revenue", "sum")).reset_index()
    p = pre.groupby("user").agg(pre_rows=("converted", "size"), pre_converted=("converted", "sum"),
                                pre_revenue=("revenue", "sum")).reset_index()
    u = u.merge(p, on="user", how="left")
    u[["pre_rows", "pre_converted", "pre_revenue"]] = u[["pre_rows", "pre_converted", "pre_revenue"]].fillna(0)
    return u


def ratio_analysis(units):
    out = {}
    for metric in METRICS:
        stages, ns = [], []
        for s in range(len(STAGE_DAYS)):
            ua = units[(units.stage == s) & (units.group == "A")]
            ub = units[(units.stage == s) & (units.group == "B")]
            sa = ratio_stat(ua[metric].values, ua.d.values)
            sb = ratio_stat(ub[metric].values, ub.d.values)
            res = dict(units_control=int(sa.n), units_treatment=int(sb.n),
                       control_value=float(sa.mean), treatment_value=float(sb.mean),
                       inputs={g: dict(n=int(st.n), m_sum=st.m_statistic.sum, m_sum_squares=st.m_statistic.sum_squares,
                                       d_sum=st.d_statistic.sum, d_sum_squares=st.d_statistic.sum_squares,
                                       m_d_sum_of_products=st.m_d_sum_of_products, variance=float(st.variance))
                               for g, st in (("A", sa), ("B", sb))})
            res.update(gb_tests(sa, sb))
            stages.append(res)
            ns.append(sa.n + sb.n)
        out[metric] = dict(stages=stages, combined=combine(stages, ns))
    return out


def cuped_analysis(units):
    out = {}
    for metric in METRICS:
        stages, ns = [], []
        for s in range(len(STAGE_DAYS)):
            stats_ = {}
            for g in "AB":
                ug = units[(units.stage == s) & (units.group == g)]
                post_v = ug[metric].values.astype(float)
                pre_v = ug["pre_" + metric].values.astype(float)
                stats_[g] = dict(post=sample_mean(post_v), pre=sample_mean(pre_v),
                                 sp=float((post_v * pre_v).sum()), with_cov=int((ug.pre_rows > 0).sum()))

            def ra(g, theta):
                x = stats_[g]
                return RegressionAdjustedStatistic(n=x["post"].n, post_statistic=x["post"], pre_statistic=x["pre"],
                                                   post_pre_sum_of_products=x["sp"], theta=theta)

            theta = float(compute_theta(ra("A", 0.0), ra("B", 0.0)))
            assert theta != 0.0
            sa, sb = ra("A", theta), ra("B", theta)
            adjusted = gb_tests(sa, sb)
            assert sa.theta == theta and sb.theta == theta  # gbstats recomputed the same theta
            unadjusted = gb_tests(stats_["A"]["post"], stats_["B"]["post"])
            res = dict(
                theta=theta,
                variance_reduction=1 - adjusted["absolute"]["fixed"]["variance"] / unadjusted["absolute"]["fixed"]["variance"],
                users_with_covariate=stats_["A"]["with_cov"] + stats_["B"]["with_cov"],
                users_with_covariate_by_group={g: stats_[g]["with_cov"] for g in "AB"},
                units_control=int(sa.n), units_treatment=int(sb.n),
                control_value=float(sa.mean), treatment_value=float(sb.mean),
                control_post_mean=float(sa.post_statistic.mean), treatment_post_mean=float(sb.post_statistic.mean),
                control_pre_mean=float(sa.pre_statistic.mean), treatment_pre_mean=float(sb.pre_statistic.mean),
                inputs={g: dict(n=int(stats_[g]["post"].n), post_sum=stats_[g]["post"].sum,
                                post_sum_squares=stats_[g]["post"].sum_squares, pre_sum=stats_[g]["pre"].sum,
                                pre_sum_squares=stats_[g]["pre"].sum_squares,
                                post_pre_sum_of_products=stats_[g]["sp"],
                                adjusted_variance=float((sa if g == "A" else sb).variance))
                        for g in "AB"},
                adjusted=adjusted, unadjusted=unadjusted)
            stages.append(res)
            ns.append(sa.n + sb.n)
        out[metric] = dict(
            stages=stages,
            combined=dict(adjusted=combine([x["adjusted"] for x in stages], ns),
                          unadjusted=combine([x["unadjusted"] for x in stages], ns)))
    return out


def quantile_stat(part, nu):
    """QuantileClusteredStatistic of latency_ms over the rows `part` (one stage and group);
    users are the clusters."""
    x = part.latency_ms.values.astype(float)
    n = int(len(x))
    qhat = float(np.quantile(x, nu))
    half = Z2 * np.sqrt(nu * (1 - nu) / n)
    lo = float(np.quantile(x, float(np.clip(nu - half, 0, 1))))
    hi = float(np.quantile(x, float(np.clip(nu + half, 0, 1))))
    c = pd.DataFrame(dict(user=part.user.values, below=(x <= qhat).astype(float))).groupby("user").agg(
        s=("below", "sum"), n=("below", "size"))
    s_u, n_u = c.s.values.astype(float), c.n.values.astype(float)
    return QuantileClusteredStatistic(
        n=n, n_star=n, nu=nu, quantile_hat=qhat, quantile_lower=lo, quantile_upper=hi,
        main_sum=float(s_u.sum()), main_sum_squares=float((s_u * s_u).sum()),
        denominator_sum=float(n_u.sum()), denominator_sum_squares=float((n_u * n_u).sum()),
        main_denominator_sum_product=float((s_u * n_u).sum()), n_clusters=int(len(c)))


def quantile_analysis(post):
    out = {}
    for nu in NUS:
        stages, testable_stages = [], []
        for s in range(len(STAGE_DAYS)):
            st = {g: quantile_stat(post[(post.stage == s) & (post.group == g)], nu) for g in "AB"}
            testable = not (st["A"]._has_zero_variance or st["B"]._has_zero_variance)
            res = dict(testable=bool(testable), n_control=int(st["A"].n), n_treatment=int(st["B"].n),
                       control_value=st["A"].quantile_hat, treatment_value=st["B"].quantile_hat,
                       inputs={g: dict(n=int(x.n), n_star=int(x.n_star), nu=nu, quantile_hat=x.quantile_hat,
                                       quantile_lower=x.quantile_lower, quantile_upper=x.quantile_upper,
                                       n_clusters=int(x.n_clusters), main_sum=x.main_sum,
                                       main_sum_squares=x.main_sum_squares, denominator_sum=x.denominator_sum,
                                       denominator_sum_squares=x.denominator_sum_squares,
                                       main_denominator_sum_product=x.main_denominator_sum_product,
                                       variance=float(x.variance))
                               for g, x in st.items()})
            if testable:
                res.update(gb_tests(st["A"], st["B"]))
                testable_stages.append(s)
            stages.append(res)
        comb = combine([stages[s] for s in testable_stages],
                       [stages[s]["n_control"] + stages[s]["n_treatment"] for s in testable_stages]) \
            if testable_stages else None
        if comb is not None:
            comb["stages_used"] = testable_stages
        out[f"p{round(nu * 100)}"] = dict(nu=nu, stages=stages, combined=comb)
    return {"latency_ms": out}


def guardrail(est, var, n, margin, h):
    """One-sided non-inferiority of harm h*est against `margin` (h = +1: a decrease is
    desired, harm is an increase; h = -1: an increase is desired)."""
    se = float(np.sqrt(var))
    shifted = h * est - margin
    fixed = dict(bound=est + h * Z1 * se, favourable_bound=est - h * Z1 * se,
                 z=shifted / se, p_value=float(stats.norm.cdf(shifted / se)))
    _, p2, width = seq_ci_p(shifted, var, n, alpha=2 * ALPHA)  # p does not depend on alpha (rho fixed)
    p_seq = p2 / 2 if shifted < 0 else 1 - p2 / 2
    seq = dict(bound=est + h * width, favourable_bound=est - h * width, width=width, rho=RHO, p_value=float(p_seq))
    return fixed, seq


def guardrails(ratio, quant):
    specs = [
        ("latency_p99", "quantile latency_ms p99, combined relative", quant["latency_ms"]["p99"]["combined"]["relative"],
         0.10, True, "decrease", 1),
        ("revenue", "ratio revenue, combined absolute", ratio["revenue"]["combined"]["absolute"], 0.5, False, "increase", -1),
        ("converted", "ratio converted, combined relative", ratio["converted"]["combined"]["relative"], 0.02, True,
         "increase", -1),
    ]
    out = {}
    for name, source, c, margin, relative, direction, h in specs:
        fixed, seq = guardrail(c["estimate"], c["variance"], c["n"], margin, h)
        out[name] = dict(source=source, margin=margin, relative=relative, direction=direction, h=h,
                         estimate=c["estimate"], variance=c["variance"], n=c["n"], fixed=fixed, sequential=seq)
    for kind in ("fixed", "sequential"):
        names = list(out)
        adj = multipletests([out[k][kind]["p_value"] for k in names], alpha=ALPHA, method="holm")[1]
        for k, pa in zip(names, adj):
            g = out[k]
            g[kind]["p_value_adjusted"] = float(pa)
            if pa < ALPHA:
                status = "pass"
            elif g["h"] * g[kind]["favourable_bound"] > g["margin"]:
                status = "fail"
            else:
                status = "undecided"
            g[kind]["status"] = status
    return out


def request_level(post):
    """Stage 1, requests as observations: one-sided non-inferiority p-values by statsmodels
    next to the textbook formulas."""
    part = post[post.stage == 1]
    a = part[part.group == "A"]
    b = part[part.group == "B"]
    # revenue: increase desired (h = -1), absolute margin 0.5: H1 mean(B) - mean(A) > -0.5
    ra, rb = a.revenue.values.astype(float), b.revenue.values.astype(float)
    margin, h = 0.5, -1
    tstat, p_sm, df_sm = ttest_ind(rb, ra, alternative="larger", usevar="unequal", value=-margin)
    va, vb = ra.var(ddof=1), rb.var(ddof=1)
    na, nb = len(ra), len(rb)
    est = float(rb.mean() - ra.mean())
    se = float(np.sqrt(va / na + vb / nb))
    df = float((va / na + vb / nb) ** 2 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1)))
    p_formula = float(stats.t.cdf((h * est - margin) / se, df))
    assert close(p_formula, float(p_sm), 1e-9)
    revenue = dict(stage=1, metric="revenue", margin=margin, relative=False, direction="increase", h=h,
                   n_control=na, n_treatment=nb, mean_control=float(ra.mean()), mean_treatment=float(rb.mean()),
                   var_control=float(va), var_treatment=float(vb), estimate=est, se=se, welch_df=df,
                   statsmodels=dict(call='ttest_ind(B, A, alternative="larger", usevar="unequal", value=-0.5)',
                                    t=float(tstat), p_value=float(p_sm), df=float(df_sm)),
                   p_value_formula=p_formula)
    # converted: increase desired, absolute margin 0.002 on the difference of proportions
    ca, cb = int(a.converted.sum()), int(b.converted.sum())
    margin = 0.002
    res = test_proportions_2indep(cb, nb, ca, na, value=-margin, method="wald", compare="diff", alternative="larger")
    pa_, pb_ = ca / na, cb / nb
    est = pb_ - pa_
    se = float(np.sqrt(pa_ * (1 - pa_) / na + pb_ * (1 - pb_) / nb))
    p_formula = float(stats.norm.cdf((h * est - margin) / se))
    assert close(p_formula, float(res.pvalue), 1e-9)
    converted = dict(stage=1, metric="converted", margin=margin, relative=False, direction="increase", h=h,
                     count_control=ca, n_control=na, count_treatment=cb, n_treatment=nb,
                     rate_control=pa_, rate_treatment=pb_, estimate=est, se_unpooled=se,
                     statsmodels=dict(call='test_proportions_2indep(countB, nB, countA, nA, value=-0.002, '
                                           'method="wald", compare="diff", alternative="larger")',
                                      statistic=float(res.statistic), p_value=float(res.pvalue)),
                     p_value_formula=p_formula)
    return dict(revenue=revenue, converted=converted)


def counts(pre, post):
    st = []
    for s in range(len(STAGE_DAYS)):
        part = post[post.stage == s]
        st.append(dict(index=s,
                       rows={g: int((part.group == g).sum()) for g in "AB"},
                       users={g: int(part[part.group == g].user.nunique()) for g in "AB"}))
    groups = post.groupby("user").group.nunique()
    return dict(pre_period=dict(rows=int(len(pre)), users=int(pre.user.nunique())),
                experiment=dict(rows=int(len(post)), users=int(post.user.nunique()),
                                users_in_both_groups=int((groups == 2).sum()),
                                users_with_pre_period=int(groups.index.isin(pre.user.unique()).sum())),
                stages=st,
                whole_second_timestamps=dict(pre_period=int(pre.whole.sum()), experiment=int(post.whole.sum())))


def main():
    pre, post = simulate()
    write_files(pre, post)
    units = units_frame(post, pre)
    ratio = ratio_analysis(units)
    cuped = cuped_analysis(units)
    quant = quantile_analysis(post)
    ref = dict(
        meta=dict(start=iso(START), pre_period_start=iso(START - timedelta(days=PRE_DAYS)),
                  end=iso(START + timedelta(days=END_DAYS)),
                  stage_starts=[iso(START + timedelta(days=d)) for d in STAGE_DAYS],
                  alpha=ALPHA, tuning=SEQUENTIAL_TUNING, rho=RHO, ramp=RAMP, seed=SEED,
                  rows_expected=dict(experiment=EXP_ROWS, pre_period=PRE_ROWS, users=N_USERS),
                  z_two_sided=float(Z2), z_one_sided=float(Z1),
                  unit="(user, group, stage) over the experiment rows",
                  sequential_helper_checked=dict(SEQ_CHECKS)),
        counts=counts(pre, post),
        ratio=ratio,
        cuped=cuped,
        quantile=quant,
        guardrails=guardrails(ratio, quant),
        request_level=request_level(post),
    )
    with open(f"{OUT}/reference.json", "w") as f:
        json.dump(ref, f, indent=1)


if __name__ == "__main__":
    main()
