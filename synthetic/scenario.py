"""The scenario behind the synthetic example study: every true parameter in one place.

``synthetic.model`` draws respondents from these parameters, ``synthetic.mess`` plants the
problems listed here, and ``synthetic.truth`` writes ``truth.json`` and ``SCENARIO.md`` from
them, so the documentation cannot drift from the data. Variable names, codes and labels come
from the codebook; this module only holds numbers (effects, probabilities, sample sizes) and
the names and formats of the exports. Free-text material in Dutch is in ``synthetic.texts``.

Conventions:
- Group ``T`` is 1 for Werktop candidates, 0 for the control group.
- Latent traits have residual standard deviation 1, so a latent effect is in SD units
  (conditional on the covariates and the unit).
- Probability vectors follow the codebook's code order for that variable.
"""

from __future__ import annotations

import datetime as dt
import math

# --------------------------------------------------------------------------- exports
# File names and formats of the five raw exports, as the generated study config names them.
FILE_NAMES = {
    "employers": "ondernemers.xlsx",
    "candidates": "kandidaten.sav",
    "control": "controlegroep.csv",
    "register": "register_gemeenten.csv",
    "interviews": "interviews_codering.csv",
}
FORMATS = {"employers": "xlsx", "candidates": "sav", "control": "csv"}
EXCEL_SHEET = "Enquete ondernemers"
ID_PREFIX = {"employers": "E", "candidates": "K", "control": "C"}
# Creation time written into the xlsx and sav headers, so the bytes are reproducible.
FIXED_TIMESTAMP = dt.datetime(2014, 6, 1, 12, 0, 0)

# --------------------------------------------------------------------------- sample sizes
SAMPLE_SIZES = {"employers": 300, "candidates": 400, "control": 350}
RATES = {
    "duplicates": 0.02,  # share of respondents whose record appears twice
    "breakoffs": 0.04,  # share of respondents who stop part-way
    "ineligible_control": 0.03,  # control respondents who took part in Werktop after all
    "item_missing": 0.03,  # per substantive question: "weet niet" / "geen antwoord" / blank
    "label_variant": 0.06,  # share of label cells written as an alias or case variant
    "unit_variant": 0.30,  # share of unit names written other than the codebook name
    "pii": 0.035,  # share of (complete) respondents who type personal data in free text
    "wensen_answered": 0.6,  # share who write something in the free-text question
    "excel_text_dates": 0.30,  # share of Excel date cells written as dd-mm-jjjj text
}
# A break-off answers at most this share of the substantive questions, so the cleaning rule
# (completeness below the instrument's completeness_min) classifies every one of them.
BREAKOFF_MAX_ANSWERED = 0.4

# Test rows (not scaled): ids the cleaning pattern ^\s*(test|tst|dummy) must catch.
TEST_IDS = {
    "employers": ["TEST01", "test-2"],
    "candidates": ["TEST01", "test-2", "tst_kandidaat"],
    "control": ["test-1", "TEST02", "dummy"],
}

# Out-of-range values planted per file (not scaled): column -> values, each on one respondent.
# Answer labels with a typo that matches no code, alias or missing label (CSV and Excel only:
# an SPSS file stores codes). Cleaning sets them to missing and lists them in the
# validation report with a suggestion.
LABEL_TYPOS = {"employers": 2, "candidates": 0, "control": 3}

OUT_OF_RANGE = {
    "employers": {"rm_cijfer": [11, 11]},
    "candidates": {"leeftijd": [17, 104], "rm_cijfer": [11], "sollicitaties_4wk": [250]},
    "control": {"leeftijd": [104], "sollicitaties_4wk": [250], "jaren_uitkering": [55]},
}

# The study's field period as its config states it ([study] field_period): completion dates
# outside it are typos. Each survey's own period lies inside it.
STUDY_FIELD_PERIOD = ("2013-11-15", "2014-06-15")
# Survey field periods (ISO dates, inside STUDY_FIELD_PERIOD).
FIELD_PERIOD = {
    "employers": ("2014-02-17", "2014-05-09"),
    "candidates": ("2014-03-03", "2014-05-23"),
    "control": ("2014-03-10", "2014-05-30"),
}
TEST_ROW_DATE = "2014-02-14"
# How each survey's respondents were recruited, as the example config states it
# ([recruitment.<survey>]): invented for the synthetic study, like every number here.
# ``invited`` lies above the rows each export holds (SAMPLE_SIZES plus planted mess).
RECRUITMENT = {
    "employers": {"invited": 620, "approach": "all", "mode": "mixed"},
    "candidates": {"invited": 560, "approach": "all", "mode": "mixed"},
    "control": {"invited": 1200, "approach": "register_sample", "mode": "web"},
}
# Hourly rates for the cost per placement ([costs]), invented for the synthetic study.
HOURLY_RATES = {"municipality": 60.0, "consultancy": 95.0}

