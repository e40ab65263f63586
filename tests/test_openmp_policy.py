"""The engine makes torch's and faiss's OpenMP threads wait passively, unless the user chose."""

import os
import subprocess
import sys

import pytest

SHOW_POLICY = "import index, os; print(os.environ.get('OMP_WAIT_POLICY'))"


def _policy_after_import(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    done = subprocess.run(
        [sys.executable, "-c", SHOW_POLICY],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_importing_the_engine_sets_passive_waiting_before_torch_loads():
    assert _policy_after_import() == "PASSIVE"


@pytest.mark.parametrize(
    ("env", "expected"),
    [({"OMP_WAIT_POLICY": "ACTIVE"}, "ACTIVE"), ({"GOMP_SPINCOUNT": "10000"}, "None")],
)
def test_a_users_own_openmp_setting_is_kept(env, expected):
    assert _policy_after_import(**env) == expected
