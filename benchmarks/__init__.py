"""pullback benchmark suite: pullback side by side with JAX in one process.

Run ``python -m benchmarks --help`` from the repository root.  This package
deliberately imports nothing heavy, so that :mod:`benchmarks.run` can pin BLAS
and XLA to one thread before NumPy or JAX is imported.
"""