# Headers as the exports write them: codebook name -> header (case / surrounding spaces).
# Names not listed are written as in the codebook. SPSS names cannot contain spaces.
HEADER_MESS = {
    "employers": {
        "respondent_id": "Respondent_ID",
        "gemeente": " Gemeente",
        "datum_invullen": "Datum_invullen ",
        "sector": "Sector",
        "rm_cijfer": "RM_cijfer",
        "wensen": "Wensen ",
    },
    "candidates": {
        "respondent_id": "Respondent_ID",
        "gemeente": "Gemeente",
        "leeftijd": "Leeftijd",
    },
    "control": {
        "respondent_id": "respondent_ID",
        "gemeente": " Gemeente",
        "leeftijd": "Leeftijd ",
        "werkstatus": "WERKSTATUS",
        "deelname_werktop": "Deelname_Werktop",
    },
    "register": {"gemeente": "Gemeente", "leden": " Leden", "draagvlak": "Draagvlak "},
    "interviews": {},
}

# --------------------------------------------------------------------------- units
# Fixed register figures (the register does not depend on the seed). Population, caseload
# and unemployment are plausible magnitudes, not official statistics.
UNITS = {
    "hilversum": {
        "register_name": "Hilversum",
        "inwoners": 86_800,
        "wwb_bestand": 2_310,
        "werkloosheid": 7.4,
        "startdatum": "2012-11-01",
        "einddatum": "2014-04-01",
        "behaald": (96, 52, 27),
        "uren_gemeente": 2480.5,
        "uren_adviesbureau": 640.0,
        "draagvlak": 8.5,
        "attainment": "boven alle doelen",
        "voortzetten": "ja",  # intention stated in the group interview
        "employment_logit": 0.15,
        "share_candidates": 0.24,
        "share_control": 0.22,
    },
    "zaanstad": {
        "register_name": "Gem. Zaanstad",
        "inwoners": 150_700,
        "wwb_bestand": 4_480,
        "werkloosheid": 8.9,
        "startdatum": "2012-12-01",
        "einddatum": "2014-01-01",
        "behaald": (58, 33, 16),
        "uren_gemeente": 1320.0,
        "uren_adviesbureau": 410.5,
        "draagvlak": 5.9,
        "attainment": "iets onder de doelen",
        "voortzetten": "twijfel",  # intention stated in the group interview
        "employment_logit": -0.10,
        "share_candidates": 0.18,
        "share_control": 0.24,
    },
    "lansingerland": {
        "register_name": "Lansingerland",
        "inwoners": 56_900,
        "wwb_bestand": 690,
        "werkloosheid": 5.6,
        "startdatum": "2012-10-15",
        "einddatum": "2014-04-01",
        "behaald": (88, 47, 24),
        "uren_gemeente": 2210.0,
        "uren_adviesbureau": 600.0,
        "draagvlak": 8.1,
        "attainment": "boven alle doelen",
        "voortzetten": "ja",  # intention stated in the group interview
        "employment_logit": 0.30,
        "share_candidates": 0.21,
        "share_control": 0.18,
    },
    "doetinchem": {
        "register_name": "Doetinchem",
        "inwoners": 56_200,
        "wwb_bestand": 1_780,
        "werkloosheid": 7.9,
        "startdatum": "2012-11-01",
        "einddatum": "2014-04-01",
        "behaald": (81, 44, 23),
        "uren_gemeente": 2050.0,
        "uren_adviesbureau": 580.0,
        "draagvlak": 7.7,
        "attainment": "boven alle doelen",
        "voortzetten": "ja",  # intention stated in the group interview
        "employment_logit": 0.10,
        "share_candidates": 0.22,
        "share_control": 0.20,
    },
    "mug": {
        "register_name": "MUG-gemeenten",
        "inwoners": 34_100,
        "wwb_bestand": 540,
        "werkloosheid": 6.1,
        "startdatum": "2013-01-07",
        "einddatum": "2014-04-01",
        "behaald": (31, 11, 5),
        "uren_gemeente": 610.0,
        "uren_adviesbureau": 230.0,
        "draagvlak": 4.2,
        "attainment": "ver onder de doelen",
        "voortzetten": "nee",  # intention stated in the group interview
        "employment_logit": -0.45,
        "share_candidates": 0.15,
        "share_control": 0.16,
    },
}
# Comparison units (units.toml comparison = true): one register row each. Assen ran its own
# employer-led approach; figures it did not record (Werktop targets, hours, draagvlak) are
# None and stay blank in the register. Plausible magnitudes, not official statistics.
COMPARISON_UNITS = {
    "assen": {
        "register_name": "Gemeente Assen",
        "inwoners": 67_200,
        "wwb_bestand": 1_590,
        "werkloosheid": 7.1,
        "startdatum": "2012-01-01",
        "einddatum": "2014-04-01",
        "doel": (None, None, None),
        "behaald": (None, 58, 31),
        "uren_gemeente": None,
        "uren_adviesbureau": None,
        "draagvlak": None,
    },
}
# Interview coding: fragments per unit in the group interviews.
INTERVIEW_FRAGMENTS_PER_UNIT = (10, 15)  # inclusive range
TARGETS = (70, 40, 20)  # new employer contacts, regular jobs, work-experience placements

