"""The generator of synthetic studies: scenario, model, planted mess, writers, truth.

Not a stage of the pipeline: it writes the raw exports the pipeline reads
(``python -m pipeline simulate``, ``make example-data``), and it draws clean job-seeker
data in memory for simulation studies (``simulate_jobseekers``).

- ``scenario``: every true parameter (numbers); ``texts``: the Dutch free-text material
- ``model``: drawing job seekers (selection, outcomes, latent traits), including the
  in-memory ``simulate_jobseekers``; ``employers``: the employer model; ``draws``: shared
  drawing helpers and the random streams
- ``mess``: planted problems (duplicates, test rows, break-offs, typos, unit spellings, ...);
  ``personal_data``: the personal data typed into free text
- ``writers``: xlsx / sav / csv bytes and the study config; ``interviews``: interview coding
- ``truth``: truth.json, SCENARIO.md, the population reference values and the true ATT
- ``study``: ``simulate_study``, which puts it all together
- ``foreign``: a study that is not the 2014 one (three other units, 2015 fieldwork,
  Qualtrics / SPSS / Excel-report exports) with its expected facts, for end-to-end tests;
  ``python -m synthetic.foreign --out DIR``
"""

from synthetic.model import simulate_jobseekers
from synthetic.study import simulate_study

__all__ = ["simulate_jobseekers", "simulate_study"]
