"""werktop-eval pipeline: the stages (ingest, validate, clean, derive, analyze, plot,
render), their configuration and the command-line interface (whose ``simulate`` command
runs the synthetic-study generator in the ``synthetic`` package).

Data flows one way: raw -> interim -> processed -> results -> figures -> report. Each stage
reads only the outputs of earlier stages and writes only its own.
"""

__version__ = "0.1.0"

import os as _os

# One BLAS thread. The analysis fits thousands of small models (multiple imputation,
# weighting); multi-threaded BLAS makes each small matrix operation slower, not faster
# (the analyze stage took 2x as long on two cores), and a fixed thread count keeps
# floating-point reductions, and so the outputs, the same on every machine. Set before
# numpy is imported; a user's own setting wins.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_name, "1")
