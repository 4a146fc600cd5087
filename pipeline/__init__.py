"""werktop-eval pipeline: the stages (ingest, validate, clean, derive, analyze, plot,
render), their configuration and the command-line interface (whose ``simulate`` command
runs the synthetic-study generator in the ``synthetic`` package).

Data flows one way: raw -> interim -> processed -> results -> figures -> report. Each stage
reads only the outputs of earlier stages and writes only its own.
"""

__version__ = "0.1.0"
