"""Tables as the report shows them: HTML in the notebook and the HTML report, a real LaTeX table in the PDF.

A pandas DataFrame would reach the PDF as fixed-width text that wraps badly; `show(df)`
wraps it in a `Table` that also knows how to render itself as LaTeX (nbconvert's LaTeX
route prefers ``text/latex`` outputs), scaled down to the page width when it is wide.

Cells are data, never markup: ticket text comes from customers, so a ``request`` may hold
``<script>``, ``<img onerror=…>``, ``\\input{/etc/passwd}``, ``\\write18{…}``, unbalanced braces,
``%``, ``#``, ``&``, ``|`` or Markdown. Every cell is shown as the characters it holds:

- HTML: escaped (``html.escape``), so no tag or attribute is ever made of it;
- LaTeX: every special character escaped (`latex_escape`, ``[``/``]`` too, so a row cannot
  start with ``\\[…]``), the table set without TeX's ligatures (``--``, quotes and ``!```` stay
  as typed), and characters a PDF cannot carry — control characters, lone surrogates, the
  invisible bidirectional overrides — written as their ``\\xNN`` / ``\\uNNNN`` escape (HTML alike).

tests/unit/report/test_hostile_text.py renders such a table through the report's own HTML and
LaTeX exporters and xelatex, and reads both back.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from hybridflow.report.errors import ReportError
from hybridflow.tickets.labels import french_values

MAX_ROWS = 30
NOT_MEASURED = "non mesuré"  # what a figure that could not be measured shows
MAX_CELL_CHARS = 160

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    # `\\` before a cell starting with `[` or `*` would read it as its optional argument
    "[": "{[}",
    "]": "{]}",
    "\u202f": " ",  # narrow no-break space (French thousands separator): not in every font
    "\u00a0": "~",
    "\u2714": r"$\checkmark$",  # ✔ (not in DejaVu Serif)
}


# Control characters, lone surrogates, format characters (bidirectional overrides, zero-width ones):
# nothing to show, and some stop xelatex or reorder what the reader sees.
_INVISIBLE = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
)


def visible(text: str) -> str:
    """`text` with every character a page cannot show written as its escape (``\\x00``, ``\\u202e``)."""

    def escape(match: re.Match) -> str:
        code = ord(match.group(0))
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _INVISIBLE.sub(escape, text)


def latex_escape(text: object) -> str:
    """Text made safe for LaTeX: special characters escaped, invisible ones written as their escape."""
    return "".join(_LATEX_SPECIALS.get(ch, ch) for ch in visible(str(text)))


def _cell(value: Any, max_chars: int) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool):
        text = "oui" if value else "non"
    elif isinstance(value, int):
        text = f"{value:,}".replace(",", "\u202f") if abs(value) >= 10_000 else str(value)
    elif isinstance(value, float):
        text = f"{value:,.2f}".replace(",", "\u202f") if abs(value) >= 1000 else f"{value:.4g}"
    elif isinstance(value, pd.Timestamp):
        text = value.strftime("%Y-%m-%d %H:%M:%S")
    else:
        text = str(value)
    text = visible(" ".join(text.split()))
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def french_number(value: float, digits: int = 0) -> str:
    """A number as French text: narrow no-break space between thousands, decimal comma (1\u202f234,5)."""
    return f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


class Table:
    """A small table with an HTML, a LaTeX and a plain-text form (what `show` returns)."""

    def __init__(self, frame: pd.DataFrame, caption: str | None = None, max_chars: int = MAX_CELL_CHARS) -> None:
        self.frame = frame
        self.caption = caption
        self.max_chars = max_chars

    @property
    def _rows(self) -> list[list[str]]:
        return [[_cell(v, self.max_chars) for v in row] for row in self.frame.itertuples(index=False)]

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in self.frame.columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>" for row in self._rows)
        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        return (
            '<table class="hf-table" style="border-collapse:collapse;font-size:0.85em">'
            f"{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )

    def _repr_latex_(self) -> str:
        # Long text columns get a paragraph column so they wrap instead of running off the page.
        widths = [max([len(str(c))] + [len(r[i]) for r in self._rows]) for i, c in enumerate(self.frame.columns)]
        total = sum(widths) or 1
        spec = "".join(
            f">{{\\raggedright\\arraybackslash}}p{{{max(0.06, w / total) * 0.95:.2f}\\linewidth}}"
            if total > 100 and w > 25
            else "l"
            for w in widths
        )
        head = " & ".join(r"\textbf{" + latex_escape(c) + "}" for c in self.frame.columns)
        body = "\n".join(" & ".join(latex_escape(v) for v in row) + r" \\" for row in self._rows)
        caption = f"\\captionof{{table}}{{{latex_escape(self.caption)}}}\n" if self.caption else ""  # numbered
        return (
            # data, not prose: no TeX ligatures (`--` stays two hyphens, quotes stay straight)
            # a minipage keeps the caption on the same page as its table
            "\\begin{center}\\begin{minipage}{\\linewidth}\\centering\\footnotesize\\addfontfeature{Ligatures=TeXOff}\n"
            + caption
            + f"\\begin{{adjustbox}}{{max width=\\linewidth}}\n\\begin{{tabular}}{{{spec}}}\n\\toprule\n"
            + head
            + " \\\\\n\\midrule\n"
            + body
            + "\n\\bottomrule\n\\end{tabular}\n\\end{adjustbox}\n\\end{minipage}\\end{center}\n"
        )

    def __repr__(self) -> str:
        return self.frame.to_string(index=False, max_colwidth=self.max_chars)


def to_frame(data: Any, max_rows: int = MAX_ROWS) -> pd.DataFrame:
    """A pandas DataFrame from a pandas/Spark DataFrame, a mapping, or a list of dicts/tuples."""
    if isinstance(data, pd.DataFrame):
        return data.head(max_rows)
    if hasattr(data, "limit") and hasattr(data, "toPandas"):  # a Spark DataFrame: only bring back a few rows
        return data.limit(max_rows).toPandas()
    if isinstance(data, Mapping):
        return pd.DataFrame({"clé": list(data.keys()), "valeur": list(data.values())}).head(max_rows)
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        return pd.DataFrame(list(data)).head(max_rows)
    raise ReportError(
        f"show() cannot display a {type(data).__name__}: pass a pandas or Spark DataFrame, a dict or a list."
    )


def show(data: Any, caption: str | None = None, max_rows: int = MAX_ROWS, index: bool = False) -> Table:
    """Display-ready table of `data` (first `max_rows` rows); keep the index as a column if `index`.

    Columns of codes (request type, priority, dead-letter reason, contract tier) show their French labels.
    """
    frame = to_frame(data, max_rows)
    if index:
        frame = frame.reset_index()
    return Table(french_values(frame), caption)  # codes (billing, critical …) shown in French


class CaptionedImage:
    """A PNG with a caption: a numbered figure in the PDF (LaTeX ``figure`` + ``\\caption``) and in the HTML.

    The caption travels in the output's metadata (``hybridflow.caption``), which the report's LaTeX
    template reads; the HTML form is a ``<figure>`` whose CSS counter numbers it. The PNG is embedded.
    """

    def __init__(self, png: bytes, caption: str | None, width: int | None = None) -> None:
        self.png = png
        self.caption = caption
        self.width = width

    def _repr_mimebundle_(self, include=None, exclude=None) -> tuple[dict, dict]:
        import base64

        encoded = base64.b64encode(self.png).decode("ascii")
        width = f' width="{self.width}"' if self.width else ""
        caption = f"<figcaption>{html.escape(self.caption)}</figcaption>" if self.caption else ""
        data = {
            "image/png": encoded,
            "text/html": f'<figure class="hf-figure"><img src="data:image/png;base64,{encoded}"{width} '
            f'style="max-width:100%;height:auto" alt="{html.escape(self.caption or "")}"/>{caption}</figure>',
            "text/plain": f"<figure: {self.caption or 'sans légende'}>",
        }
        metadata: dict[str, Any] = {"hybridflow": {"caption": self.caption}} if self.caption else {}
        if self.width:
            metadata["image/png"] = {"width": self.width}
        return data, metadata


def default_caption(stem: str) -> str:
    """A caption from a file name: '01_architecture_hybride' -> 'Architecture hybride'."""
    words = stem.split("_")
    if words and words[0].isdigit():
        words = words[1:]
    text = " ".join(words).strip()
    return text[:1].upper() + text[1:] if text else stem


def image(path, width: int = 900, caption: str | None = None) -> CaptionedImage:
    """A PNG from disk as a captioned, numbered figure (embedded, so it travels into the HTML and the PDF).

    Args:
        caption: the figure's caption (default: from the file name).

    Raises:
        ReportError: the file does not exist (with the command that makes it).
    """
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        raise ReportError(f"{path} does not exist: run `make diagrams` (or the notebook that renders it) first.")
    return CaptionedImage(path.read_bytes(), caption or default_caption(path.stem), width)
