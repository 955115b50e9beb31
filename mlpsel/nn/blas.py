"""In-place matrix products for the training loop's fast path.

Two primitives: :func:`matmul_accumulate` (``C ← γ·P·Q + β·C``) and :func:`axpy`
(``y ← a·x + y``). Where NumPy runs on OpenBLAS they are single calls into that same library (its
``sgemm``/``dgemm`` with β ≠ 0, which NumPy does not expose, and its ``saxpy``/``daxpy``), so an
optimizer's state is updated inside the product that makes the gradient, on every BLAS thread;
elsewhere (another BLAS, or ``MLPSEL_NUMPY_BLAS=0`` in the environment) they are NumPy
expressions with the same result up to rounding.

The library is found with threadpoolctl among those already loaded, and only NumPy's own copy is
used (64-bit integer interface), so the thread count set for NumPy applies to these calls too.
"""

from __future__ import annotations

import ctypes
import functools
import os

import numpy as np

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_BLAS_MIN_SIZE = 16384
"""Outputs smaller than this many numbers take the NumPy forms: a ctypes call costs about 4 µs,
more than it saves on a bias or a 10-row weight matrix."""
_BLAS_PREFIXES = ("scipy_cblas_", "cblas_")  # NumPy ≥ 2 wheels (scipy-openblas), NumPy 1.x wheels


class _Blas:
    """``gemm`` and ``axpy`` for float32 and float64 from one OpenBLAS library (ILP64)."""

    def __init__(self, library: ctypes.CDLL, prefix: str, suffix: str) -> None:
        i64, pointer = ctypes.c_int64, ctypes.c_void_p
        self.gemm, self.axpy = {}, {}
        for dtype, letter, real in ((np.float32, "s", ctypes.c_float),
                                    (np.float64, "d", ctypes.c_double)):
            gemm = getattr(library, f"{prefix}{letter}gemm{suffix}")
            gemm.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, i64, i64, i64, real,
                             pointer, i64, pointer, i64, real, pointer, i64]
            gemm.restype = None
            axpy = getattr(library, f"{prefix}{letter}axpy{suffix}")
            axpy.argtypes = [i64, real, pointer, i64, pointer, i64]
            axpy.restype = None
            self.gemm[dtype], self.axpy[dtype] = gemm, axpy


@functools.cache
def _numpy_openblas() -> _Blas | None:
    """NumPy's own OpenBLAS (64-bit integer interface), or None: another BLAS, or
    ``MLPSEL_NUMPY_BLAS=0`` in the environment (then the NumPy forms are used)."""
    if os.environ.get("MLPSEL_NUMPY_BLAS", "1") == "0":
        return None
    try:
        from threadpoolctl import threadpool_info

        numpy_folder = os.path.dirname(os.path.dirname(np.__file__))
        for pool in threadpool_info():
            path = pool.get("filepath", "")
            if pool.get("internal_api") != "openblas" or "numpy" not in os.path.relpath(
                    path, numpy_folder).split(os.sep)[0]:
                continue
            library = ctypes.CDLL(path)
            for prefix in _BLAS_PREFIXES:
                if hasattr(library, f"{prefix}sgemm64_"):
                    return _Blas(library, prefix, "64_")
    except (ImportError, OSError, AttributeError, ValueError):
        pass
    return None


def _address(P: np.ndarray) -> int:
    """The address of ``P[0, 0]`` (ctypes' buffer view: 3× quicker than ``P.ctypes.data``)."""
    try:
        return ctypes.addressof(ctypes.c_char.from_buffer(P if P.flags.c_contiguous else P.T))
    except (TypeError, ValueError, BufferError):  # read-only or not contiguous
        return P.ctypes.data


def _blas_operand(P: np.ndarray) -> tuple[int, int] | None:
    """(transpose flag, leading dimension) of a 2-D array for a row-major BLAS call, or None."""
    if P.strides[1] == P.itemsize and P.strides[0] >= max(P.shape[1], 1) * P.itemsize:
        return _NO_TRANS, P.strides[0] // P.itemsize
    if P.strides[0] == P.itemsize and P.strides[1] >= max(P.shape[0], 1) * P.itemsize:
        return _TRANS, P.strides[1] // P.itemsize  # a transposed view of a row-major array
    return None


def matmul_accumulate(C: np.ndarray, P: np.ndarray, Q: np.ndarray, *, alpha: float = 1.0,
                      beta: float = 0.0) -> None:
    """``C ← alpha·P·Q + beta·C``, in place.

    Parameters
    ----------
    C : ndarray, shape (M, N), C-contiguous
    P : ndarray, shape (M, K)
    Q : ndarray, shape (K, N)
        Same dtype as ``C`` (float32 or float64); P and Q may be transposed views, and must not
        share memory with C.
    alpha, beta : float
        With ``beta = 0`` the old contents of C are ignored.
    """
    M, K = P.shape
    N = Q.shape[1]
    blas = _numpy_openblas() if C.size >= _BLAS_MIN_SIZE else None
    if (blas is not None and C.dtype.type in blas.gemm and P.dtype == Q.dtype == C.dtype
            and C.flags.c_contiguous and C.shape == (M, N) and Q.shape[0] == K and M and N
            and K):
        p, q = _blas_operand(P), _blas_operand(Q)
        if p is not None and q is not None:
            blas.gemm[C.dtype.type](_ROW_MAJOR, p[0], q[0], M, N, K, alpha, _address(P), p[1],
                                    _address(Q), q[1], beta, _address(C), N)
            return
    if C.size < _BLAS_MIN_SIZE:
        # computed as (Qᵀ·Pᵀ)ᵀ: OpenBLAS is 1.2–2× quicker writing a few long columns than a
        # few long rows (e.g. dW[L] with n_L = 10)
        product = (Q.T @ P.T).T  # (M, N)
    elif beta == 0.0:
        np.matmul(P, Q, out=C)  # (M, N)
        if alpha != 1.0:
            C *= alpha
        return
    else:
        product = P @ Q  # (M, N)
    if beta == 0.0:
        np.multiply(product, alpha, out=C)
        return
    if alpha != 1.0:
        product *= alpha
    if beta != 1.0:
        C *= beta
    C += product


def axpy(a: float, x: np.ndarray, y: np.ndarray) -> None:
    """``y ← a·x + y``, in place; ``x`` and ``y`` C-contiguous, same shape and dtype."""
    blas = _numpy_openblas() if y.size >= _BLAS_MIN_SIZE else None
    if (blas is not None and y.dtype.type in blas.axpy and x.dtype == y.dtype
            and x.shape == y.shape and x.flags.c_contiguous and y.flags.c_contiguous):
        blas.axpy[y.dtype.type](y.size, a, _address(x), 1, _address(y), 1)
    elif a == -1.0:
        y -= x
    elif a == 1.0:
        y += x
    else:
        y += a * x
