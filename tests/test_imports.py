"""Heavy libraries stay out of the processes that do not need them.

pandas alone is about 40 MB resident and matplotlib about 35 MB in every process that imports
them; a worker process forked for trials inherits whatever its parent had imported. So the CLI
imports neither at start-up, and training a trial (up to its stored ``history.csv`` and
``result.json``) imports neither: they come in when the run's tables and figures are written.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("pandas", "matplotlib")

TRIAL = r"""
import json, sys
from pathlib import Path
from mlpsel.config import load_config
from mlpsel.executor import execute_task
from mlpsel.store import create_run
from mlpsel.strategies import Holdout
from mlpsel.experiment import load_run_data
overrides = json.loads(sys.argv[2])
config = load_config(None, overrides)
dataset = load_run_data(config)
task = Holdout(config, dataset).plan({})[0]
point = task.grid_point
run = create_run(Path(sys.argv[1]), "imports", "train")
result = execute_task(task, dataset, run)
history = (run.trial_dir(point.grid_point_id) / "history.csv").read_text().splitlines()
print(json.dumps({"status": result["status"], "history_lines": len(history),
                  "heavy": sorted(name for name in sys.modules
                                  if name.split(".")[0] in ("pandas", "matplotlib"))}))
"""


def run_python(code: str, *args: str) -> str:
    completed = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                               text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_the_cli_starts_without_pandas_or_matplotlib():
    output = run_python("import sys, mlpsel.cli, mlpsel.study; "
                        "print(sorted({n.split('.')[0] for n in sys.modules}))")
    loaded = set(json.loads(output.replace("'", '"')))
    assert not loaded & set(HEAVY)


def test_a_trial_trains_and_stores_its_files_without_pandas_or_matplotlib(tmp_path: Path,
                                                                         tiny_overrides):
    output = run_python(TRIAL, str(tmp_path), json.dumps(tiny_overrides))
    result = json.loads(output.strip().splitlines()[-1])
    assert result["status"] == "ok"
    assert result["history_lines"] == 1 + 2  # header + the tiny config's 2 epochs
    assert result["heavy"] == []
