"""Shadow-mode fixtures made by a real (small) service, and their reference values computed with
numpy, scipy, statsmodels and scikit-learn.

Run from the repository root in a throwaway venv (under a minute):
    python3 -m venv /tmp/sh && /tmp/sh/bin/pip install numpy scipy pandas statsmodels scikit-learn onnxruntime==1.31.1 && /tmp/sh/bin/python tests/reference/make_shadow_reference.py

The service is an http.server.ThreadingHTTPServer on 127.0.0.1 (port 0) in a background thread.
POST /predict takes {request_id, features{8 features}, segment}, runs the champion
(sample_data/models/champion.onnx, logistic regression, label + ZipMap list of {0: p0, 1: p1})
live and the challenger (sample_data/models/challenger/model.onnx, gradient-boosted trees, label +
probabilities tensor [N, 2]) in shadow with onnxruntime, and answers with the champion's result
(HTTP 500 with {"error"} when the champion fails). GET /health logs a health record. Both models
take one float32 input "X" of shape [N, 8] (holdout column order). Score = P(class 1) as the
float32 onnxruntime returns, widened to a double; pred = "positive" if the model's label is 1.

Reproducibility: the wall-clock latency of each model is measured with time.perf_counter but the
logged latency_ms is a synthetic lognormal drawn from numpy.random.default_rng([SEED, index])
(champion mean ~12 ms; challenger ~15 % slower with a heavier tail), rounded to 3 decimals. The
service's clock is synthetic too: the client sends the request time in an X-Synthetic-Time header
(2025-12-13T10:00:00Z plus 2-5 s per request, ms precision). Faults, drawn from the same per-index
rng: the shadow raises (its features are fed as float64: onnxruntime's own InvalidArgument) ~2 %,
the shadow never runs / is never written ~1 %, the champion raises (fed 7 columns: onnxruntime's
invalid-dimensions error) ~0.4 %, the champion's record is lost ~0.3 %. The client sends the 2,000
holdout rows one at a time (request_id "r" + 5-digit index) with a seeded ~1 % of health checks
between them, so the files are byte-identical on every run.

Writes tests/fixtures/shadow/:
  two_records.jsonl  two records per request (champion live, then challenger shadow, adjacent):
                     event prediction (score, pred, latency_ms) or model_error (error, level
                     error); a service_started banner and health records interleaved
  one_record.jsonl   one record per request from the champion's side, the challenger under
                     "shadow" (null when skipped; {model, version, error} when it failed), the
                     champion's error as a top-level "error", the 8 "inputs"; a request whose
                     champion record was lost is absent here (its shadow result is lost with it)
  labels.csv         request_id,label for a seeded 85 % of the requests (label from the holdout)
  reference.json     per layout ("two_records", "one_record"): pairing counts, per-model counts
                     and latency percentiles, agreement / flip matrix, score and latency
                     differences (paired t-test), error McNemar, labelled accuracy / AUC /
                     McNemar / DeLong (fast, Sun & Xu 2014, and slow O(m n), DeLong et al. 1988,
                     asserted equal to 1e-12), by segment, 15-minute buckets, the 10 most
                     disagreeing pairs; plus threshold, alpha, injected fault counts and
                     statsmodels' McNemar on explicit (b, c) cases covering both branches.
The reference values are computed from the files as written (parsed back), not from memory.
"""
import csv
import json
import math
import os
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import onnxruntime as ort
import pandas as pd
from scipy import stats
from sklearn.metrics import roc_auc_score
from statsmodels.stats.contingency_tables import mcnemar

SEED = 20251213
THRESHOLD = 0.5
ALPHA = 0.05
Z975 = 1.959963984540054
OUT = "tests/fixtures/shadow"
MODELS = "sample_data/models"
T0 = datetime(2025, 12, 13, 10, 0, 0, tzinfo=timezone.utc)
FEATURES = ["income_k", "age", "tenure_months", "num_accounts", "utilization", "late_payments",
            "inquiries_6m", "region_risk"]
INT_FEATURES = {"age", "tenure_months", "num_accounts", "late_payments", "inquiries_6m"}
CHAMPION = dict(model="champion_lr", version="1.0.0")
CHALLENGER = dict(model="challenger_gbt", version="2.0.0")
P_SHADOW_ERROR, P_SHADOW_SKIP = 0.02, 0.01
P_CHAMPION_ERROR, P_CHAMPION_LOST = 0.004, 0.003
P_HEALTH = 0.01
LABEL_FRACTION = 0.85
BUCKET_S = 15 * 60


