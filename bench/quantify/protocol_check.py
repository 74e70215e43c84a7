"""Which simulation protocol reproduces the error an estimator makes in real use?

`stance simulate` can only resample the labeled out-of-fold predictions it has. This check
uses a synthetic population whose class-conditional distributions are known, built to look like
the shipped model's out-of-fold predictions (three labels, accuracy about 0.67, flat
probabilities), so the real-use error can be computed directly: error rates from a fresh
labeled set of N examples, a fresh group of n articles with set label shares. Then, on labeled
sets of size N drawn from the same population, it runs the protocols `stance simulate` could
use and compares the errors they report with the real one:

  half   error rates from a random half, groups drawn (with replacement) from the other half
  cf5    rotating 5 folds: error rates from four folds, groups from the held-out fold
  cf10   the same with 10 folds
  boot   the labeled set stands for the population: error rates from a resample of all N
         (with replacement), groups drawn independently from all N

Usage: python3 protocol_check.py [N] [n] [reps]   (defaults 844 400 160; numpy only)
"""
import sys

import numpy as np

K = 3
PRIOR = np.array([0.30, 0.32, 0.38])
SHARES = [[0.1, 0.3, 0.6], [0.33, 0.33, 0.34], [0.6, 0.3, 0.1]]


def sample(rng, t, m):
    z = 0.45 * (0.55 * np.eye(K)[t] + rng.normal(0, 0.5, (m, K)))
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def population_sample(rng, m):
    y = rng.choice(K, size=m, p=PRIOR)
    p = np.zeros((m, K))
    for t in range(K):
        p[y == t] = sample(rng, t, (y == t).sum())
    return y, p


def project(v):
    u = np.sort(v)[::-1]
    css = np.cumsum(u)
    t = (css - 1) / np.arange(1, len(v) + 1)
    return np.maximum(v - t[u - t > 0][-1], 0)


def adjust(a, q, iters=600):
    """min |Aᵀp − q|² on the simplex (accelerated projected gradient)."""
    p = project(q.copy())
    y, tk = p.copy(), 1.0
    lip = 2 * np.linalg.norm(a @ a.T, 2) + 1e-12
    for _ in range(iters):
        pn = project(y - 2 * a @ (a.T @ y - q) / lip)
        tn = (1 + np.sqrt(1 + 4 * tk * tk)) / 2
        y, p, tk = pn + (tk - 1) / tn * (pn - p), pn, tn
    return p


def estimates(pc, yc, g):
    hard = np.zeros((K, K))
    soft = np.zeros((K, K))
    for t in range(K):
        m = yc == t
        hard[t] = np.bincount(pc[m].argmax(1), minlength=K) / m.sum()
        soft[t] = pc[m].mean(0)
    cc = np.bincount(g.argmax(1), minlength=K) / len(g)
    return {"cc": cc, "acc": adjust(hard, cc), "pacc": adjust(soft, g.mean(0))}


def counts_of(shares, n):
    c = np.round(np.array(shares) * n).astype(int)
    c[-1] = n - c[:-1].sum()
    return c


def main():
    big_n = int(sys.argv[1]) if len(sys.argv) > 1 else 844
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 160
    rng = np.random.default_rng(7)
    out = {}
    for r in range(reps):
        yc, pc = population_sample(rng, big_n)
        for sh in SHARES:
            c = counts_of(sh, n)
            g = np.concatenate([sample(rng, t, c[t]) for t in range(K)])
            for e, v in estimates(pc, yc, g).items():
                out.setdefault("real use", {}).setdefault(e, []).append(np.abs(v - c / n).mean())
    datasets = 8
    for proto in ["half", "cf5", "cf10", "boot"]:
        for _ in range(datasets):
            y, p = population_sample(rng, big_n)
            for _ in range(reps // datasets):
                if proto == "boot":
                    cal, pool = rng.integers(0, big_n, big_n), np.arange(big_n)
                elif proto == "half":
                    o = rng.permutation(big_n)
                    cal, pool = o[: big_n // 2], o[big_n // 2 :]
                else:
                    folds = np.array_split(rng.permutation(big_n), int(proto[2:]))
                    cal, pool = np.concatenate(folds[1:]), folds[0]
                by_class = [pool[y[pool] == t] for t in range(K)]
                for sh in SHARES:
                    c = counts_of(sh, n)
                    g = np.concatenate([rng.choice(by_class[t], size=c[t]) for t in range(K)])
                    for e, v in estimates(p[cal], y[cal], p[g]).items():
                        out.setdefault(proto, {}).setdefault(e, []).append(np.abs(v - c / n).mean())
    print(f"N = {big_n} labeled examples, groups of {n}; mean absolute error of the shares")
    print(f"{'':10s}" + "".join(f"{e:>8s}" for e in ["cc", "acc", "pacc"]))
    for proto, errs in out.items():
        print(f"{proto:10s}" + "".join(f"{np.mean(errs[e]):8.4f}" for e in ["cc", "acc", "pacc"]))


if __name__ == "__main__":
    main()
