#!/usr/bin/env python3
"""RSS slope of a soak (test/soak/soak.sh), after its warm-up.

    slope.py CSV [WARMUP_FRACTION]

CSV is churn.sh's: seconds,rss_kib,objects[,cached,heap_kib,heap_free_kib]. The first
WARMUP_FRACTION (default 0.2) of the samples is left out. Prints one "name value" line each:

  plain_kib_h     least-squares slope of RSS over time, KiB per hour
  adjusted_kib_h  slope of RSS over time with the informers' cached objects held constant
                  (RSS = a + b*t + c*cached, least squares; b in KiB per hour): what the
                  operator keeps that the cluster does not explain (a leak, or fragmentation)
  kib_per_cached  c above: KiB of RSS per cached object
  cached_per_h    slope of the cached objects over time (the churn's population drift)
  heap_kib_h      the same adjusted slope for malloc's bytes in use (dbaas_heap_inuse_bytes)
  heap_free_kib_h plain slope of the bytes malloc keeps freed (dbaas_heap_free_bytes)

Without the cached column (an older CSV, or metrics not reachable) adjusted is the plain
slope. No numpy: with every column centred the intercept drops out and the 2x2 normal
equations are solved directly.
"""
import csv
import sys


def slope(ts, ys):
    n = len(ts)
    mt, my = sum(ts) / n, sum(ys) / n
    den = sum((t - mt) ** 2 for t in ts)
    return sum((t - mt) * (y - my) for t, y in zip(ts, ys)) / den if den else 0.0


def fit2(ts, xs, ys):
    """Least squares y = a + b*t + c*x; returns (b, c), or None when t and x are collinear."""
    n = len(ts)
    mt, mx, my = sum(ts) / n, sum(xs) / n, sum(ys) / n
    t = [v - mt for v in ts]
    x = [v - mx for v in xs]
    y = [v - my for v in ys]
    stt = sum(a * a for a in t)
    sxx = sum(a * a for a in x)
    stx = sum(a * b for a, b in zip(t, x))
    sty = sum(a * b for a, b in zip(t, y))
    sxy = sum(a * b for a, b in zip(x, y))
    d = stt * sxx - stx * stx
    if abs(d) < 1e-9 * max(stt * sxx, 1e-9):
        return None
    b = (sty * sxx - sxy * stx) / d
    c = (stt * sxy - stx * sty) / d
    return b, c


def main():
    path = sys.argv[1]
    warm = float(sys.argv[2]) if len(sys.argv) > 2 else 0.2
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get("rss_kib")]
    rows = rows[int(len(rows) * warm):]
    if len(rows) < 3:
        print("too few samples after the warm-up", file=sys.stderr)
        return 2
    hour = 3600.0
    ts = [float(r["seconds"]) for r in rows]
    rss = [float(r["rss_kib"]) for r in rows]
    out = {"plain_kib_h": slope(ts, rss) * hour}
    with_cached = [r for r in rows if r.get("cached")]
    fitted = None
    if len(with_cached) >= 3:
        tc = [float(r["seconds"]) for r in with_cached]
        xc = [float(r["cached"]) for r in with_cached]
        fitted = fit2(tc, xc, [float(r["rss_kib"]) for r in with_cached])
        out["cached_per_h"] = slope(tc, xc) * hour
        if with_cached[0].get("heap_kib"):
            heap = fit2(tc, xc, [float(r["heap_kib"]) for r in with_cached])
            if heap:
                out["heap_kib_h"] = heap[0] * hour
            out["heap_free_kib_h"] = slope(tc, [float(r["heap_free_kib"]) for r in with_cached]) * hour
    if fitted:
        out["adjusted_kib_h"] = fitted[0] * hour
        out["kib_per_cached"] = fitted[1]
    else:
        out["adjusted_kib_h"] = out["plain_kib_h"]
    for k, v in out.items():
        print(f"{k} {v:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
