"""Golden runs: every file of a quick-start run folder, byte for byte, as the code wrote it when
these digests were recorded (before the pipeline was reshaped into strategies), timings and run
ids aside (see :mod:`tests.golden_digests`).

The digests depend on the NumPy, OpenBLAS kernel and matplotlib that made them; in another
environment the test skips and says so. To record them anew, on code whose outputs are known to be
right: ``python -m tests.golden_digests``.
"""

from __future__ import annotations

import pytest

from tests.golden_digests import environment_key, make_run, run_folder_digests

ENVIRONMENT = {'numpy': '2.4.6', 'matplotlib': '3.11.2', 'blas': 'openblas 0.3.31.188.0 SkylakeX',
               'cores': '2'}
GOLDEN_TRAIN = {'best/confusion_matrix.csv': '956a864ab5b3e5ae',
 'best/model.npz': '959e6bffd1e584ff',
 'best/per_class.csv': '3b37aefbac256eae',
 'best/predictions.csv': '7ed2eb76d6081a98',
 'config.yaml': '413f540c2e3406c8',
 'confusion_matrix.png': 'b8589c1ef5d0b434',
 'env.json': 'f427f88e9a74eb37',
 'learning_curves.png': 'ab8ce91889dfe175',
 'run.json': '0f0f1b510bb21edf',
 'summary.json': '277fdd1793e0517b',
 'trials.csv': 'b74c0a19cf184f39',
 'trials/000-c37b8789/history.csv': '50ce41ceb3e2c81d',
 'trials/000-c37b8789/model.npz': 'b727fa89b5cf963c',
 'trials/000-c37b8789/result.json': 'f72b3a4d742e4ce3',
 'trials/001-0754a00b/history.csv': 'd920b11b90a9ad79',
 'trials/001-0754a00b/model.npz': 'e239ef7451e5a8da',
 'trials/001-0754a00b/result.json': '50e8376f1b1cbf41',
 'trials/002-2867595f/history.csv': '581f4290de970381',
 'trials/002-2867595f/model.npz': '07b38ce6efeecd56',
 'trials/002-2867595f/result.json': '4f34bbc0d68bd982',
 'trials/003-fff6bd61/history.csv': '9fc95b70ca0ed37f',
 'trials/003-fff6bd61/model.npz': '959e6bffd1e584ff',
 'trials/003-fff6bd61/result.json': 'fb46bbc72c7ef02d'}
GOLDEN_CV = {'best/confusion_matrix.csv': 'ea1e640d47d0e85e',
 'best/model.npz': 'f92ba4e1830e2e0f',
 'best/per_class.csv': '1565e79258ca5525',
 'best/predictions.csv': '8555762db6a1c6dd',
 'config.yaml': 'f0cf173a0fc8b745',
 'confusion_matrix.png': 'd7f02f7e8ca6d6be',
 'cv_results.csv': '0a8345dd1d228fd1',
 'cv_spread.png': '29f65d2745029d82',
 'env.json': 'f427f88e9a74eb37',
 'folds.npz': 'c76907a866346457',
 'learning_curves.png': 'c1eab5b9424a41b3',
 'run.json': 'a3b91f628a59f4e8',
 'summary.json': '91f853b6cca4bc13',
 'trials.csv': '0bb32f1431fed775',
 'trials/000-c37b8789-r0f0/history.csv': '82e2481cdc4dada0',
 'trials/000-c37b8789-r0f0/result.json': '53731e6e5df83a4e',
 'trials/000-c37b8789-r0f1/history.csv': 'b6b967903feb8728',
 'trials/000-c37b8789-r0f1/result.json': 'b2ba6703401345bb',
 'trials/000-c37b8789-r0f2/history.csv': 'f65cf4628fedbc80',
 'trials/000-c37b8789-r0f2/result.json': '53ce7b06f4ff7f07',
 'trials/001-0754a00b-r0f0/history.csv': '3073d080fed0ec5e',
 'trials/001-0754a00b-r0f0/result.json': 'c38fbbc2a1c1417f',
 'trials/001-0754a00b-r0f1/history.csv': '734a4f2d2d57e4e5',
 'trials/001-0754a00b-r0f1/result.json': '9c3c1791b22a7e7d',
 'trials/001-0754a00b-r0f2/history.csv': 'bfaba4ccf2471160',
 'trials/001-0754a00b-r0f2/result.json': 'dc73dc4fb7ee6ff5',
 'trials/002-2867595f-r0f0/history.csv': 'befc84d65d6717dc',
 'trials/002-2867595f-r0f0/result.json': '3437b03d48b77f78',
 'trials/002-2867595f-r0f1/history.csv': 'a2f29b28b5b721c4',
 'trials/002-2867595f-r0f1/result.json': '48e5191107062de9',
 'trials/002-2867595f-r0f2/history.csv': '2cdd0a24c286bd7f',
 'trials/002-2867595f-r0f2/result.json': '87ee620dd9338f93',
 'trials/003-fff6bd61-r0f0/history.csv': '3b7faf19fbd55f62',
 'trials/003-fff6bd61-r0f0/result.json': '1b8e3053c901cc39',
 'trials/003-fff6bd61-r0f1/history.csv': '663967efa2aba3d5',
 'trials/003-fff6bd61-r0f1/result.json': '60998a355f8581f6',
 'trials/003-fff6bd61-r0f2/history.csv': '36fcd80342616413',
 'trials/003-fff6bd61-r0f2/result.json': '8732679cb6fe4b7d',
 'trials/refit-003-fff6bd61/history.csv': '46552638dbd0e1f2',
 'trials/refit-003-fff6bd61/model.npz': 'f92ba4e1830e2e0f',
 'trials/refit-003-fff6bd61/result.json': 'fd93b5729ae5001e'}


