"""Rollout fixtures and their reference values, computed with GrowthBook's gbstats 0.8.

Run from the repository root in a throwaway venv:
    python3 -m venv /tmp/gb && /tmp/gb/bin/pip install gbstats==0.8.0
    /tmp/gb/bin/python tests/reference/make_rollout_reference.py

Writes tests/fixtures/rollout/:
  ramp_app.log         a Flask app log of a hash ramp 1 -> 5 -> 20 -> 50 % with heavy users,
                       a rising base rate, banners, tracebacks and `model_error|user=...`
                       lines that carry no group (the challenger runs out of memory)
  ramp_structlog.jsonl the same kind of service as structlog JSON lines (timestamps without
                       fractions) with `ab_config_changed` and `model_loaded` events
  reference.json       per-stage and combined unit-level tests (gbstats RatioStatistic in
                       TwoSidedTTest), Cochran's Q, per-stage SRM (scipy chisquare), users
                       moved at the ramp and leaked, errors per group, for ramp_app.log with
                       the stages starting at the known switch times.
tests/rollout_reference.rs compares Verdict with these at 1e-9 (p-values 1e-6).
"""
import json
import zlib
from datetime import datetime, timedelta, timezone

import numpy as np
from scipy import stats
from gbstats.frequentist.tests import FrequentistConfig, TwoSidedTTest
from gbstats.models.statistics import RatioStatistic, SampleMeanStatistic

ALPHA = 0.05
OUT = "tests/fixtures/rollout"
T0 = datetime(2025, 12, 13, 13, 0, 0, tzinfo=timezone.utc)
STAGE_MIN = [0, 30, 60, 90]  # minutes from T0 at which each stage starts
RAMP = [1, 5, 20, 50]
END_MIN = 120


def bucket(user):
    return zlib.crc32(user.encode()) % 100


def simulate(seed, n_users=1600):
    rng = np.random.default_rng(seed)
    users = [f"u{i:05d}" for i in range(n_users)]
    # heavy users: lognormal activity, a few send hundreds of requests
    rate = rng.lognormal(0.0, 1.2, n_users)
    rate = rate / rate.sum() * 9000
    rows = []
    used_ms = set()
    for u, r in zip(users, rate):
        k = rng.poisson(r)
        for _ in range(k):
            ms = int(rng.integers(0, END_MIN * 60 * 1000))
            while ms in used_ms:
                ms += 1
            used_ms.add(ms)
            rows.append((ms, u))
    rows.sort()
    out = []
    for ms, u in rows:
        minute = ms / 60000
        stage = max(i for i, s in enumerate(STAGE_MIN) if minute >= s)
        group = "B" if bucket(u) < RAMP[stage] else "A"
        # base rate rises over time; no treatment effect on conversion (A/A on it)
        p = 0.08 + 0.06 * minute / END_MIN
        oom = group == "B" and rng.random() < 0.03
        timeout = rng.random() < 0.004
        out.append(dict(
            ms=ms, user=u, group=group, stage=stage,
            error=("model_oom" if oom else "timeout" if timeout else None),
            converted=int(rng.random() < p),
            score=float(np.round(rng.beta(2, 5) + (0.02 if group == "B" else 0.0), 4)),
            latency_ms=float(np.round(rng.gamma(4.0, 10.0) + (6.0 if group == "B" else 0.0), 3)),
        ))
    return out


def ts_app(ms):
    t = T0 + timedelta(milliseconds=ms)
    return t.strftime("%Y-%m-%d %H:%M:%S") + f",{ms % 1000:03d}"


