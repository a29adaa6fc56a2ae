"""docs/calibration/single-bugs.md is what calibration/single_bugs.py makes of the fixtures."""

import subprocess
import sys

from .harness import REPO


def test_the_single_bug_table_is_up_to_date():
    script = REPO / "calibration" / "single_bugs.py"
    done = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
