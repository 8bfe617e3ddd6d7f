#!/usr/bin/env python3
"""Reference values for loyalty/insights' experiment analysis.

Writes three-arm.csv (a seeded experiment: control, a +5% arm, a no-lift
arm; pre-exposure values correlated with the outcome) and
three-arm.expected.json, computed independently with SciPy and NumPy:

- srm_p: scipy.stats.chisquare of the arm sizes against 40/30/30 weights;
- means and sample SDs: numpy (ddof=1);
- Welch: scipy.stats.ttest_ind(equal_var=False) for the difference of
  means, and the Welch-Satterthwaite df;
- relative lift and its 95% delta-method interval and p-value, with
  scipy.stats.norm;
- Holm-Bonferroni adjusted p-values;
- CUPED: theta = cov(y, x) / var(x) pooled, y - theta (x - mean x), then
  the same lift.

Run with Debian's python3-scipy: /usr/bin/python3 reference.py
"""
import csv
import json

import numpy as np
from scipy import stats

rng = np.random.default_rng(20261204)
arms = {"control": (4000, 1.00), "bonus": (3000, 1.05), "copy": (3000, 1.00)}
rows = []
for name, (n, lift) in arms.items():
    pre = rng.gamma(2.0, 5.0, n)
    y = lift * (0.7 * pre + rng.gamma(2.0, 3.0, n))
    for i in range(n):
        rows.append((f"{name}-{i}", name, round(float(y[i]), 6), round(float(pre[i]), 6)))
rng.shuffle(rows)
with open("three-arm.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["unit", "variant", "value", "pre_value"])
    w.writerows(rows)

data = {}
for _, v, y, x in rows:
    data.setdefault(v, ([], []))
    data[v][0].append(y)
    data[v][1].append(x)
names = sorted(data)
ys = {k: np.array(v[0]) for k, v in data.items()}
xs = {k: np.array(v[1]) for k, v in data.items()}
weights = {"control": 40, "bonus": 30, "copy": 30}
counts = np.array([len(ys[k]) for k in names])
wsum = sum(weights.values())
expected = np.array([counts.sum() * weights[k] / wsum for k in names])
srm_p = stats.chisquare(counts, expected).pvalue
z = stats.norm.ppf(0.975)


def lift(c, t):
    mc, mt = c.mean(), t.mean()
    se = np.sqrt(t.var(ddof=1) / len(t) / mc**2 + mt**2 * c.var(ddof=1) / len(c) / mc**4)
    l = mt / mc - 1
    return l, l - z * se, l + z * se, 2 * stats.norm.sf(abs(l) / se)


allx = np.concatenate([xs[k] for k in names])
ally = np.concatenate([ys[k] for k in names])
theta = np.cov(ally, allx, ddof=1)[0, 1] / np.var(allx, ddof=1)
mx = allx.mean()
comparisons = []
for k in names:
    if k == "control":
        continue
    l, lo, hi, p = lift(ys["control"], ys[k])
    t = stats.ttest_ind(ys[k], ys["control"], equal_var=False)
    vc, vt = ys["control"].var(ddof=1) / len(ys["control"]), ys[k].var(ddof=1) / len(ys[k])
    df = (vc + vt) ** 2 / (vc**2 / (len(ys["control"]) - 1) + vt**2 / (len(ys[k]) - 1))
    cl, clo, chi, cp = lift(ys["control"] - theta * (xs["control"] - mx), ys[k] - theta * (xs[k] - mx))
    comparisons.append({"variant": k, "lift": l, "ci_low": lo, "ci_high": hi, "p_value": p,
                        "difference": ys[k].mean() - ys["control"].mean(), "welch_df": df,
                        "welch_t": t.statistic, "welch_p": t.pvalue,
                        "cuped_lift": cl, "cuped_ci_low": clo, "cuped_ci_high": chi, "cuped_p_value": cp})
# Holm-Bonferroni
order = sorted(range(len(comparisons)), key=lambda i: comparisons[i]["p_value"])
m, running = len(order), 0.0
for rank, i in enumerate(order):
    running = max(running, min(1.0, (m - rank) * comparisons[i]["p_value"]))
    comparisons[i]["p_adjusted"] = running
srm_cases = []
for c, wts in [([5100, 4900], [50, 50]), ([5300, 4700], [50, 50]), ([412, 300, 288], [40, 30, 30]), ([1000, 1090, 910], [1, 1, 1])]:
    c, wts = np.array(c, float), np.array(wts, float)
    srm_cases.append({"counts": [int(x) for x in c], "weights": [float(x) for x in wts],
                      "p": float(stats.chisquare(c, c.sum() * wts / wts.sum()).pvalue)})
out = {"srm_p": srm_p, "cuped_theta": theta, "srm_cases": srm_cases,
       "variants": [{"name": k, "n": int(len(ys[k])), "mean": float(ys[k].mean()), "sd": float(ys[k].std(ddof=1))} for k in names],
       "comparisons": [{k: float(v) if not isinstance(v, str) else v for k, v in c.items()} for c in comparisons]}
with open("three-arm.expected.json", "w") as f:
    json.dump(out, f, indent=2)
    f.write("\n")
