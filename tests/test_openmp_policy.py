"""The engine shortens OpenMP's idle spinning before torch loads, unless the user chose."""

import os
import subprocess
import sys

import pytest

SHOW_SETTING = (
    "import index, os; print(os.environ.get('GOMP_SPINCOUNT'), os.environ.get('OMP_WAIT_POLICY'))"
)


def _setting_after_import(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    done = subprocess.run(
        [sys.executable, "-c", SHOW_SETTING],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_importing_the_engine_sets_a_short_spin_before_torch_loads():
    assert _setting_after_import() == "10000 None"


@pytest.mark.parametrize(
    ("env", "expected"),
    [({"OMP_WAIT_POLICY": "PASSIVE"}, "None PASSIVE"), ({"GOMP_SPINCOUNT": "500"}, "500 None")],
)
def test_a_users_own_openmp_setting_is_kept(env, expected):
    assert _setting_after_import(**env) == expected