def iso_ms(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def parse_ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


# ---------------------------------------------------------------------------------------------
# the service


class ShadowService:
    def __init__(self, two_path, one_path):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        self.champion = ort.InferenceSession(f"{MODELS}/champion.onnx", opts, providers=["CPUExecutionProvider"])
        self.challenger = ort.InferenceSession(f"{MODELS}/challenger/model.onnx", opts, providers=["CPUExecutionProvider"])
        self.lock = threading.Lock()
        self.two = open(two_path, "w")
        self.one = open(one_path, "w")
        self.faults = dict(shadow_error=0, shadow_skipped=0, champion_error=0, champion_record_lost=0)
        self.wall_ms = {"champion": [], "challenger": []}

    def close(self):
        self.two.close()
        self.one.close()

    def write(self, two_records, one_record):
        with self.lock:
            for r in two_records:
                self.two.write(json.dumps(r) + "\n")
            if one_record is not None:
                self.one.write(json.dumps(one_record) + "\n")

    def banner(self, ts):
        rec = dict(event="service_started", service="verdict-shadow-demo", live=CHAMPION, shadow=CHALLENGER,
                   onnxruntime=ort.__version__, timestamp=iso_ms(ts), level="info")
        self.write([rec], rec)

    def health(self, ts):
        rec = dict(event="health", status="ok", timestamp=iso_ms(ts))
        self.write([rec], rec)

    @staticmethod
    def run_champion(sess, x):
        label, probs = sess.run(None, {"X": x})
        return float(probs[0][1]), int(label[0])          # ZipMap: list of {0: p0, 1: p1} (float32 values)

    @staticmethod
    def run_challenger(sess, x):
        label, probs = sess.run(None, {"X": x})
        return float(probs[0, 1]), int(label[0])          # tensor [N, 2] float32

    def predict(self, body, ts):
        rid = body["request_id"]
        index = int(rid[1:])
        rng = np.random.default_rng([SEED, index])
        lat_champion = round(float(rng.lognormal(math.log(12.0) - 0.35 ** 2 / 2, 0.35)), 3)
        lat_challenger = round(float(rng.lognormal(math.log(13.8) - 0.55 ** 2 / 2, 0.55)), 3)
        u_shadow, u_champion = float(rng.random()), float(rng.random())
        shadow_error = u_shadow < P_SHADOW_ERROR
        shadow_skip = P_SHADOW_ERROR <= u_shadow < P_SHADOW_ERROR + P_SHADOW_SKIP
        champion_error = u_champion < P_CHAMPION_ERROR
        champion_lost = P_CHAMPION_ERROR <= u_champion < P_CHAMPION_ERROR + P_CHAMPION_LOST
        features = body["features"]
        segment = body["segment"]
        x = np.array([[features[f] for f in FEATURES]], dtype=np.float32)

        # live
        t = time.perf_counter()
        try:
            xin = x[:, :7] if champion_error else x         # injected: a column dropped upstream
            c_score, c_label = self.run_champion(self.champion, xin)
            c_err = None
        except Exception as e:                              # onnxruntime's InvalidArgument
            c_err = f"{type(e).__name__}: {e}"
        self.wall_ms["champion"].append((time.perf_counter() - t) * 1000)
        c_ts = ts + timedelta(milliseconds=1 if c_err else math.ceil(lat_champion))
        if c_err:
            c_rec = dict(event="model_error", request_id=rid, **CHAMPION, mode="live", error=c_err, segment=segment,
                         timestamp=iso_ms(c_ts), level="error")
        else:
            c_pred = "positive" if c_label == 1 else "negative"
            c_rec = dict(event="prediction", request_id=rid, **CHAMPION, mode="live", score=c_score, pred=c_pred,
                         latency_ms=lat_champion, segment=segment, timestamp=iso_ms(c_ts), level="info")

        # shadow (after the live model; its result never reaches the caller)
        s_rec, s_obj = None, None
        if not shadow_skip:
            t = time.perf_counter()
            try:
                xin = x.astype(np.float64) if shadow_error else x   # injected: wrong dtype
                s_score, s_label = self.run_challenger(self.challenger, xin)
                s_err = None
            except Exception as e:
                s_err = f"{type(e).__name__}: {e}"
            self.wall_ms["challenger"].append((time.perf_counter() - t) * 1000)
            s_ts = c_ts + timedelta(milliseconds=1 if s_err else math.ceil(lat_challenger))
            if s_err:
                s_rec = dict(event="model_error", request_id=rid, **CHALLENGER, mode="shadow", error=s_err,
                             segment=segment, timestamp=iso_ms(s_ts), level="error")
                s_obj = dict(**CHALLENGER, error=s_err)
            else:
                s_pred = "positive" if s_label == 1 else "negative"
                s_rec = dict(event="prediction", request_id=rid, **CHALLENGER, mode="shadow", score=s_score,
                             pred=s_pred, latency_ms=lat_challenger, segment=segment, timestamp=iso_ms(s_ts),
                             level="info")
                s_obj = dict(**CHALLENGER, score=s_score, pred=s_pred, latency_ms=lat_challenger)

        one = dict(event="prediction", request_id=rid, **CHAMPION)
        if c_err:
            one["error"] = c_err
        else:
            one.update(score=c_score, pred=c_pred, latency_ms=lat_champion)
        one.update(segment=segment, timestamp=iso_ms(c_ts), inputs=features, shadow=s_obj)

        two = ([] if champion_lost else [c_rec]) + ([s_rec] if s_rec else [])
        self.write(two, None if champion_lost else one)
        with self.lock:
            self.faults["shadow_error"] += shadow_error
            self.faults["shadow_skipped"] += shadow_skip
            self.faults["champion_error"] += champion_error
            self.faults["champion_record_lost"] += champion_lost
        if c_err:
            return 500, {"request_id": rid, "error": c_err}
        return 200, {"request_id": rid, "score": c_score, "pred": c_pred, "model": CHAMPION["model"]}


def make_handler(service):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def clock(self):
            return parse_ts(self.headers["X-Synthetic-Time"])

        def reply(self, code, obj):
            data = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path != "/health":
                return self.reply(404, {"error": "not found"})
            service.health(self.clock())
            self.reply(200, {"status": "ok"})

        def do_POST(self):
            if self.path != "/predict":
                return self.reply(404, {"error": "not found"})
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            code, obj = service.predict(body, self.clock())
            self.reply(code, obj)

    return Handler


def call(url, ts, body=None):
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", "X-Synthetic-Time": iso_ms(ts)})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def run_service(holdout):
    os.makedirs(OUT, exist_ok=True)
    service = ShadowService(f"{OUT}/two_records.jsonl", f"{OUT}/one_record.jsonl")
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(service))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    rng = np.random.default_rng(SEED)
    ms = 0
    service.banner(T0 - timedelta(seconds=4))
    statuses = {}
    health = 0
    for i, row in enumerate(holdout.itertuples(index=False)):
        if rng.random() < P_HEALTH:
            health += 1
            code, _ = call(f"{base}/health", T0 + timedelta(milliseconds=ms + int(rng.integers(100, 1500))))
            assert code == 200
        features = {f: (int(getattr(row, f)) if f in INT_FEATURES else float(getattr(row, f))) for f in FEATURES}
        body = dict(request_id=f"r{i:05d}", features=features, segment=row.segment)
        code, _ = call(f"{base}/predict", T0 + timedelta(milliseconds=ms), body)
        statuses[code] = statuses.get(code, 0) + 1
        ms += int(rng.integers(2000, 5001))
    server.shutdown()
    server.server_close()
    service.close()
    faults = dict(requests_sent=len(holdout), **service.faults, health_checks=health, http_status=statuses)
    wall = {k: float(np.median(v)) for k, v in service.wall_ms.items()}
    return faults, wall


