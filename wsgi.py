"""WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi …``."""

import os

# One BLAS thread per process, set before numpy loads: gunicorn already runs a worker per core,
# and OpenBLAS's extra threads only added CPU time (a dashboard filter at 100,000 responses
# cost about 40-60 % more CPU for the same wall time; benchmarks/README.md, issue 17). An
# OPENBLAS_NUM_THREADS already set in the environment wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from app import create_app  # noqa: E402

app = create_app()