# The one change since, on purpose: the refit runs alone, so it uses every core (2 BLAS threads
# here, recorded in run.json as refit_blas_threads), and OpenBLAS rounds a 2-thread product
# differently. Every file of the sweep itself (folds, fold trials, cv_results.csv, trials.csv,
# the figures, the confusion matrix and per-class table) keeps its recorded digest.
REFIT_ON_EVERY_CORE = {
    'best/model.npz': 'ecd2898cb09c297d',
    'best/predictions.csv': '2320704a90d279a7',
    'run.json': 'ffdaf1405303c7f3',
    'summary.json': '2c2657c46072366d',
    'trials/refit-003-fff6bd61/history.csv': 'a77798b42d3ac1fc',
    'trials/refit-003-fff6bd61/model.npz': 'ecd2898cb09c297d',
    'trials/refit-003-fff6bd61/result.json': '02ed5e5a77863473',
}

# The resolved config gained the `curve:` and `biasvar:` sections and `dataset.synthetic`
# (their defaults are written out like every other), which also changes the run identity
# run.json records.
CURVE_SECTION = {
    "train": {'config.yaml': '7c9e4bad38971ae1', 'run.json': 'd8065c2369a5fa2c'},
    "cv": {'config.yaml': '8970b77c48debe45', 'run.json': '3bb1129bf94de442'},
}

# k-fold results compare every grid point with the best (corrected resampled t-test, Holm) and
# show the standard error beside the std: new columns in cv_results.csv; run.json records the
# split sizes the test needs.
COMPARED_WITH_BEST = {'cv_results.csv': 'bf3c2a5f20536937', 'run.json': '8ec3313553e3d4ed'}

# ... and selection.rule / selection.simplest_by (the one-SE rule; the default stays "best");
# summary.json's test scores gained test_accuracy_interval (the 95% Wilson interval).
SELECTION_RULE = {
    "train": {'config.yaml': '67c351dad7e616c8', 'run.json': '7a69450af3c25415',
              'summary.json': 'f2fed28fdf3c2f5b'},
    "cv": {'config.yaml': 'c056ed90fe6199ed', 'run.json': '3af58780a7bdb05f',
           'summary.json': '07274000604ebdd6'},
}

# ... and cv.outer_folds (nested CV; the default 0 is off), dataset.label, dataset.features,
# split.test, split.train, split.preset and preprocess.scale (tables of the user's own data;
# images keep /255), task.one_vs_rest and threshold.choose/fixed (binary tasks), and
# training.schedule/warmup_epochs/step_epochs/step_gamma (the default: constant), and
# keep.trial_models (the default: all, as before), written out with the other keys.
OUTER_FOLDS = {
    "train": {'config.yaml': '42dd8ee2957e2015', 'run.json': '995b43347ba6a258'},
    "cv": {'config.yaml': '96a01540d0a15203', 'run.json': 'f9287396b2b0c0e6'},
}

GOLDEN = {"train": {**GOLDEN_TRAIN, **CURVE_SECTION["train"], **SELECTION_RULE["train"],
                    **OUTER_FOLDS["train"]},
          "cv": {**GOLDEN_CV, **REFIT_ON_EVERY_CORE, **CURVE_SECTION["cv"], **COMPARED_WITH_BEST,
                 **SELECTION_RULE["cv"], **OUTER_FOLDS["cv"]}}


@pytest.mark.parametrize("command", ["train", "cv"])
def test_run_folder_is_byte_identical_to_the_recorded_one(command, tmp_path):
    if environment_key() != ENVIRONMENT:
        pytest.skip(f"golden digests were recorded with {ENVIRONMENT}; this is "
                    f"{environment_key()}")
    digests = run_folder_digests(make_run(command, tmp_path))
    assert sorted(digests) == sorted(GOLDEN[command]), "the run folder's files differ"
    changed = [name for name, digest in GOLDEN[command].items() if digests[name] != digest]
    assert not changed, f"files that changed: {changed}"