# ---------------------------------------------------------------------------------------------
# reading the logs back


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def side_from(rec):
    """A model's output in a record (or shadow object): score/pred/latency/error, or None."""
    if rec is None:
        return None
    if "error" in rec:
        return dict(error=rec["error"], score=None, pred=None, latency_ms=None)
    if rec.get("score") is None and rec.get("pred") is None:
        return None
    return dict(error=None, score=rec.get("score"), pred=rec.get("pred"), latency_ms=rec.get("latency_ms"))


def requests_two_records(records):
    reqs, meta = {}, {}
    for r in records:
        if "request_id" not in r or r.get("event") not in ("prediction", "model_error"):
            continue
        role = "champion" if r["mode"] == "live" else "challenger"
        s = side_from(r)
        if s is None:
            continue
        s.update(segment=r.get("segment"), timestamp=r["timestamp"])
        reqs.setdefault(r["request_id"], {})[role] = s
        meta.setdefault(role, (r["model"], r["version"]))
    return reqs, meta


def requests_one_record(records):
    reqs, meta = {}, {}
    for r in records:
        if "request_id" not in r or r.get("event") != "prediction":
            continue
        d = {}
        s = side_from(r)
        if s is not None:
            s.update(segment=r.get("segment"), timestamp=r["timestamp"])
            d["champion"] = s
            meta.setdefault("champion", (r["model"], r["version"]))
        sh = side_from(r.get("shadow"))
        if sh is not None:
            sh.update(segment=r.get("segment"), timestamp=r["timestamp"])
            d["challenger"] = sh
            meta.setdefault("challenger", (r["shadow"]["model"], r["shadow"]["version"]))
        if d:
            reqs[r["request_id"]] = d
    return reqs, meta


