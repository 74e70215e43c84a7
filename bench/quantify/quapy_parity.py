#!/usr/bin/env python3
"""Parity of stance's share estimators with QuaPy, the reference implementation (issue 11).

QuaPy is fed what stance's estimators see:

  - the shipped model's stored out-of-fold predictions (models/default.json,
    training.calibration: classes, truth, probabilities row-major; temperature-scaled, as
    `stance score` prints them), to fit ACC's and PACC's misclassification rates;
  - the posteriors of the held-out articles (`stance score data/heldout/articles.jsonl`),
    grouped as `stance compare --by source` groups them (source x actor);
  - for EMQ, stance's recalibration of the posteriors (bias-corrected temperature scaling,
    `softmax(scale * ln p + bias)`) and its training prior, which `stance compare --format json`
    reports under "rates".

and its estimates are compared with the point estimates in stance's compare JSON. CC, PCC,
ACC, PACC and EMQ must agree to --tolerance (1e-6), or the difference must be explained exactly:

  - ACC/PACC: stance solves the least squares problem on the simplex. Where the unconstrained
    solution is inside the simplex, QuaPy's exact solver (solver='exact-raise', norm='clip')
    gives the same answer and is compared to the tolerance. Elsewhere QuaPy's exact solve is
    clipped and renormalised (another answer by design), and its default solver (SLSQP on the
    simplex) is inexact: such a group counts as explained when stance's answer satisfies the
    optimality (KKT) conditions on the simplex and its loss is no larger than QuaPy's.
  - EMQ: QuaPy's EM (EMQ.EM) on the same recalibrated posteriors with the same prior, with a
    tight epsilon (QuaPy's default 1e-4 stops early) and more iterations allowed.
  - Reported separately (checks, not parity rows): that stance's prior is the mean
    recalibrated out-of-fold probability; that its recalibration is a stationary point of the
    likelihood; and QuaPy's whole EMQ-BCTS pipeline (its own BCTS fit, by the abstention
    package's L-BFGS), which counts as explained when stance's fit has the smaller negative
    log-likelihood.

Prints a table (estimator, groups compared, max |difference|, notes) and exits 0 when all
agree or are explained, 1 when any does not, 3 when QuaPy cannot be had (no venv module, or pip
cannot reach the package index), 2 on any other error.

QuaPy is installed, pinned, into a virtual environment (default target/quapy-venv, kept
between runs and remade when the pin changes); the script then runs itself in it.

Usage: python3 bench/quantify/quapy_parity.py [--stance BIN] [--venv DIR] [--work DIR]
  [--tolerance 1e-6]
Without --stance (or $STANCE_BIN) it builds the release binary with cargo.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Pinned: the explanations below depend on QuaPy's internals (its default solver, EM's stopping).
REQUIREMENTS = ["quapy==0.2.3"]
EXIT_DISAGREE, EXIT_ERROR, EXIT_UNAVAILABLE = 1, 2, 3


def say(msg):
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# The environment
# ----------------------------------------------------------------------------------------------


def venv_python(venv):
    """The environment's interpreter with QuaPy installed, made when missing or stale; None when
    it cannot be made (the reason is printed)."""
    py = os.path.join(venv, "bin", "python")
    stamp = os.path.join(venv, ".stance-requirements")
    want = "\n".join(REQUIREMENTS)
    if os.path.exists(py) and os.path.exists(stamp) and open(stamp).read().strip() == want:
        return py
    t = time.time()
    shutil.rmtree(venv, ignore_errors=True)
    r = subprocess.run([sys.executable, "-m", "venv", venv], capture_output=True, text=True)
    if r.returncode != 0:
        say(f"SKIP: `{sys.executable} -m venv` failed (is the venv module installed?):\n{r.stderr[-2000:]}")
        return None
    r = subprocess.run(
        [py, "-m", "pip", "--disable-pip-version-check", "--no-input", "install", "--quiet", *REQUIREMENTS],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    if r.returncode != 0:
        say(f"SKIP: pip could not install {' '.join(REQUIREMENTS)} (no access to the package index?):\n{r.stderr[-2000:]}")
        return None
    with open(stamp, "w") as f:
        f.write(want)
    say(f"made {os.path.relpath(venv, ROOT)} with {' '.join(REQUIREMENTS)} in {time.time() - t:.1f} s")
    return py


def stance_binary(given):
    if given:
        return given
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    return os.path.join(ROOT, "target", "release", "stance")


# `--by source` is the comparison users run; `--by all` (each actor over all the articles) adds
# larger groups, more of whose adjusted solutions are inside the simplex.
GROUPINGS = ["source", "all"]


def run_stance(binary, work):
    """Scores the held-out articles and compares them by source (and all together), as a user
    would: the model file, the scores, and each grouping's compare JSON."""
    model = os.path.join(ROOT, "models", "default.json")
    scores = os.path.join(work, "scores.jsonl")
    subprocess.run(
        [binary, "score", os.path.join(ROOT, "data", "heldout", "articles.jsonl"), "--model", model, "--out", scores],
        check=True,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    compares = {}
    for by in GROUPINGS:
        compares[by] = os.path.join(work, f"compare-{by}.json")
        with open(compares[by], "w") as out:
            subprocess.run(
                [binary, "compare", scores, "--model", model, "--by", by, "--format", "json"],
                check=True,
                stdout=out,
                stdin=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
    return model, scores, compares


class Problem(Exception):
    """The inputs are not what the comparison expects (exit 2)."""


# ----------------------------------------------------------------------------------------------
# The comparison (runs inside the environment)
# ----------------------------------------------------------------------------------------------


def groups_of(scores_path, labels, by):
    """(by, group, actor) -> the posteriors (rows in `labels` order), as `stance compare --by BY`
    groups them (BY: source or all): error records left out, a missing source is "(no source)",
    a missing label 0."""
    import numpy as np

    groups = {}
    with open(scores_path) as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            if "error" in rec:
                continue
            group = (rec.get("source") or "(no source)") if by == "source" else "all"
            for a in rec.get("actors", []):
                row = [a["probabilities"].get(l, 0.0) for l in labels]
                groups.setdefault((by, group, a["actor"]), []).append(row)
    return {k: np.array(v, dtype=float) for k, v in groups.items()}


def compare(model_path, scores_path, compare_paths, tol):
    import warnings

    import numpy as np
    import quapy
    from quapy.method.aggregative import ACC, CC, EMQ, PACC, PCC
    from sklearn.base import BaseEstimator, ClassifierMixin

    with open(model_path) as f:
        cal = json.load(f)["training"]["calibration"]
    docs = {}
    for by, path in compare_paths.items():
        with open(path) as f:
            docs[by] = json.load(f)
    doc = docs[GROUPINGS[0]]
    labels = doc["labels"]
    if cal["classes"] != labels or any(d["labels"] != labels for d in docs.values()):
        raise Problem(f"the model's classes {cal['classes']} are not compare's labels {labels}")
    k = len(labels)
    truth = np.array(cal["truth"], dtype=int)
    oof = np.array(cal["probabilities"], dtype=float).reshape(len(truth), k)
    emq_rates = (doc.get("rates") or {}).get("emq")
    if emq_rates is None:
        raise Problem('compare\'s JSON has no "rates": {"emq": ...} (an older stance?)')
    if any(d.get("rates") != doc["rates"] for d in docs.values()):
        raise Problem("the groupings' compare JSON report different rates")
    scale = float(emq_rates["scale"])
    bias = np.array(emq_rates["bias"], dtype=float)
    prior = np.array(emq_rates["prior"], dtype=float)

    groups, ours = {}, {}
    for by, d in docs.items():
        groups.update(groups_of(scores_path, labels, by))
        for row in d["rows"]:
            key = (by, row["group"], row["actor"])
            if key not in groups or len(groups[key]) != row["n"]:
                raise Problem(f"group {key}: compare has n={row['n']}, the scores give {len(groups.get(key, []))}")
            ours[key] = {e["estimator"]: np.array(e["share"], dtype=float) for e in row["estimates"]}
    if set(ours) != set(groups):
        raise Problem(f"groups differ: {sorted(set(groups) ^ set(ours))}")
    keys = sorted(groups)
    counts = {by: sum(1 for g in keys if g[0] == by) for by in GROUPINGS}

    class Fitted(BaseEstimator, ClassifierMixin):
        """Stands for the classifier that made the posteriors: QuaPy's aggregative methods are
        fed its predictions and only read its classes."""

        def fit(self, X, y):
            return self

        def predict(self, X):
            return np.argmax(X, axis=1)

        def predict_proba(self, X):
            return X

    clf = Fitted()
    clf.classes_ = np.arange(k)

    def quantifier(cls, **kw):
        return cls(clf, fit_classifier=False, **kw)

    crisp = lambda p: np.argmax(p, axis=1)  # first of ties, as stance's argmax
    table, failed = [], []

    def row(name, n, diffs, note, ok):
        table.append((name, n, max(diffs) if diffs else 0.0, note, ok))
        if not ok:
            failed.append(name)

    def maxdiff(a, b):
        return float(np.max(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))))

    # CC and PCC.
    cc, pcc = quantifier(CC), quantifier(PCC)
    d = [maxdiff(cc.aggregate(crisp(groups[g])), ours[g]["cc"]) for g in keys]
    row("CC", len(d), d, "QuaPy CC on the argmax labels", max(d) <= tol)
    d = [maxdiff(pcc.aggregate(groups[g]), ours[g]["pcc"]) for g in keys]
    row("PCC", len(d), d, "QuaPy PCC on the posteriors", max(d) <= tol)

    # ACC and PACC: rates fitted by QuaPy on the out-of-fold predictions.
    def adjusted(name, cls, fit_pred, group_pred, unadjusted):
        exact = quantifier(cls, val_split=None, solver="exact-raise", norm="clip")
        exact.aggregation_fit(fit_pred, truth)
        default = quantifier(cls, val_split=None)  # solver='minimize' (SLSQP), norm='clip'
        default.aggregation_fit(fit_pred, truth)
        m = exact.Pte_cond_estim_  # m[i][j] = P(predicted i | true j)
        inside, edge = [], []
        for g in keys:
            q = unadjusted(g)
            u = np.linalg.solve(m, q)  # QuaPy's exact solve, before its normalisation
            (inside if np.all(u >= 0) else edge).append((g, q))
        d = [maxdiff(exact.aggregate(group_pred(groups[g])), ours[g][name.lower()]) for g, _ in inside]
        dev = float(np.max(np.abs(m.sum(axis=0) - 1.0)))
        row(
            f"{name}, inside the simplex",
            len(d),
            d,
            "QuaPy solver='exact-raise' (unconstrained solution in the simplex: the same problem)"
            + (
                f"; the matrix's columns sum to 1 within {dev:.1e} (the model stores probabilities to 6 "
                "significant digits), and QuaPy rescales its solution to sum 1 where ours solves with the "
                "sum held at 1"
                if dev > 1e-12
                else ""
            ),
            not d or max(d) <= tol,
        )
        loss = lambda p, q: float(np.sum((m @ p - q) ** 2))
        d, kkt_worst, worse, clip_d, clip_kkt = [], 0.0, 0, [], 0.0
        for g, q in edge:
            p = ours[g][name.lower()]
            theirs = default.aggregate(group_pred(groups[g]))
            d.append(maxdiff(theirs, p))
            clipped = exact.aggregate(group_pred(groups[g]))
            clip_d.append(maxdiff(clipped, p))
            clip_kkt = max(clip_kkt, kkt_violation(m, q, clipped))
            kkt_worst = max(kkt_worst, kkt_violation(m, q, p))
            if loss(p, q) > loss(theirs, q) + 1e-12:
                worse += 1
        ok = not edge or (kkt_worst <= 1e-9 and worse == 0) or max(d) <= tol
        row(
            f"{name}, solution on the simplex's edge",
            len(d),
            d,
            (
                f"vs QuaPy's default solver (SLSQP, inexact); ours meets the simplex KKT conditions "
                f"(worst violation {kkt_worst:.1e}) with a loss no larger than QuaPy's in "
                f"{len(edge) - worse}/{len(edge)} groups; QuaPy's exact solve clipped and "
                f"renormalised differs by design, up to {max(clip_d, default=0):.3f} (and violates "
                f"the KKT conditions by up to {clip_kkt:.1e})"
            )
            if edge
            else "none",
            ok,
        )
        # QuaPy's default solver on every group, for the record (not a parity row).
        d = [maxdiff(default.aggregate(group_pred(groups[g])), ours[g][name.lower()]) for g in keys]
        table.append((f"{name}, QuaPy default (SLSQP), all groups", len(d), max(d), "for the record: SLSQP's own tolerance", True))

    adjusted("ACC", ACC, crisp(oof), crisp, lambda g: quantifier(CC).aggregate(crisp(groups[g])))
    adjusted("PACC", PACC, oof, lambda p: p, lambda g: quantifier(PCC).aggregate(groups[g]))

    # EMQ: QuaPy's EM on stance's recalibrated posteriors, with stance's prior.
    def recalibrate(p, s, b):
        z = s * np.log(np.maximum(p, 1e-12)) + b
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    eps, max_iter = 1e-13, 100_000
    EMQ.MAX_ITER = max_iter
    unconverged = 0
    d = []
    for g in keys:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            q, _ = EMQ.EM(prior, recalibrate(groups[g], scale, bias), epsilon=eps)
        unconverged += any("maximum number of iterations" in str(x.message) for x in w)
        d.append(maxdiff(q, ours[g]["emq"]))
    row(
        "EMQ",
        len(d),
        d,
        f"QuaPy EMQ.EM on stance's BCTS-recalibrated posteriors and prior, epsilon={eps:g} "
        f"(default 1e-4), MAX_ITER={max_iter}; {unconverged} groups hit MAX_ITER",
        max(d) <= tol,
    )

    # Checks of the recalibration (not parity rows).
    recal_oof = recalibrate(oof, scale, bias)
    qprior = quapy.functional.prevalence_from_probabilities(recal_oof)
    dp = maxdiff(qprior, prior)
    freq = quapy.functional.prevalence_from_labels(truth, np.arange(k))
    table.append(
        (
            "EMQ prior",
            1,
            dp,
            "stance's prior vs QuaPy prevalence_from_probabilities(recalibrated out-of-fold); it is also "
            f"the training label frequencies within {maxdiff(prior, freq):.1e} (BCTS's biases match them), "
            "so QuaPy's exact_train_prev=True prior is the same to that precision",
            dp <= tol,
        )
    )
    if dp > tol:
        failed.append("EMQ prior")
    g_ours = bcts_gradient(oof, truth, scale, bias)
    table.append(
        ("BCTS fit, stationarity", 1, g_ours, "largest absolute gradient of the mean NLL at stance's (scale, bias)", g_ours <= 1e-7)
    )
    if g_ours > 1e-7:
        failed.append("BCTS fit, stationarity")

    # QuaPy's whole EMQ-BCTS (abstention's BCTS fit), reported separately.
    from abstention.calibration import TempScaling, inverse_softmax

    t, b_all = TempScaling(bias_positions="all")._get_optimal_t_and_biases(
        valid_preacts=inverse_softmax(oof), valid_labels=np.eye(k)[truth]
    )
    s_theirs, b_theirs = 1.0 / float(t), np.asarray(b_all, dtype=float) - float(b_all[0])
    nll_ours, nll_theirs = bcts_nll(oof, truth, scale, bias), bcts_nll(oof, truth, s_theirs, b_theirs)
    emq_bcts = quantifier(EMQ, val_split=None, exact_train_prev=False, calib="bcts")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        emq_bcts.aggregation_fit(oof, truth)
        d = [maxdiff(emq_bcts.aggregate(groups[g], epsilon=eps), ours[g]["emq"]) for g in keys]
    ok = max(d) <= tol or nll_ours <= nll_theirs + 1e-12
    table.append(
        (
            "EMQ, QuaPy's own BCTS",
            len(d),
            max(d),
            f"EMQ(calib='bcts', exact_train_prev=False): scale {s_theirs:.6f} vs ours {scale:.6f}, "
            f"largest bias difference {float(np.max(np.abs(b_theirs - bias))):.1e}; mean NLL {nll_theirs:.10f} "
            f"vs ours {nll_ours:.10f} ({'ours lower: L-BFGS stopped early' if nll_ours <= nll_theirs else 'OURS HIGHER'})",
            ok,
        )
    )
    if not ok:
        failed.append("EMQ, QuaPy's own BCTS")
    return table, failed, counts


