"""`hybridflow report`, `slides`, `video`: the report (HTML + PDF), the debrief deck, the recorded demo."""

from __future__ import annotations

import argparse
from pathlib import Path

from hybridflow.config import REPORT_DIR
from hybridflow.report.publish.video import make_video, render_files


def _report(args: argparse.Namespace) -> int:
    # nbformat, nbclient, nbconvert: the report extra (pyproject.toml); `hybridflow up` must start without it.
    from hybridflow.report.publish.build import build_report

    only = [part.strip() for part in args.only.split(",")] if args.only else None
    summary = build_report(out_dir=Path(args.out), only=only, smoke=args.smoke, pdf=not args.no_pdf)
    print(summary.line())
    return 0


def _slides(args: argparse.Namespace) -> int:
    from hybridflow.report.publish.slides import build_slides  # nbformat, nbconvert: the report extra, as above

    print(build_slides(out_dir=Path(args.out)).line())
    return 0


def _video(args: argparse.Namespace) -> int:
    folder = Path(args.out)
    if args.render_only:
        files = render_files(folder / "hybridflow-demo.cast", folder)
    else:
        print(
            f"video: recording `{args.command}` in a real terminal (asciinema); it shows on screen when done …",
            flush=True,
        )
        files = make_video(args.command, folder)
    print(files.line())
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `report`, `slides` and `video` sub-commands."""
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

    slides = sub.add_parser(
        "slides",
        help="build the debrief deck (reveal.js, offline) from notebooks/slides/",
        description="Execute notebooks/slides/01_*.ipynb and export it as reveal.js slides, "
        "reveal.js copied beside the deck (no CDN). Uses the figures `make report` saved.",
    )
    slides.add_argument("--out", default=str(REPORT_DIR / "slides"), help="output folder (default: report/slides/)")
    slides.set_defaults(func=_slides)

    video = sub.add_parser(
        "video",
        help="record `make demo` in a real terminal, render it to GIF and MP4",
        description="asciinema records the command to an asciicast; pyte replays it, Pillow draws "
        "the frames, ffmpeg encodes the MP4. Outputs in report/video/.",
    )
    video.add_argument("--out", default=str(REPORT_DIR / "video"), help="output folder (default: report/video/)")
    video.add_argument("--command", default="make demo", help="what to record (default: make demo)")
    video.add_argument("--render-only", action="store_true", help="render the existing cast again, without recording")
    video.set_defaults(func=_video)
