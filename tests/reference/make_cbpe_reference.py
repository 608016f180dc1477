"""Reference values for Verdict's performance estimation before labels arrive (issue 16).

Writes a structlog log of a fraud-scoring service, tests/fixtures/drift/cbpe_service.jsonl,
and what NannyML 0.13's CBPE (and scipy, for the input features' drift statistics) say about
it, tests/fixtures/drift/cbpe_expected.json. Run it in a throwaway venv:

    python3 -m venv /tmp/nml && /tmp/nml/bin/pip install nannyml==0.13.1 statsmodels
    /tmp/nml/bin/python tests/reference/make_cbpe_reference.py

The log: six days of predictions (nested `features` with nine inputs, `score`, `latency_ms`),
the service's own events in between (model loads, A/B config changes, health checks,
`model_error` lines), structlog timestamps without fractions. Labels arrive for the first
three days only. From day four the inputs drift so that the model's scores bunch up: its
real AUC falls, and CBPE should see that without labels. The model is under-confident
(its scores are a shrunk logit), so NannyML's `needs_calibration` says isotonic
calibration helps.

Conventions (the issue's): CBPE fitted on the labelled rows before the split
(2026-03-04T00:00:00Z); predicted class = score >= 0.5; periods of 6 hours aligned to the
epoch (`--every 6h`), each estimated on its own (one chunk), band = estimate +- 3 sampling
errors clipped to [0, 1]; realized from the period's labelled rows.
"""

import json
import os
import pathlib

import numpy as np
import pandas as pd
os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"
from nannyml.calibration import IsotonicCalibrator, needs_calibration
from nannyml.chunk import CountBasedChunker
from nannyml.performance_estimation.confidence_based import CBPE
from scipy import stats

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE.parent / "fixtures" / "drift"
START = pd.Timestamp("2026-03-01T00:00:00Z")
SPLIT = pd.Timestamp("2026-03-04T00:00:00Z")
PERIOD = pd.Timedelta(hours=6)
METRICS = ["roc_auc", "f1", "precision", "recall", "accuracy"]
FEATURES = [
    "amount",
    "age",
    "tenure_days",
    "tx_24h",
    "velocity",
    "device_age_days",
    "hour",
    "country",
    "channel",
]


