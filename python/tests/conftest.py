"""Shared fixtures: the repository, the `stance` binary of this build, the CLI as a function."""

import json
import os
import subprocess
from pathlib import Path

import pytest

import stance

REPO = Path(os.environ.get("STANCE_REPO") or Path(__file__).resolve().parents[2])
BIN = os.environ.get("STANCE_BIN") or str(REPO / "target" / "release" / "stance")
MODEL = REPO / "models" / "default.json"
DATA = REPO / "data" / "articles.jsonl"


@pytest.fixture(scope="session")
def repo():
    return REPO


@pytest.fixture(scope="session")
def stance_bin():
    if not Path(BIN).exists():
        pytest.fail(f"no stance binary at {BIN} (build it with cargo build --release, or set STANCE_BIN)")
    return BIN


def run_cli(args, stdin=None, ok=(0, 1)):
    """`stance ARGS` (the built-in model unless ARGS name another); stdout (text) and the exit status."""
    p = subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True, encoding="utf-8", cwd=REPO)
    assert p.returncode in ok, f"stance {args} exited {p.returncode}: {p.stderr}"
    return p.stdout, p.returncode


@pytest.fixture(scope="session")
def cli(stance_bin):
    return run_cli


@pytest.fixture(scope="session")
def model():
    return stance.load()


@pytest.fixture(scope="session")
def records():
    with open(DATA, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="session")
def data_lines():
    with open(DATA, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]
