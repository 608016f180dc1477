"""Writes a two-record shadow log as Parquet for benches/shadow.sh: N requests, champion and
challenger records with scores, decisions, latencies and a segment."""
import numpy as np, pyarrow as pa, pyarrow.parquet as pq, sys
n=int(sys.argv[1]); rng=np.random.default_rng(1)
ids=np.array([f"r{i:09d}" for i in range(n)])
t0=1765620000000
ts=t0+np.sort(rng.integers(0,7200_000,n))
s1=rng.random(n); s2=np.clip(s1+rng.normal(0,0.05,n),0,1)
lat1=np.round(rng.lognormal(2.4,0.4,n),3); lat2=np.round(lat1*rng.lognormal(0.1,0.2,n),3)
seg=rng.choice(["young","middle","senior"],n)
rid=np.concatenate([ids,ids]); 
tab=pa.table({"request_id":rid,"timestamp":np.concatenate([ts,ts+1]).astype("int64"),
 "model":np.concatenate([np.full(n,"champion_lr"),np.full(n,"challenger_gbt")]),
 "mode":np.concatenate([np.full(n,"live"),np.full(n,"shadow")]),
 "score":np.concatenate([s1,s2]),"pred":np.where(np.concatenate([s1,s2])>=0.5,"positive","negative"),
 "latency_ms":np.concatenate([lat1,lat2]),"segment":np.concatenate([seg,seg])})
pq.write_table(tab,f"shadow_{n}.parquet")