def write_app_log(rows, path):
    with open(path, "w") as f:
        f.write(" * Serving Flask app 'app'\n * Running on http://127.0.0.1:5000\n")
        for r in rows:
            model = "ranker_v2" if r["group"] == "B" else "ranker_v1"
            if r["error"]:
                f.write(f"[{ts_app(r['ms'])}] ERROR in app: model_error|user={r['user']}|model={model}|error={r['error']}\n")
                f.write("Traceback (most recent call last):\n  File \"app.py\", line 88, in predict\n")
                f.write("RuntimeError: CUDA out of memory\n" if r["error"] == "model_oom" else "TimeoutError: inference took too long\n")
            else:
                f.write(f"[{ts_app(r['ms'])}] INFO in app: ab_event|user={r['user']}|group={r['group']}|model={model}"
                        f"|score={r['score']}|latency_ms={r['latency_ms']}|converted={r['converted']}\n")
                f.write(f"127.0.0.1 - - [{ts_app(r['ms'])}] \"POST /predict HTTP/1.1\" 200 -\n")


def write_structlog(rows, path):
    with open(path, "w") as f:
        def iso(ms):
            return (T0 + timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%SZ")
        f.write(json.dumps(dict(event="model_loaded", slot="champion", source="s3", load_ms=812.4, timestamp=iso(0), level="info")) + "\n")
        f.write(json.dumps(dict(event="model_loaded", slot="challenger", source="s3", load_ms=1040.2, timestamp=iso(0), level="info")) + "\n")
        stage = 0
        f.write(json.dumps(dict(event="ab_config_changed", challenger_percent=RAMP[0], previous=0, timestamp=iso(0), level="info")) + "\n")
        for r in rows:
            if r["stage"] != stage:
                stage = r["stage"]
                f.write(json.dumps(dict(event="ab_config_changed", challenger_percent=RAMP[stage], previous=RAMP[stage - 1],
                                        timestamp=iso(STAGE_MIN[stage] * 60000), level="info")) + "\n")
            model = "ranker_v2" if r["group"] == "B" else "ranker_v1"
            if r["error"]:
                f.write(json.dumps(dict(event="model_error", user_id=r["user"], model=model, exception=r["error"],
                                        timestamp=iso(r["ms"]), level="error")) + "\n")
            else:
                f.write(json.dumps(dict(event="prediction", user_id=r["user"], group=r["group"], model=model, score=r["score"],
                                        latency_ms=r["latency_ms"], converted=r["converted"], timestamp=iso(r["ms"]),
                                        level="info")) + "\n")


def attribute(rows):
    """Error lines carry no group: the same user's nearest ab_event in time within the error's
    stage (ties to the earlier); none in that stage: not attributed."""
    events = {}
    for r in rows:
        if not r["error"]:
            events.setdefault((r["user"], r["stage"]), []).append((r["ms"], r["group"]))
    out, unattributed = [], 0
    for r in rows:
        if not r["error"]:
            out.append(dict(r, attributed=r["group"]))
            continue
        ev = events.get((r["user"], r["stage"]))
        if not ev:
            unattributed += 1
            continue
        best = min(ev, key=lambda e: (abs(e[0] - r["ms"]), e[0]))
        out.append(dict(r, attributed=best[1]))
    return out, unattributed


def ratio_stat(m, d):
    m, d = np.asarray(m, float), np.asarray(d, float)
    n = len(m)
    return RatioStatistic(
        n=n,
        m_statistic=SampleMeanStatistic(n=n, sum=float(m.sum()), sum_squares=float((m * m).sum())),
        d_statistic=SampleMeanStatistic(n=n, sum=float(d.sum()), sum_squares=float((d * d).sum())),
        m_d_sum_of_products=float((m * d).sum()),
    )


def gb_test(a, b):
    res = {}
    for kind in ("absolute", "relative"):
        t = TwoSidedTTest(a, b, FrequentistConfig(alpha=ALPHA, difference_type=kind))
        res[kind] = dict(estimate=t.point_estimate, variance=t.variance, ci=list(t.confidence_interval),
                         p_value=t.p_value, dof=t.dof, t=t.critical_value)
    return res


METRICS = ["converted", "score", "latency_ms", "error_rate"]


def per_user(rows, metric):
    """(group, user) -> (m, d) over the rows that have the metric."""
    acc = {}
    for r in rows:
        if metric == "error_rate":
            v = 1.0 if r["error"] else 0.0
        elif r["error"]:
            continue
        else:
            v = float(r[metric])
        key = (r["attributed"], r["user"])
        m, d = acc.get(key, (0.0, 0))
        acc[key] = (m + v, d + 1)
    return acc


def main():
    rows = simulate(7)
    write_app_log(rows, f"{OUT}/ramp_app.log")
    write_structlog(rows, f"{OUT}/ramp_structlog.jsonl")
    att, unattributed = attribute(rows)
    ref = dict(stage_starts_ms=[s * 60000 for s in STAGE_MIN], t0=T0.strftime("%Y-%m-%dT%H:%M:%SZ"),
               ramp=RAMP, errors_unattributed=unattributed, stages=[], combined={})
    # leakage within a stage and moves between stages
    groups_by_user_stage = {}
    for r in att:
        groups_by_user_stage.setdefault(r["user"], {}).setdefault(r["stage"], set()).add(r["attributed"])
    leaked = sum(1 for st in groups_by_user_stage.values() if any(len(g) > 1 for g in st.values()))
    moved = sum(1 for st in groups_by_user_stage.values()
                if not any(len(g) > 1 for g in st.values()) and len(set().union(*st.values())) > 1)
    ref.update(users=len(groups_by_user_stage), users_in_multiple_groups=leaked, users_moved_at_ramp=moved)
    ref["errors"] = {g: sum(1 for r in att if r["error"] and r["attributed"] == g) for g in "AB"}
    ref["errors_truth"] = {g: sum(1 for r in rows if r["error"] and r["group"] == g) for g in "AB"}
    per_metric_stage = {m: [] for m in METRICS}
    for s in range(len(STAGE_MIN)):
        part = [r for r in att if r["stage"] == s]
        units = {g: len({r["user"] for r in part if r["attributed"] == g}) for g in "AB"}
        exp = [1 - RAMP[s] / 100, RAMP[s] / 100]
        chi2, p = stats.chisquare([units["A"], units["B"]], np.array(exp) * (units["A"] + units["B"]))
        stage = dict(index=s, requests=len(part), units=units, srm=dict(chi2=chi2, p_value=p), tests={})
        for metric in METRICS:
            acc = per_user(part, metric)
            a = [v for (g, _), v in acc.items() if g == "A"]
            b = [v for (g, _), v in acc.items() if g == "B"]
            sa = ratio_stat([x[0] for x in a], [x[1] for x in a])
            sb = ratio_stat([x[0] for x in b], [x[1] for x in b])
            res = gb_test(sa, sb)
            res.update(control_value=sa.mean, treatment_value=sb.mean, units_control=len(a), units_treatment=len(b))
            stage["tests"][metric] = res
            per_metric_stage[metric].append(res)
        ref["stages"].append(stage)
    z = stats.norm.ppf(1 - ALPHA / 2)
    for metric, items in per_metric_stage.items():
        out = {}
        for kind in ("absolute", "relative"):
            d = np.array([x[kind]["estimate"] for x in items])
            v = np.array([x[kind]["variance"] for x in items])
            w = 1 / v
            est = float((w * d).sum() / w.sum())
            var = float(1 / w.sum())
            se = np.sqrt(var)
            q = float((w * (d - est) ** 2).sum())
            df = len(d) - 1
            out[kind] = dict(estimate=est, variance=var, ci=[est - z * se, est + z * se],
                             z=est / se, p_value=float(2 * stats.norm.sf(abs(est / se))),
                             q=q, q_df=df, q_p_value=float(stats.chi2.sf(q, df)), i2=max(0.0, (q - df) / q) if q > 0 else 0.0)
        ref["combined"][metric] = out
    with open(f"{OUT}/reference.json", "w") as f:
        json.dump(ref, f, indent=1)


if __name__ == "__main__":
    main()