# --------------------------------------------------------------------------- job seekers
# Selection into Werktop (not randomised): candidates are younger, shorter on benefit,
# speak better Dutch, have fewer health limitations.
SELECTION = {
    "p_vrouw": {"candidates": 0.45, "control": 0.52},
    "leeftijd_mean": {"candidates": 36.0, "control": 42.0},
    "leeftijd_sd": {"candidates": 10.5, "control": 11.0},
    "opleiding": {"candidates": [0.14, 0.33, 0.38, 0.15], "control": [0.22, 0.36, 0.32, 0.10]},
    "migratie": {"candidates": [0.56, 0.10, 0.34], "control": [0.50, 0.10, 0.40]},
    # years on benefit: log-normal, median and log-SD, rounded to half years
    "jaren_median": {"candidates": 2.2, "control": 4.0},
    "jaren_logsd": {"candidates": 0.8, "control": 0.8},
    "huishouden": {"candidates": [0.45, 0.22, 0.13, 0.20], "control": [0.44, 0.24, 0.12, 0.20]},
    "p_beperking": {"candidates": 0.22, "control": 0.35},
    "nederlands": {"candidates": [0.08, 0.27, 0.65], "control": [0.15, 0.33, 0.52]},
}

# Regular paid job (werkstatus code 1): logistic model, conditional odds ratio for Werktop.
EMPLOYMENT = {
    "odds_ratio": 2.0,
    "intercept": -1.68,
    "per_10_years_age_over_40": -0.12,
    "log1p_years_on_benefit": -0.15,
    "per_education_level": 0.25,  # times (opleiding - 2.5)
    "dutch_good": 0.25,  # nederlands == Goed
    "health_limitation": -0.45,
    "female": -0.15,
    # without a regular job: work-experience place, other activity, otherwise none
    "p_wep": {"candidates": 0.14, "control": 0.05},
    "p_other_activity": 0.22,
}
HOURS = {"regular": [8, 12, 16, 20, 24, 28, 32, 32.5, 36, 38, 40], "wep": [16, 20, 24, 28, 32]}
CONTRACT_P = {  # per werkstatus code, over the contract codes 1..4
    1: [0.15, 0.50, 0.30, 0.05],
    2: [0.00, 0.30, 0.00, 0.70],
}

