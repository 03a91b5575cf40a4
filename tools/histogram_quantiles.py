"""Prints p50 and p99 of Prometheus histograms read from standard input (the upper bound of the
bucket each quantile falls in), with their counts: used by the benchmark scripts.
Usage: curl .../metrics | python3 tools/histogram_quantiles.py NAME [NAME ...]"""
import re
import sys

lines = sys.stdin.read().splitlines()
for name in sys.argv[1:]:
    buckets = []
    for line in lines:
        m = re.match(r'%s_bucket\{.*le="([^"]+)".*\} (\S+)' % re.escape(name), line)
        if m:
            buckets.append((float(m.group(1)), float(m.group(2))))
    buckets.sort()
    total = buckets[-1][1] if buckets else 0
    if total == 0:
        print(f"   {name}: no observations")
        continue
    def quantile(q):
        return next(le for le, n in buckets if n >= q * total)
    print(f"   {name}: {int(total)} observed, p50 <= {quantile(0.5):g}, p99 <= {quantile(0.99):g}")
