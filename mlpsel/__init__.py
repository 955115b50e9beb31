"""mlpsel: model selection for pure-NumPy back-propagation MLPs, from the command line.

The library can be used on its own::

    from mlpsel import load_config, run_holdout
    result = run_holdout(load_config("configs/quickstart.yaml"), runs_dir=Path("runs"))

and so can the network (:mod:`mlpsel.nn`) and the data loaders (:mod:`mlpsel.data`).
"""

__version__ = "0.1.0"
