"""`hybridflow report`: execute the notebooks and export the report (HTML + PDF) to report/."""

from __future__ import annotations

import argparse
from pathlib import Path

from hybridflow.config import REPORT_DIR


def _report(args: argparse.Namespace) -> int:
    from hybridflow.report.build import build_report

    only = [part.strip() for part in args.only.split(",")] if args.only else None
    summary = build_report(out_dir=Path(args.out), only=only, smoke=args.smoke, pdf=not args.no_pdf)
    print(summary.line())
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `report` sub-command."""
    parser = sub.add_parser(
        "report",
        help="execute the notebooks in order and export the report (HTML + PDF)",
        description="Execute notebooks/NN_*.ipynb on fresh kernels against the running stack, then export "
        "each to HTML and all of them to one self-contained HTML report and one PDF.",
    )
    parser.add_argument("--out", default=str(REPORT_DIR), help="output folder (default: report/)")
    parser.add_argument("--only", help="comma-separated notebook numbers or names, e.g. 04,05,06")
    parser.add_argument("--smoke", action="store_true", help="small workloads (sets IN_TEST=1 for the notebooks)")
    parser.add_argument("--no-pdf", action="store_true", help="skip the LaTeX/PDF export")
    parser.set_defaults(func=_report)
