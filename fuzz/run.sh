#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 600), one after the other, niced, one job each,
# from its corpus (fuzz/corpus/<target>, kept between runs), the seeds in fuzz/seeds/<target>
# and the dictionary fuzz/dicts/<target>.dict.
#   fuzz/run.sh [SECONDS] [TARGET...]
# Needs cargo-fuzz (cargo install cargo-fuzz). On a stable toolchain, RUSTC_BOOTSTRAP=1 lets
# cargo-fuzz use the nightly-only sanitizer flags. Crashes land in fuzz/artifacts/<target>/;
# copy the ones worth keeping to fuzz/regressions/<target>/ (tests/bad_input.rs replays them).
# FUZZ_TARGET_DIR=DIR builds there instead of fuzz/target.
# By default a crash does not end the run: libFuzzer's fork mode with one worker (-fork=1)
# records it and goes on, so each target gets its whole time. FUZZ_STOP_ON_CRASH=1 stops at
# the first crash instead (plain libFuzzer, one process).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-600}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(readers text model_loader model_sealed csv_stream)
fi
export RUSTC_BOOTSTRAP="${RUSTC_BOOTSTRAP:-1}"
status=0
mode=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
if [ "${FUZZ_STOP_ON_CRASH:-0}" = 1 ]; then
    mode=()
fi
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t"
    seeds=()
    if [ -d "fuzz/seeds/$t" ]; then
        seeds=("fuzz/seeds/$t")
    fi
    dict=()
    if [ -f "fuzz/dicts/$t.dict" ]; then
        dict=("-dict=fuzz/dicts/$t.dict")
    fi
    echo "== $t: ${secs}s" >&2
    # Default build: optimised, with debug assertions and overflow checks, AddressSanitizer.
    nice -n 15 cargo fuzz run ${FUZZ_TARGET_DIR:+--target-dir "$FUZZ_TARGET_DIR"} \
        "$t" "fuzz/corpus/$t" "${seeds[@]}" -- \
        -max_total_time="$secs" -max_len=65536 -timeout=20 -rss_limit_mb=4096 \
        -print_final_stats=1 "${dict[@]}" "${mode[@]}" || status=$?
done
exit "$status"