def simulate(rng):
    rows = []
    per_day = 1500
    for day in range(6):
        drift = day >= 3
        n = per_day
        secs = np.sort(rng.integers(0, 86400, n))
        amount = rng.lognormal(3.5 + (0.4 if drift else 0.0), 0.8, n)
        age = rng.normal(41, 12, n).clip(18, 90).round()
        tenure = rng.exponential(400, n).round()
        tx = rng.poisson(3 if not drift else 2, n)
        # the informative input loses its spread once the inputs drift
        velocity = rng.normal(0, 1.0 if not drift else 0.45, n)
        device = rng.exponential(200, n).round()
        hour = (secs // 3600).astype(int)
        country = rng.choice(["NL", "DE", "FR", "US"], n, p=[0.4, 0.3, 0.2, 0.1])
        channel = rng.choice(["web", "app"], n, p=[0.6, 0.4] if not drift else [0.45, 0.55])
        logit = (
            -0.4
            + 1.6 * velocity
            + 0.35 * (np.log(amount) - 3.5)
            - 0.002 * (tenure - 400) / 4
            + 0.15 * (tx - 3)
            + np.where(country == "US", 0.5, 0.0)
        )
        p_true = 1 / (1 + np.exp(-logit))
        label = (rng.random(n) < p_true).astype(int)
        score = 1 / (1 + np.exp(-0.55 * logit))  # under-confident
        latency = rng.gamma(4, 6, n) + 8
        for i in range(n):
            rows.append(
                dict(
                    ts=START + pd.Timedelta(days=day, seconds=int(secs[i])),
                    amount=round(float(amount[i]), 2),
                    age=float(age[i]),
                    tenure_days=float(tenure[i]),
                    tx_24h=int(tx[i]),
                    velocity=round(float(velocity[i]), 6),
                    device_age_days=float(device[i]),
                    hour=int(hour[i]),
                    country=str(country[i]),
                    channel=str(channel[i]),
                    score=round(float(score[i]), 6),
                    label=int(label[i]),
                    latency_ms=round(float(latency[i]), 3),
                    user=f"u{rng.integers(0, 4000)}",
                )
            )
    return pd.DataFrame(rows)


def ts_text(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_log(df, rng, path):
    with open(path, "w") as f:
        f.write(json.dumps({"event": "service_started", "timestamp": ts_text(START), "level": "info", "port": 8080}) + "\n")
        f.write(json.dumps({"event": "model_loaded", "timestamp": ts_text(START), "level": "info", "slot": "champion", "source": "s3://models/fraud/3", "load_ms": 812.4}) + "\n")
        for i, r in enumerate(df.itertuples(index=False)):
            if i % 500 == 250:
                f.write(json.dumps({"event": "ab_config_changed", "timestamp": ts_text(r.ts), "level": "info", "challenger_percent": 0, "previous": 0}) + "\n")
                f.write(json.dumps({"event": "health_check", "timestamp": ts_text(r.ts), "level": "debug", "status": "ok", "uptime_s": i}) + "\n")
            if i % 700 == 350:
                f.write(json.dumps({"event": "model_error", "timestamp": ts_text(r.ts), "level": "error", "user_id": r.user, "exception": "ValueError: Input contains NaN", "fallback_reason": "nan_input"}) + "\n")
            rec = {
                "event": "prediction",
                "timestamp": ts_text(r.ts),
                "level": "info",
                "request_id": f"req-{i:06d}",
                "user_id": r.user,
                "model": "fraud-gbt",
                "model_version": "3",
                "features": {k: getattr(r, k) for k in FEATURES},
                "score": r.score,
                "latency_ms": r.latency_ms,
            }
            if r.ts < SPLIT:
                rec["label"] = r.label  # labels have arrived for the older part only
            f.write(json.dumps(rec) + "\n")


def main():
    rng = np.random.default_rng(20261203)
    df = simulate(rng)
    OUT.mkdir(parents=True, exist_ok=True)
    write_log(df, rng, OUT / "cbpe_service.jsonl")

    df["y_pred"] = (df["score"] >= 0.5).astype(int)
    df["period"] = (df["ts"] - pd.Timestamp("1970-01-01T00:00:00Z")) // PERIOD
    ref = df[df["ts"] < SPLIT].copy()
    cur = df[df["ts"] >= SPLIT].copy()

    calibrate = bool(needs_calibration(ref["label"].to_numpy(), ref["score"].to_numpy(), IsotonicCalibrator()))
    cbpe = CBPE(
        y_pred_proba="score",
        y_pred="y_pred",
        y_true="label",
        problem_type="classification_binary",
        metrics=METRICS,
        chunker=CountBasedChunker(chunk_number=1),
    )
    cbpe.fit(ref[["score", "y_pred", "label"]].reset_index(drop=True))
    assert cbpe.needs_calibration == calibrate

    periods = []
    for key, chunk in df.groupby("period", sort=True):
        data = chunk[["score", "y_pred"]].reset_index(drop=True)
        res = cbpe.estimate(data).filter(period="analysis").to_df()
        labelled = chunk[chunk["ts"] < SPLIT]
        start = pd.Timestamp("1970-01-01T00:00:00Z") + key * PERIOD
        for m in METRICS:
            est = float(res[(m, "value")].iloc[0])
            lo = float(res[(m, "lower_confidence_boundary")].iloc[0])
            hi = float(res[(m, "upper_confidence_boundary")].iloc[0])
            se = float(res[(m, "sampling_error")].iloc[0])
            realized = None
            if len(labelled) > 0:
                from sklearn import metrics as skm

                y, p, s = labelled["label"], labelled["y_pred"], labelled["score"]
                realized = {
                    "roc_auc": lambda: skm.roc_auc_score(y, s),
                    "f1": lambda: skm.f1_score(y, p),
                    "precision": lambda: skm.precision_score(y, p),
                    "recall": lambda: skm.recall_score(y, p),
                    "accuracy": lambda: skm.accuracy_score(y, p),
                }[m]()
            periods.append(
                dict(
                    start=ts_text(start),
                    metric=m,
                    estimated=est,
                    sampling_error=se,
                    band_low=lo,
                    band_high=hi,
                    realized=None if realized is None else float(realized),
                    n=int(len(chunk)),
                )
            )

    # the reference's realized values and the estimates over the whole current side
    from sklearn import metrics as skm

    whole = cbpe.estimate(cur[["score", "y_pred"]].reset_index(drop=True)).filter(period="analysis").to_df()
    current_estimates = {m: float(whole[(m, "value")].iloc[0]) for m in METRICS}
    reference_realized = {
        "roc_auc": float(skm.roc_auc_score(ref["label"], ref["score"])),
        "f1": float(skm.f1_score(ref["label"], ref["y_pred"])),
    }
    # daily estimated AUC of the current side (the trigger's periods)
    cur_day = (cur["ts"] - pd.Timestamp("1970-01-01T00:00:00Z")) // pd.Timedelta(days=1)
    daily_auc = []
    for _, chunk in cur.groupby(cur_day, sort=True):
        r = cbpe.estimate(chunk[["score", "y_pred"]].reset_index(drop=True)).filter(period="analysis").to_df()
        daily_auc.append(float(r[("roc_auc", "value")].iloc[0]))

    # scipy's drift statistics for the numeric inputs (reference vs current)
    ks = {}
    for f in FEATURES[:7]:
        r = stats.ks_2samp(ref[f], cur[f], method="asymp")
        ks[f"features.{f}"] = {"statistic": float(r.statistic), "pvalue": float(r.pvalue)}

    expected = dict(
        split_at=ts_text(SPLIT),
        every="6h",
        granularity_s=int(PERIOD.total_seconds()),
        needs_calibration=calibrate,
        reference_rows=int(len(ref)),
        current_rows=int(len(cur)),
        reference_realized=reference_realized,
        current_estimates=current_estimates,
        daily_estimated_auc=daily_auc,
        ks=ks,
        performance=periods,
    )
    (OUT / "cbpe_expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    print("needs_calibration", calibrate, "periods", len(periods) // len(METRICS))
    print("reference", reference_realized, "current estimates", current_estimates, "daily AUC", daily_auc)


if __name__ == "__main__":
    main()
