"""Command-line interface: ``python -m pipeline <command>`` (also ``werktop-eval``).

User errors (bad input, bad config) are printed without a traceback and exit with code 2.
``--version`` prints the package version and the git commit; ``-q``/``--quiet`` and
``-v``/``--verbose`` (before or after the command) set how much is said on stderr
(``pipeline/outputs/console.py``).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from pipeline.outputs import console
from pipeline.outputs.transaction import Terminated, termination_raises, transaction
from pipeline.outputs.version import version_text
from pipeline.study.config import (
    LANGUAGES,
    OutputPaths,
    StudyConfig,
    claim_output_root,
    default_output_root,
    load_config,
)
from pipeline.study.errors import UserError, os_error

EXIT_USER_ERROR = 2


def _stage(name: str) -> Callable:
    """Import a stage's run function lazily, so `--help` stays fast."""
    import importlib

    module = importlib.import_module(f"pipeline.stages.{name}")
    entry = {"plot": "plot_figures", "render": "render_report"}.get(name, f"run_{name}")
    return getattr(module, entry)


STAGES = ("ingest", "validate", "clean", "derive", "analyze", "plot", "render")
DESCRIPTIONS = {
    "ingest": "read the raw exports; redact free text, pseudonymise ids (data/interim/ingested)",
    "validate": "check values against the codebook (data/interim/validation_report.csv)",
    "clean": "recode, de-duplicate and exclude; write cleaned data and exclusions log",
    "derive": "build analysis-ready data with scale scores (data/processed)",
    "analyze": "run the statistics (results/tables, results/stats.json)",
    "plot": "draw the figures from the results (figures/)",
    "render": "render the report from results and figures (reports/)",
}


def run_stage(
    name: str, config: StudyConfig, paths: OutputPaths, language: str | None = None
) -> object:
    """Run one stage with a log line giving its duration (``language`` overrides the
    config's report language for the plot and render stages); return what the stage
    returned (counts per instrument or issue kind, or the files it wrote)."""
    start = time.perf_counter()
    if name in ("plot", "render"):
        summary = _stage(name)(paths, language or config.language)
    else:
        from pipeline.study.config import study_codebook

        summary = _stage(name)(config, paths, study_codebook(config))
    took = time.perf_counter() - start
    console.info(f"[{name}] done in {took:.2f} s{_describe(summary)}")
    if isinstance(summary, (list, tuple)):
        for path in summary:
            console.detail(f"  {path}")
    return summary


def _describe(summary: object) -> str:
    if isinstance(summary, dict) and summary:
        return " — " + ", ".join(f"{k}: {v}" for k, v in summary.items())
    if isinstance(summary, (list, tuple)) and summary:
        return f" — {len(summary)} file(s)"
    return ""


def _out(args: argparse.Namespace) -> OutputPaths:
    """``--out DIR``, or the study's own folder ``build/<config file name>/``, which must
    belong to this config (:func:`pipeline.study.config.claim_output_root`). Call it after the
    config loaded, so a missing or broken config claims nothing."""
    if args.out:
        return OutputPaths(Path(args.out).resolve())
    paths = OutputPaths(default_output_root(args.config))
    claim_output_root(paths, args.config)
    return paths


def _run_stages(command: str, stages: tuple[str, ...], config: StudyConfig,
                paths: OutputPaths, language: str, up_to_date: tuple[str, ...] = ()) -> None:
    """Run ``stages`` in one transaction, all or nothing: a stage that stops on bad input
    leaves the previous outputs untouched. ``logs/run_summary.json`` records what happened,
    also when it fails."""
    from pipeline.outputs.catalog import run_summary_path
    from pipeline.outputs.run_summary import RunSummary, recorded, stage_counts

    summary = RunSummary(command, (*up_to_date, *stages), config=config.path,
                         language=language, up_to_date=up_to_date)
    with recorded(summary, run_summary_path(paths)), transaction(paths.root):
        for name in stages:
            with summary.stage(name) as record:
                record.counts = stage_counts(run_stage(name, config, paths, language))


def _recover(args: argparse.Namespace) -> None:
    """Undo (or finish) what a killed run left in the output folder, before anything there
    is read or judged stale, and before a bad config can stop the command."""
    from pipeline.outputs.transaction import recover

    # The folder as _out names it, without claiming it: a config that does not load claims
    # no build folder.
    recover(Path(args.out).resolve() if args.out else default_output_root(args.config))


def cmd_run(args: argparse.Namespace) -> int:
    _recover(args)
    config = load_config(args.config)
    paths = _out(args)
    start = time.perf_counter()
    language = args.lang or config.language
    stages = STAGES
    if getattr(args, "stale_only", False):
        from pipeline.runner.freshness import stale_stages

        stages = tuple(stale_stages(config, paths, language))
    up_to_date = tuple(s for s in STAGES if s not in stages)
    _run_stages("run", stages, config, paths, language, up_to_date)
    console.info(f"[run] all stages done in {time.perf_counter() - start:.2f} s")
    html, pdf = (paths.report(language, fmt) for fmt in ("html", "pdf"))
    console.result(f"report: {html}\n        {pdf}")
    return 0


def cmd_one_stage(args: argparse.Namespace) -> int:
    _recover(args)
    config = load_config(args.config)
    paths = _out(args)
    language = getattr(args, "lang", None) or config.language
    _run_stages(args.command, (args.command,), config, paths, language)
    return 0


def cmd_fingerprint(args: argparse.Namespace) -> int:
    """Print the pseudonym key's fingerprint (never the key): the build's key input."""
    print(load_config(args.config).key_fingerprint)
    return 0


