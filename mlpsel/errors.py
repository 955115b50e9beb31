"""The project's exception types: every error class, and nothing else.

Every mistake a user can make, and every way a run can end early, has one class here. The CLI
maps each class to an exit code in one place (``mlpsel.cli.EXIT_CODES``) and prints the message
as one line. The library never prints.
"""

from __future__ import annotations


class MlpselError(Exception):
    """Base class of every error mlpsel reports to a user."""


class ConfigError(MlpselError):
    """A config file, ``--set`` override or command-line option is wrong.

    Parameters
    ----------
    message : str
        What is wrong and what would be valid.
    file : str, optional
        The config file.
    key : str, optional
        The dotted key, e.g. ``training.learning_rate``.
    line : int, optional
        1-based line in ``file`` where YAML gives it.
    """

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None,
                 line: int | None = None) -> None:
        # one line, whatever the values quoted in it hold (newlines, tabs)
        message = " ".join(str(message).split())
        key = " ".join(key.split()) if key else key
        self.file = file
        self.key = key
        self.line = line
        self.hint = message
        where = ""
        if file:
            where = f"{file}:{line}: " if line else f"{file}: "
        if key:
            where += f"{key}: "
        super().__init__(f"{where}{message}")


class DataError(MlpselError):
    """A data or model file is missing, truncated, corrupted or fails its checksum, or cannot be
    fetched."""


class SplitError(MlpselError):
    """The data cannot be split as asked (e.g. a class with fewer samples than folds)."""


class RunNotFound(MlpselError):
    """A run id, prefix or path names no run folder (or more than one)."""


class TrialError(MlpselError):
    """One trial failed; recorded in the results rather than stopping the search."""


class DivergedError(TrialError):
    """The training loss became NaN or infinite."""


class ExecutorError(MlpselError):
    """The executor cannot start: an optional extra is not installed, or a cluster cannot be
    reached or refuses the run (a worker with other data or other versions)."""


class NoSuccessfulTrial(MlpselError):
    """Every trial failed or diverged, or the refit did: there is no network to test."""


class ThresholdNotMet(NoSuccessfulTrial):
    """A binary task's decision threshold cannot be chosen on the validation part (a precision
    target no threshold reaches, or no positive sample): nothing to test at that target."""


class RunAlreadyFinished(MlpselError):
    """``--resume`` named a run that finished: it is left as it is (not an error)."""


class WorkerDied(MlpselError):
    """A worker process ended without a result (killed, out of memory); finished trials are
    stored and the run can be continued."""


class Interrupted(MlpselError):
    """The sweep was stopped (Ctrl-C) before every task finished; finished ones are stored and
    the run can be continued."""


class StorageError(MlpselError):
    """A file or folder of a run cannot be written or read (permissions, a full disk, a name
    too long for the file system, a file where a folder should be); the run is marked
    ``incomplete``, its finished trials are kept and it can be continued."""

    @classmethod
    def from_os_error(cls, error: OSError, action: str, then: str = "") -> StorageError:
        """The OSError as one line: the path, what could not be done (``action``) and why,
        then what to do (``then``)."""
        path = error.filename or "the run folder"
        cause = error.strerror or " ".join(str(error).split()) or type(error).__name__
        if isinstance(error, (FileExistsError, NotADirectoryError)):
            cause += ": a file stands where a folder is needed"
        return cls(f"{path}: {action} ({cause})" + (f"; {then}" if then else ""))


class SweepTooLarge(MlpselError):
    """The sweep passes a size limit (over 1,000 trials, or a time or disk estimate past its
    threshold, see :mod:`mlpsel.budget`) and ``--yes`` was not given: nothing was started."""
