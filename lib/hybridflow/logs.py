"""Logging's one configuration point: the CLI and the notebooks choose the level and the format here.

Library modules only log (``log = logging.getLogger(__name__)``); they never configure handlers.
Progress bars stay tqdm, and the commands print their one-line summaries themselves.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Third-party loggers that narrate every reconnect or py4j call at INFO/WARNING.
NOISY = ("kafka", "py4j")

_HANDLER_NAME = "hybridflow"


class PlainFormatter(logging.Formatter):
    """INFO records as the bare message (they read like the commands' own lines); others say their level and source."""

    def format(self, record: logging.LogRecord) -> str:
        message = super().format(record)
        if record.levelno == logging.INFO:
            return message
        return f"{record.levelname.lower()}: {record.name}: {message}"


def configure(level: str | int = "INFO", stream: TextIO | None = None, quiet_third_party: bool = True) -> None:
    """Send the package's records at `level` and above to `stream` (stderr); calling it again replaces the set-up.

    Args:
        level: a name of `LEVELS` or a `logging` level number.
        stream: where the lines go (default: stderr, so a command's stdout stays its summary).
        quiet_third_party: only errors from the `NOISY` loggers.
    """
    logger = logging.getLogger("hybridflow")
    for old in [h for h in logger.handlers if h.get_name() == _HANDLER_NAME]:
        logger.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(PlainFormatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    if quiet_third_party:
        for name in NOISY:
            logging.getLogger(name).setLevel(logging.ERROR)