def cmd_targets(args: argparse.Namespace) -> int:
    """Print the Makefile's variables: every artifact per stage, from the catalog."""
    from pipeline.runner.make_targets import makefile_variables

    print(makefile_variables(load_config(args.config), _out(args)), end="")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from synthetic import simulate_study

    if args.scale <= 0:
        raise UserError(f"--scale {args.scale}: expected a positive number")
    start = time.perf_counter()
    written = simulate_study(
        Path(args.out),
        seed=args.seed,
        scale=args.scale,
        config_path=Path(args.config) if args.config else None,
    )
    took = time.perf_counter() - start
    console.info(f"[simulate] wrote {len(written)} files in {took:.2f} s")
    for path in written.values():
        console.info(f"  {path}")
    return 0


def cmd_inputs(args: argparse.Namespace) -> int:
    """Print the files a study depends on (used by the Makefile for real dependencies)."""
    from pipeline.runner.make_targets import study_inputs

    print(" ".join(str(f) for f in study_inputs(load_config(args.config))))
    return 0


def cmd_codebook_doc(args: argparse.Namespace) -> int:
    """Write the analysts' codebook document generated from the TOML codebook."""
    from pipeline.outputs.io import write_text
    from pipeline.report.codebook_doc import codebook_markdown
    from pipeline.study.codebook import load_codebook
    from pipeline.study.config import DEFAULT_CODEBOOK

    codebook = load_codebook(Path(args.codebook) if args.codebook else DEFAULT_CODEBOOK)
    write_text(Path(args.out), codebook_markdown(codebook))
    console.info(f"[codebook-doc] wrote {args.out}")
    return 0


class _VersionAction(argparse.Action):
    """``--version``: computed only when asked (it may run git)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS,
                 default: object = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        print(version_text())
        parser.exit()


#: What each exit code means (``--help`` and README). Every problem a user can fix, in how
#: the tool was called, in the study config or codebook, in an input file and its data, or
#: with a file the operating system refused, is exit 2 with a message and no traceback;
#: scripts and make treat them alike (fix the input, rerun). 1 is only ever a bug.
EXIT_CODES_HELP = """exit codes:
  0    done
  1    a bug in werktop-eval (a traceback follows; please report it)
  2    a problem to fix on your side: the command line, the study config or codebook,
       an input file or its data, or a file the operating system refused; the message
       names the file, row, column or setting and what was expected
  130  interrupted (Ctrl-C); 128+N stopped by signal N (SIGTERM, SIGHUP)
A run that stops for any reason leaves the previous outputs as they were."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="werktop-eval: reproducible evaluation of the Werktop approach.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction,
                        help="print the version (and git commit) and exit")
    console.add_verbosity_options(parser, default=console.NORMAL)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    console.add_verbosity_options(common, default=argparse.SUPPRESS)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], help=help)

    def study_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", required=True, help="study config (TOML)")
        p.add_argument(
            "--out",
            help="output root; generated files go under it (data/, results/, figures/, "
            "reports/; default: build/<config file name>/)",
        )

    def lang_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument("--lang", choices=LANGUAGES,
                       help="report language (default: the config's [study] language)")

    p = command("run", "run the whole pipeline, raw exports to report")
    study_args(p)
    lang_arg(p)
    p.add_argument("--stale-only", action="store_true",
                   help="run only the stages whose outputs are older than their inputs")
    p.set_defaults(func=cmd_run)
    for name in STAGES:
        p = command(name, DESCRIPTIONS[name])
        study_args(p)
        if name in ("plot", "render"):
            lang_arg(p)
        p.set_defaults(func=cmd_one_stage)

    p = command("targets", "print the Makefile variables listing every artifact")
    study_args(p)
    p.set_defaults(func=cmd_targets)

    p = command("simulate", "write a synthetic example study (raw exports + config)")
    p.add_argument("--out", required=True, help="directory for the raw exports")
    p.add_argument("--seed", type=int, default=20140601, help="random seed (default 20140601)")
    p.add_argument("--scale", type=float, default=1.0, help="multiply the sample sizes")
    p.add_argument("--config", help="where to write the study config (default OUT/study.toml)")
    p.set_defaults(func=cmd_simulate)

    p = command("codebook-doc", "write the codebook as Markdown for analysts")
    p.add_argument("--codebook", help="codebook directory (default data/codebook)")
    p.add_argument("--out", default="docs/codebook.md", help="default docs/codebook.md")
    p.set_defaults(func=cmd_codebook_doc)

    p = command("fingerprint", "print the pseudonym key's fingerprint")
    p.add_argument("--config", required=True)
    p.set_defaults(func=cmd_fingerprint)

    p = command("inputs", "list the files a study depends on")
    p.add_argument("--config", required=True)
    p.set_defaults(func=cmd_inputs)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; the exit code (0, 2 for a user error or an operating system
    that refuses to read or write, 130 when interrupted)."""
    args = build_parser().parse_args(argv)
    console.set_verbosity(args.verbosity)
    try:
        # SIGTERM and SIGHUP (a killed make, a CI timeout, a closed terminal) roll the run
        # back like Ctrl-C does, instead of ending the process mid-run.
        with termination_raises():
            return args.func(args)
    except UserError as exc:
        console.error(exc.render())
        return EXIT_USER_ERROR
    except OSError as exc:  # the operating system refused (permissions, full disk, …)
        user_error = os_error(exc)
        if user_error is None:
            raise  # anything else is a bug: keep the traceback
        console.error(user_error.render())
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        console.error("interrupted")
        return 130
    except Terminated as exc:
        console.error(f"stopped by {exc.name}")
        return 128 + exc.signum