# ---------------------------------------------------------------------------------------------
# statistics


def pct(x, q):
    return float(np.percentile(np.asarray(x, float), q))


def mcnemar_result(b, c):
    exact = (b + c) < 25
    r = mcnemar([[0, b], [c, 0]], exact=exact, correction=True)
    return dict(b=int(b), c=int(c), statistic=float(r.statistic), p_value=float(r.pvalue), exact=bool(exact))


def midrank(x):
    """Midranks (1-based, ties averaged), as in Sun & Xu (2014)."""
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    n = len(x)
    t = np.zeros(n)
    i = 0
    while i < n:
        j = i
        while j < n and xs[j] == xs[i]:
            j += 1
        t[i:j] = 0.5 * (i + j - 1) + 1
        i = j
    out = np.empty(n)
    out[order] = t
    return out


def delong_summary(aucs, cov):
    diff = float(aucs[1] - aucs[0])
    var = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    se = math.sqrt(var)
    z = diff / se
    return dict(auc_champion=float(aucs[0]), auc_challenger=float(aucs[1]), diff=diff, variance=var, se=se, z=z,
                p_value=float(2 * stats.norm.sf(abs(z))), ci_low=diff - Z975 * se, ci_high=diff + Z975 * se)


def delong_fast(scores, y):
    """Sun & Xu (2014): scores is k x N, y in {0, 1}; positives first."""
    pos = y == 1
    X, Y = scores[:, pos], scores[:, ~pos]
    m, n = X.shape[1], Y.shape[1]
    k = scores.shape[0]
    tx = np.array([midrank(X[r]) for r in range(k)])
    ty = np.array([midrank(Y[r]) for r in range(k)])
    tz = np.array([midrank(np.concatenate([X[r], Y[r]])) for r in range(k)])
    aucs = tz[:, :m].sum(axis=1) / (m * n) - (m + 1.0) / (2.0 * n)
    v10 = (tz[:, :m] - tx) / n            # per positive
    v01 = 1.0 - (tz[:, m:] - ty) / m      # per negative
    cov = np.cov(v10) / m + np.cov(v01) / n
    return aucs, cov


def delong_slow(scores, y):
    """DeLong, DeLong & Clarke-Pearson (1988), with the O(m n) structural components."""
    pos = [i for i in range(len(y)) if y[i] == 1]
    neg = [j for j in range(len(y)) if y[j] == 0]
    m, n = len(pos), len(neg)
    k = len(scores)
    V10 = [[0.0] * m for _ in range(k)]
    V01 = [[0.0] * n for _ in range(k)]
    for r in range(k):
        s = [float(v) for v in scores[r]]
        xs = [s[i] for i in pos]
        ys = [s[j] for j in neg]
        col = [0.0] * n
        for a, xv in enumerate(xs):
            row = 0.0
            for b, yv in enumerate(ys):
                psi = 1.0 if xv > yv else (0.5 if xv == yv else 0.0)
                row += psi
                col[b] += psi
            V10[r][a] = row / n
        V01[r] = [c / m for c in col]
    aucs = np.array([sum(V10[r]) / m for r in range(k)])

    def cov(V, size):
        mean = [sum(v) / size for v in V]
        S = np.zeros((k, k))
        for r in range(k):
            for q in range(k):
                S[r, q] = sum((V[r][i] - mean[r]) * (V[q][i] - mean[q]) for i in range(size)) / (size - 1)
        return S

    return aucs, cov(V10, m) / m + cov(V01, n) / n


