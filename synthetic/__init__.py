"""The generator of synthetic studies: scenario, model, planted mess, writers, truth.

Not a stage of the pipeline: it writes the raw exports the pipeline reads
(``python -m pipeline simulate``, ``make example-data``).

- ``scenario``: every true parameter (numbers); ``texts``: the Dutch free-text material
- ``model``: drawing respondents (latent traits, selection, outcomes)
- ``mess``: planted problems (duplicates, test rows, break-offs, typos, unit spellings, ...);
  ``personal_data``: the personal data typed into free text
- ``writers``: xlsx / sav / csv bytes and the study config; ``interviews``: interview coding
- ``truth``: truth.json, SCENARIO.md and the population reference values
- ``study``: ``simulate_study``, which puts it all together
"""

from synthetic.study import simulate_study

__all__ = ["simulate_study"]