def kkt_violation(m, q, p):
    """How far `p` is from the minimum of |m p - q|^2 on the simplex: the gradient must be one
    value (the multiplier) on the support and no smaller off it."""
    import numpy as np

    grad = 2.0 * m.T @ (m @ p - q)
    support = p > 1e-12
    lam = float(np.mean(grad[support]))
    on = float(np.max(np.abs(grad[support] - lam)))
    off = float(np.max(np.maximum(lam - grad[~support], 0.0), initial=0.0))
    return max(on, off)


def bcts_nll(p, truth, s, b):
    """Mean negative log-likelihood of the true labels under softmax(s ln p + b)."""
    import numpy as np
    from scipy.special import logsumexp

    z = s * np.log(np.maximum(p, 1e-12)) + b
    return float(np.mean(logsumexp(z, axis=1) - z[np.arange(len(truth)), truth]))


def bcts_gradient(p, truth, s, b):
    """Max |gradient| of bcts_nll in (s, b[1:]) (the parameters stance fits; b[0] = 0)."""
    import numpy as np

    lp = np.log(np.maximum(p, 1e-12))
    z = s * lp + b
    z -= z.max(axis=1, keepdims=True)
    soft = np.exp(z)
    soft /= soft.sum(axis=1, keepdims=True)
    onehot = np.eye(p.shape[1])[truth]
    g_s = np.mean(np.sum((soft - onehot) * lp, axis=1))
    g_b = np.mean(soft - onehot, axis=0)[1:]
    return float(np.max(np.abs(np.concatenate([[g_s], g_b]))))


