#!/bin/sh
# Public-data accuracy harness: stance vs the scikit-learn recipe vs the majority baseline on
# NewsMTSC, PerSenT and the directed-sentiment news set (see bench/accuracy/README.md).
#   bench/accuracy.sh                         # every dataset found under ../shared/datasets/
#   bench/accuracy.sh --only newsmtsc         # one dataset
#   bench/accuracy.sh --markdown report.md    # also write the report to a file
#   bench/accuracy.sh tune [--only persent]   # re-choose the tuned settings (train-split CV)
# STANCE_BIN=path uses that binary instead of building; STANCE_DATASETS=dir reads the
# datasets from dir instead of ../shared/datasets (relative to the repository root).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" = tune ]; then
    shift
    exec python3 "$here/accuracy/tune.py" "$@"
fi
exec python3 "$here/accuracy/run.py" "$@"