# Latent traits: effect of Werktop (SD units, conditional) and covariate effects.
LATENT = {
    "zoekgedrag": {
        "effect": 0.4,
        "health_limitation": -0.15,
        "per_dutch_level": 0.10,
        "per_10_years_age_over_40": -0.10,
    },
    "eigen_effectiviteit": {
        "effect": 0.3,
        "per_education_level": 0.20,
        "per_dutch_level": 0.15,
        "health_limitation": -0.25,
    },
    "bejegening": {"effect": 0.6},
    "tevreden_meerwaarde": {"effect": 0.5, "corr_with_bejegening": 0.4},
    "relatiemanager_kandidaat": {"mean": 0.6},
}
ITEM_LOADING = 0.75
EENS5_CUTS = [-1.9, -1.0, -0.2, 0.9]  # thresholds on the item's latent response
TEVREDEN5_CUTS = [-1.6, -0.8, 0.0, 1.1]
# Item location shifts (forward direction: higher = more agreement with the positive pole).
ITEM_SHIFT = {
    "zoek_dagelijks": -0.1,
    "zoek_actief": -0.3,
    "zoek_moeite": 0.2,
    "zoek_opgegeven": 0.5,
    "ze_lukt": 0.2,
    "ze_gesprek": 0.0,
    "ze_tegenslag": 0.1,
    "ze_twijfel": 0.2,
    "ze_vaardigheden": 0.0,
    "ze_onzeker": -0.1,
    "bej_serieus": 0.2,
    "bej_respect": 0.4,
    "bej_luistert": 0.0,
    "bej_kan_wel": -0.1,
    "bej_gecontroleerd": -0.2,
}

# Applications in the last 4 weeks: gamma-Poisson (negative binomial), conditional rate ratio.
APPLICATIONS = {
    "rate_ratio": 1.3,
    "base_mean": 3.0,  # control, reference covariates
    "per_10_years_age_over_40": -0.10,
    "health_limitation": -0.30,
    "gamma_shape": 1.5,
    "search_residual_loading": 0.3,  # log-mean loads on the search-intensity residual
}
CHANNELS = {  # P(ticked) per group, in the codebook's mrset order
    "kanaal_vacaturesites": {"candidates": 0.70, "control": 0.62},
    "kanaal_netwerk": {"candidates": 0.48, "control": 0.40},
    "kanaal_open_sollicitatie": {"candidates": 0.35, "control": 0.22},
    "kanaal_uitzendbureau": {"candidates": 0.38, "control": 0.33},
    "kanaal_gemeente": {"candidates": 0.62, "control": 0.24},
}
P_PRETTIG_GESPREK_CANDIDATE = 0.85
RM_CIJFER = {"mean": 7.3, "latent_loading": 0.9, "noise_sd": 0.6}

# --------------------------------------------------------------------------- employers
EMPLOYERS = {
    "sector": [0.12, 0.10, 0.22, 0.14, 0.14, 0.14, 0.04, 0.10],
    "bedrijfsgrootte": [0.52, 0.30, 0.13, 0.05],
    "p_ervaring_uitkering": 0.45,
    "start_contact": [0.55, 0.15, 0.12, 0.13, 0.05],
    "p_prettig_gesprek": 0.62,
    "latent_mean": 0.4,
    "latent_per_draagvlak_point": 0.10,  # times (draagvlak - 7)
    "hires_regular_mean": {"prettig_gesprek": 0.9, "otherwise": 0.3},
    "hires_wep_mean": {"prettig_gesprek": 0.5, "otherwise": 0.2},
    "doorgaan_cuts": [-0.9, -0.1],  # latent below first: Nee; below second: Misschien
}
# Forward-direction item locations; eval_administratie is reverse-worded ("burden too
# high"), so a low forward location means many respondents AGREE with it.
EMPLOYER_ITEM_SHIFT = {
    "eval_behoefte": 0.3,
    "eval_snelheid": 0.4,
    "eval_kandidaten": 0.1,
    "eval_administratie": -1.1,
    "eval_financieel": -0.9,
    "eval_aanbevelen": 0.5,
    "rm_bereikbaar": 0.7,
    "rm_kent_bedrijf": 0.5,
    "rm_afspraken": 0.6,
    "rm_aanspreekpunt": 0.8,
}
EMPLOYER_RM_CIJFER = {"mean": 7.4, "latent_loading": 0.8, "noise_sd": 0.6}
# Bottlenecks: base probability, and the logit change per SD of the evaluation latent.
KNELPUNTEN = {
    "knelpunt_administratie": (0.42, -0.4),
    "knelpunt_financieel": (0.36, -0.3),
    "knelpunt_match": (0.20, -0.5),
    "knelpunt_begeleiding": (0.15, -0.3),
    "knelpunt_communicatie": (0.12, -0.6),
}


def logit(p: float) -> float:
    """Log-odds of a probability."""
    return math.log(p / (1 - p))