def print_table(table, tol):
    head = ("estimator", "groups", "max abs difference", "agrees or explained", "notes")
    rows = [(n, str(g), f"{d:.2e}", "yes" if ok else "NO", note) for n, g, d, note, ok in table]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    line = lambda r: "| " + " | ".join([*(c.ljust(w) for c, w in zip(r[:4], widths)), r[4]]) + " |"
    print(line(head))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|---|")
    for r in rows:
        print(line(r))
    print(f"\ntolerance {tol:g}; intervals and BayesianCC (bcc) are not compared.")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stance", default=os.environ.get("STANCE_BIN"), help="the stance binary (default: build it)")
    ap.add_argument("--venv", default=os.path.join(ROOT, "target", "quapy-venv"))
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "quapy-parity"))
    ap.add_argument("--tolerance", type=float, default=1e-6)
    ap.add_argument("--in-venv", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if not args.in_venv:
        py = venv_python(os.path.abspath(args.venv))
        if py is None:
            return EXIT_UNAVAILABLE
        argv = [py, os.path.abspath(__file__), "--in-venv", "--venv", args.venv, "--work", args.work]
        argv += ["--tolerance", repr(args.tolerance)] + (["--stance", args.stance] if args.stance else [])
        return subprocess.call(argv)

    try:
        import quapy
    except ImportError as e:
        say(f"SKIP: QuaPy does not import in {args.venv}: {e}")
        return EXIT_UNAVAILABLE
    t = time.time()
    os.makedirs(args.work, exist_ok=True)
    model, scores, compares = run_stance(stance_binary(args.stance), args.work)
    say(f"stance score + compare in {time.time() - t:.1f} s")
    t = time.time()
    table, failed, counts = compare(model, scores, compares, args.tolerance)
    say(f"QuaPy {quapy.__version__} estimates in {time.time() - t:.1f} s")
    print(
        "groups (actor x group) compared: "
        + ", ".join(f"{n} with --by {by}" for by, n in counts.items())
        + "; held-out articles scored by models/default.json\n"
    )
    print_table(table, args.tolerance)
    if failed:
        print(f"\nDISAGREE: {', '.join(failed)}")
        return EXIT_DISAGREE
    print("\nall agree or are explained")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (subprocess.CalledProcessError, Problem) as e:
        say(f"error: {e}")
        sys.exit(EXIT_ERROR)