def bucket_start(ts):
    epoch = int(parse_ts(ts).timestamp())
    return datetime.fromtimestamp(epoch - epoch % BUCKET_S, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def analyse(reqs, meta, labels):
    ids = sorted(reqs)
    pairs = [r for r in ids if "champion" in reqs[r] and "challenger" in reqs[r]]
    champion_only = [r for r in ids if "champion" in reqs[r] and "challenger" not in reqs[r]]
    challenger_only = [r for r in ids if "challenger" in reqs[r] and "champion" not in reqs[r]]
    out = dict(requests=len(ids), pairs=len(pairs),
               unpaired=dict(champion_only=len(champion_only), challenger_only=len(challenger_only)),
               unpaired_ids=dict(champion_only=champion_only, challenger_only=challenger_only))

    models = []
    for role in ("champion", "challenger"):
        sides = [reqs[r][role] for r in ids if role in reqs[r]]
        lat = [s["latency_ms"] for s in sides if s["latency_ms"] is not None]
        models.append(dict(role=role, name=meta[role][0], version=meta[role][1], requests=len(sides),
                           errors=sum(1 for s in sides if s["error"] is not None),
                           latency_ms=dict(p50=pct(lat, 50), p95=pct(lat, 95), p99=pct(lat, 99), n=len(lat))))
    out["models"] = models

    def decision(s):
        if s["pred"] is not None:
            return s["pred"]
        if s["score"] is not None:
            return "positive" if s["score"] >= THRESHOLD else "negative"
        return None

    decided = [r for r in pairs if decision(reqs[r]["champion"]) and decision(reqs[r]["challenger"])]
    agree = [decision(reqs[r]["champion"]) == decision(reqs[r]["challenger"]) for r in decided]
    rate = float(np.mean(agree))
    matrix = {a: {b: 0 for b in ("negative", "positive")} for a in ("negative", "positive")}
    for r in decided:
        matrix[decision(reqs[r]["champion"])][decision(reqs[r]["challenger"])] += 1
    out.update(decided_pairs=len(decided), agreement_rate=rate, flip_rate=1.0 - rate, flip_matrix=matrix)

    scored = [r for r in pairs if reqs[r]["champion"]["score"] is not None and reqs[r]["challenger"]["score"] is not None]
    sc = np.array([reqs[r]["champion"]["score"] for r in scored])
    sh = np.array([reqs[r]["challenger"]["score"] for r in scored])
    ad = np.abs(sh - sc)
    out["score_diff"] = dict(n=len(scored), mean_abs=float(ad.mean()), p50_abs=pct(ad, 50), p95_abs=pct(ad, 95),
                             p99_abs=pct(ad, 99), max_abs=float(ad.max()),
                             correlation=float(stats.pearsonr(sc, sh)[0]))

    timed = [r for r in pairs if reqs[r]["champion"]["latency_ms"] is not None and reqs[r]["challenger"]["latency_ms"] is not None]
    lc = np.array([reqs[r]["champion"]["latency_ms"] for r in timed])
    ls = np.array([reqs[r]["challenger"]["latency_ms"] for r in timed])
    d = ls - lc
    n = len(d)
    tt = stats.ttest_rel(ls, lc)
    half = stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / math.sqrt(n)
    out["latency_diff_ms"] = dict(n=n, mean=float(d.mean()), p50=pct(d, 50), p95=pct(d, 95), p99=pct(d, 99),
                                  t=float(tt.statistic), df=n - 1, p_value=float(tt.pvalue),
                                  ci_low=float(d.mean() - half), ci_high=float(d.mean() + half))

    b = sum(1 for r in pairs if reqs[r]["champion"]["error"] is not None and reqs[r]["challenger"]["score"] is not None)
    c = sum(1 for r in pairs if reqs[r]["challenger"]["error"] is not None and reqs[r]["champion"]["score"] is not None)
    out["error_mcnemar"] = mcnemar_result(b, c)

    lab = [r for r in decided if r in labels]
    y = np.array([labels[r] for r in lab])
    pc = np.array([reqs[r]["champion"]["score"] for r in lab])
    ph = np.array([reqs[r]["challenger"]["score"] for r in lab])
    ok_c = np.array([(decision(reqs[r]["champion"]) == "positive") == (labels[r] == 1) for r in lab])
    ok_h = np.array([(decision(reqs[r]["challenger"]) == "positive") == (labels[r] == 1) for r in lab])
    fast = delong_summary(*delong_fast(np.vstack([pc, ph]), y))
    slow = delong_summary(*delong_slow(np.vstack([pc, ph]), y))
    for key in fast:
        assert abs(fast[key] - slow[key]) <= 1e-12 * max(1.0, abs(fast[key])), (key, fast[key], slow[key])
        assert abs(fast[key] - slow[key]) <= 1e-10 * abs(fast[key]), (key, fast[key], slow[key])   # relative too
    auc_c, auc_h = roc_auc_score(y, pc), roc_auc_score(y, ph)
    assert abs(auc_c - fast["auc_champion"]) < 1e-12 and abs(auc_h - fast["auc_challenger"]) < 1e-12
    out["labelled"] = dict(
        n=len(lab), positives=int(y.sum()),
        champion=dict(accuracy=float(ok_c.mean()), auc=float(auc_c)),
        challenger=dict(accuracy=float(ok_h.mean()), auc=float(auc_h)),
        mcnemar=mcnemar_result(int(np.sum(~ok_c & ok_h)), int(np.sum(ok_c & ~ok_h))),
        delong=fast, delong_slow=slow)

    seg = {}
    for r, a in zip(decided, agree):
        seg.setdefault(reqs[r]["champion"]["segment"], []).append(a)
    out["by_segment"] = [dict(column="segment", value=v, pairs=len(seg[v]), agreement_rate=float(np.mean(seg[v])))
                         for v in sorted(seg)]
    buckets = {}
    for r, a in zip(decided, agree):
        buckets.setdefault(bucket_start(reqs[r]["champion"]["timestamp"]), []).append(a)
    out["over_time"] = dict(bucket="15m", rows=[dict(start=k, pairs=len(buckets[k]), agreement_rate=float(np.mean(buckets[k])))
                                                for k in sorted(buckets)])
    top = sorted(range(len(scored)), key=lambda i: (-ad[i], scored[i]))[:10]
    out["most_disagreeing"] = [dict(request_id=scored[i], champion_score=float(sc[i]), challenger_score=float(sh[i]),
                                    abs_diff=float(ad[i])) for i in top]
    return out


def main():
    t_start = time.perf_counter()
    holdout = pd.read_csv(f"{MODELS}/holdout.csv", float_precision="round_trip")  # inputs logged as in the CSV
    faults, wall = run_service(holdout)

    rng = np.random.default_rng(SEED + 1)
    ids = [f"r{i:05d}" for i in range(len(holdout))]
    chosen = np.sort(rng.choice(len(ids), size=int(round(LABEL_FRACTION * len(ids))), replace=False))
    labels = {ids[i]: int(holdout["label"].iloc[i]) for i in chosen}
    with open(f"{OUT}/labels.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["request_id", "label"])
        for r in sorted(labels):
            w.writerow([r, labels[r]])

    two = analyse(*requests_two_records(read_jsonl(f"{OUT}/two_records.jsonl")), labels)
    one = analyse(*requests_one_record(read_jsonl(f"{OUT}/one_record.jsonl")), labels)
    cases = [mcnemar_result(b, c) for b, c in [(3, 9), (12, 13), (40, 22), (7, 30), (1, 0)]]
    ref = dict(threshold=THRESHOLD, alpha=ALPHA, faults=faults, labels=len(labels),
               two_records=two, one_record=one, mcnemar_cases=cases)
    with open(f"{OUT}/reference.json", "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")
    for name, r in (("two_records", two), ("one_record", one)):
        print(f"{name}: requests {r['requests']} pairs {r['pairs']} unpaired {r['unpaired']} "
              f"agreement {r['agreement_rate']:.4f} AUC {r['labelled']['delong']['auc_champion']:.4f} -> "
              f"{r['labelled']['delong']['auc_challenger']:.4f} (p {r['labelled']['delong']['p_value']:.4g})")
    print("faults", faults, "median wall ms", {k: round(v, 3) for k, v in wall.items()},
          f"took {time.perf_counter() - t_start:.1f} s")


if __name__ == "__main__":
    main()
