"""``python -m mlpsel``: the same as the ``mlpsel`` command."""

from mlpsel.cli import main

if __name__ == "__main__":
    main()
