"""`make video`: `make demo` recorded in a real terminal (asciinema), rendered to an animated GIF and an MP4.

1. **Record**: ``asciinema rec`` runs the command in a pseudo-terminal of ``COLS`` × ``ROWS`` and
   writes every byte it prints, with its time, to an asciicast v2 file (``report/video/*.cast``).
2. **Render**: the cast is replayed into a VT100 emulator (pyte); the screen is drawn with Pillow in
   DejaVu Sans Mono at most ``FPS`` times a second, only when it changed, long silences shortened
   to ``MAX_IDLE_S`` (a Spark batch of a minute becomes a pause, not a minute of nothing).
3. **Encode**: the frames become an animated GIF (Pillow, each frame with its own duration; embedded
   in the HTML report), an MP4 (ffmpeg, H.264; in ``report/video/``) and a PNG of the last screen
   (the PDF shows it).

No screen is captured by hand: rerun ``make video`` and the same steps give the same files.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hybridflow.config import PROJ_ROOT, REPORT_DIR
from hybridflow.report.display import CaptionedImage
from hybridflow.report.errors import ReportError

logger = logging.getLogger(__name__)

VIDEO_DIR = REPORT_DIR / "video"
NAME = "hybridflow-demo"
COLS, ROWS = 120, 34
FPS = 5
MAX_IDLE_S = 2.0
FONT_SIZE = 13
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
FONT_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf")
DEMO_COMMAND = "make demo"
DEMO_DONE = "demo done in"  # the demo's last line: the recording shows a run that finished

BACKGROUND = (24, 24, 27)
FOREGROUND = (222, 222, 222)
# xterm's 16 colours, a little softened.
PALETTE = {
    "black": (40, 40, 40), "red": (220, 80, 70), "green": (100, 190, 90), "brown": (210, 170, 60),
    "blue": (90, 140, 230), "magenta": (190, 110, 200), "cyan": (80, 180, 190), "white": (210, 210, 210),
    "brightblack": (110, 110, 110), "brightred": (250, 110, 100), "brightgreen": (140, 225, 120),
    "brightbrown": (240, 210, 100), "brightblue": (130, 170, 250), "brightmagenta": (220, 150, 230),
    "brightcyan": (120, 215, 225), "brightwhite": (250, 250, 250),
}  # fmt: skip


@dataclass(frozen=True)
class VideoFiles:
    """What `make video` writes."""

    cast: Path
    gif: Path
    mp4: Path | None
    still: Path
    frames: int
    seconds: float

    def line(self) -> str:
        """The one-line summary printed at the end of `make video`."""
        outputs = ", ".join(str(_rel(p)) for p in (self.cast, self.gif, self.mp4, self.still) if p)
        return f"video: {self.frames} frames, {self.seconds:.0f} s once silences are shortened; {outputs}"


def _rel(path: Path) -> Path:
    return path.relative_to(PROJ_ROOT) if path.is_relative_to(PROJ_ROOT) else path


def paths(folder: Path = VIDEO_DIR) -> dict[str, Path]:
    """Where the cast, GIF, MP4 and still image go."""
    return {kind: Path(folder) / f"{NAME}.{kind}" for kind in ("cast", "gif", "mp4", "png")}


# --- 1. record ---------------------------------------------------------------------------------------


def asciinema_binary() -> str:
    """The asciinema command installed in this virtualenv (pinned in requirements.txt)."""
    local = Path(sys.executable).parent / "asciinema"
    found = str(local) if local.exists() else shutil.which("asciinema")
    if not found:
        raise ReportError("asciinema is not installed: run `make setup` (it is pinned in requirements.txt).")
    return found


def record(command: str, cast: Path, cols: int = COLS, rows: int = ROWS, title: str = "hybridflow") -> Path:
    """Run `command` in a real pseudo-terminal under asciinema and write its asciicast to `cast`.

    Raises:
        ReportError: asciinema failed or wrote nothing.
    """
    cast.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ) | {"TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows)}
    done = subprocess.run(
        [asciinema_binary(), "rec", "--overwrite", "--quiet", "--cols", str(cols), "--rows", str(rows),
         "--title", title, "--command", command, str(cast)],
        env=env, stdin=subprocess.DEVNULL, cwd=PROJ_ROOT, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0 or not cast.exists() or cast.stat().st_size == 0:
        raise ReportError(
            f"asciinema could not record {command!r} (exit {done.returncode}): {done.stderr.strip()[-300:]}"
        )
    return cast


def read_cast(cast: Path) -> tuple[dict, list[tuple[float, str]]]:
    """The header and the output events (time in s, text) of an asciicast v2 file."""
    lines = cast.read_text(encoding="utf-8").splitlines()
    if not lines:
        raise ReportError(f"{cast} is empty: record it again (`make video`).")
    header = json.loads(lines[0])
    if header.get("version") != 2:
        raise ReportError(f"{cast} is asciicast version {header.get('version')}, not 2: record it again.")
    events = []
    for line in lines[1:]:
        if line.strip():
            moment, kind, data = json.loads(line)
            if kind == "o":
                events.append((float(moment), data))
    return header, events


def cast_text(cast: Path) -> str:
    """Everything the recorded command printed (escape sequences included)."""
    return "".join(data for _, data in read_cast(cast)[1])


# --- 2. render -----------------------------------------------------------------------------------


def _color(name: str, default: tuple[int, int, int]) -> tuple[int, int, int]:
    if name == "default":
        return default
    if name in PALETTE:
        return PALETTE[name]
    if len(name) == 6:
        try:
            return (int(name[0:2], 16), int(name[2:4], 16), int(name[4:6], 16))
        except ValueError:
            pass
    return default


class Painter:
    """Draws a pyte screen as an RGB image, one run of same-styled characters at a time."""

    def __init__(self, cols: int, rows: int, size: int = FONT_SIZE) -> None:
        from PIL import ImageFont

        if not FONT.exists():
            raise ReportError(f"{FONT} is missing: install Debian's fonts-dejavu-core (`make setup`).")
        self.font = ImageFont.truetype(str(FONT), size)
        self.bold = ImageFont.truetype(str(FONT_BOLD if FONT_BOLD.exists() else FONT), size)
        self.cell_w = round(self.font.getlength("M"))
        self.cell_h = round(size * 1.3)
        self.pad = 8
        # Even dimensions: H.264 in yuv420p needs them.
        self.width = (cols * self.cell_w + 2 * self.pad + 1) // 2 * 2
        self.height = (rows * self.cell_h + 2 * self.pad + 1) // 2 * 2

    def paint(self, screen):
        """The screen as a PIL image."""
        from PIL import Image, ImageDraw

        image = Image.new("RGB", (self.width, self.height), BACKGROUND)
        draw = ImageDraw.Draw(image)
        for y in range(screen.lines):
            line = screen.buffer[y]
            x = 0
            while x < screen.columns:
                char = line[x]
                style = (char.fg, char.bg, char.bold, char.reverse)
                start, text = x, []
                while x < screen.columns and (line[x].fg, line[x].bg, line[x].bold, line[x].reverse) == style:
                    text.append(line[x].data or " ")
                    x += 1
                fg, bg = _color(style[0], FOREGROUND), _color(style[1], BACKGROUND)
                if style[3]:
                    fg, bg = bg, fg
                left, top = self.pad + start * self.cell_w, self.pad + y * self.cell_h
                if bg != BACKGROUND:
                    draw.rectangle([left, top, left + len(text) * self.cell_w - 1, top + self.cell_h - 1], fill=bg)
                chunk = "".join(text)
                if chunk.strip():
                    draw.text((left, top), chunk, font=self.bold if style[2] else self.font, fill=fg)
        if not screen.cursor.hidden:
            cx, cy = self.pad + screen.cursor.x * self.cell_w, self.pad + screen.cursor.y * self.cell_h
            draw.rectangle([cx, cy + self.cell_h - 3, cx + self.cell_w - 1, cy + self.cell_h - 1], fill=FOREGROUND)
        return image


def frames(cast: Path, fps: int = FPS, max_idle_s: float = MAX_IDLE_S) -> Iterator[tuple[object, float]]:
    """(image, seconds on screen) for each change of the screen, silences shortened to `max_idle_s`."""
    import pyte

    header, events = read_cast(cast)
    cols, rows = int(header["width"]), int(header["height"])
    screen = pyte.Screen(cols, rows)
    stream = pyte.Stream(screen)
    painter = Painter(cols, rows)
    step = 1.0 / fps
    clock = 0.0  # shortened time
    previous = 0.0  # real time of the previous event
    pending: tuple[object, float] | None = None  # the last frame, shown until the next one
    slot_end = step
    for moment, data in events:
        clock += min(moment - previous, max_idle_s)
        previous = moment
        if clock >= slot_end and screen.dirty:
            # The screen as it was at the end of the slot, before this event.
            image = painter.paint(screen)
            screen.dirty.clear()
            if pending is not None:
                yield pending[0], slot_end - pending[1]
            pending = (image, slot_end)
            slot_end = clock + step
        stream.feed(data)
    image = painter.paint(screen)
    if pending is not None:
        yield pending[0], max(clock - pending[1], step)
    yield image, 3.0  # the final screen stays a moment


@dataclass
class Rendered:
    """Frames (kept as PNG bytes: a text screen compresses ~50×) and their durations (seconds)."""

    pngs: list[bytes]
    durations: list[float]

    @property
    def seconds(self) -> float:
        """Total length once silences are shortened."""
        return sum(self.durations)

    def images(self) -> Iterator:
        """The frames as PIL images, decoded one at a time."""
        from PIL import Image

        for png in self.pngs:
            with Image.open(io.BytesIO(png)) as image:
                yield image.convert("RGB")


def render(cast: Path, fps: int = FPS, max_idle_s: float = MAX_IDLE_S) -> Rendered:
    """Every frame of the cast (see `frames`), identical consecutive frames merged."""
    pngs: list[bytes] = []
    durations: list[float] = []
    for image, seconds in frames(cast, fps, max_idle_s):
        png = _png(image)
        if pngs and png == pngs[-1]:
            durations[-1] += seconds
        else:
            pngs.append(png)
            durations.append(seconds)
    if not pngs:
        raise ReportError(f"{cast} holds no output: nothing to render.")
    return Rendered(pngs, durations)


# --- 3. encode -------------------------------------------------------------------------------------


def write_gif(rendered: Rendered, target: Path) -> Path:
    """An animated GIF, each frame with its own duration, looping."""
    from PIL import Image

    frames_ = (image.convert("P", palette=Image.Palette.ADAPTIVE, colors=32) for image in rendered.images())
    first = next(frames_)
    durations = [max(20, round(d * 1000)) for d in rendered.durations]
    first.save(target, save_all=True, append_images=frames_, duration=durations, loop=0, optimize=False, disposal=1)
    return target


def write_mp4(rendered: Rendered, target: Path, fps: int = FPS) -> Path | None:
    """An H.264 MP4 at `fps` frames per second (each frame repeated for its duration); None without ffmpeg."""
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        return None
    from PIL import Image

    with Image.open(io.BytesIO(rendered.pngs[0])) as first:
        width, height = first.size
    proc = subprocess.Popen(
        [ffmpeg, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
         "-r", str(fps), "-i", "-", "-c:v", "libx264", "-preset", "veryfast", "-tune", "stillimage",
         "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(target)],
        stdin=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None
    carry = 0.0
    last = len(rendered.pngs) - 1
    for index, (image, seconds) in enumerate(zip(rendered.images(), rendered.durations, strict=True)):
        carry += seconds * fps
        repeat = int(carry)
        carry -= repeat
        raw = image.tobytes()
        for _ in range(max(repeat, 1) if index == last else repeat):
            proc.stdin.write(raw)
    proc.stdin.close()
    errors = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.wait() != 0:
        raise ReportError(f"ffmpeg could not encode {target}: {errors.strip()[-300:]}")
    return target


def gif_frames(gif: Path) -> int:
    """How many frames an animated GIF holds (0 when the file is missing)."""
    from PIL import Image

    if not gif.exists():
        return 0
    with Image.open(gif) as image:
        return int(getattr(image, "n_frames", 1))


def mp4_frames(mp4: Path) -> int:
    """How many video frames an MP4 holds, counted by ffprobe (0 when missing or unreadable)."""
    ffprobe = shutil.which("ffprobe")
    if not ffprobe or not mp4.exists():
        return 0
    done = subprocess.run(
        [ffprobe, "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries", "stream=nb_read_frames",
         "-of", "csv=p=0", str(mp4)], capture_output=True, text=True,
    )  # fmt: skip
    try:
        return int(done.stdout.strip().split(",")[0])
    except ValueError:
        return 0


def make_video(command: str = DEMO_COMMAND, folder: Path = VIDEO_DIR, cols: int = COLS, rows: int = ROWS) -> VideoFiles:
    """Record `command`, then write the GIF, the MP4 and the last screen as PNG into `folder`."""
    targets = paths(folder)
    started = time.monotonic()
    logger.info("recording `%s` in a %d×%d terminal (asciinema) …", command, cols, rows)
    record(command, targets["cast"], cols, rows, title=f"hybridflow — {command}")
    logger.info("recorded in %.0f s; rendering the frames …", time.monotonic() - started)
    return render_files(targets["cast"], folder)


def render_files(cast: Path, folder: Path = VIDEO_DIR) -> VideoFiles:
    """GIF, MP4 and last screen (PNG) from an existing cast."""
    targets = paths(folder)
    rendered = render(cast)
    write_gif(rendered, targets["gif"])
    mp4 = write_mp4(rendered, targets["mp4"])
    targets["png"].write_bytes(rendered.pngs[-1])
    return VideoFiles(cast, targets["gif"], mp4, targets["png"], len(rendered.pngs), rendered.seconds)


# --- in the report -------------------------------------------------------------------------------


class Embedded:
    """The demo for the report: the GIF in HTML, the last screen as a captioned figure in the PDF."""

    def __init__(self, gif: Path, still: Path, mp4: Path | None, caption: str) -> None:
        self.gif, self.still, self.mp4, self.caption = gif, still, mp4, caption

    def _repr_mimebundle_(self, include=None, exclude=None) -> tuple[dict, dict]:
        import base64
        import html

        data, metadata = CaptionedImage(self.still.read_bytes(), self.caption)._repr_mimebundle_()
        gif = base64.b64encode(self.gif.read_bytes()).decode("ascii")
        data["text/html"] = (
            f'<figure class="hf-figure"><img src="data:image/gif;base64,{gif}" style="max-width:100%;height:auto" '
            f'alt="{html.escape(self.caption)}"/><figcaption>{html.escape(self.caption)}</figcaption></figure>'
        )
        return data, metadata


def embed(folder: Path = VIDEO_DIR):
    """The recorded demo as a report output, or a Markdown line saying it was not recorded."""
    from IPython.display import Markdown

    targets = paths(folder)
    if not (targets["gif"].exists() and targets["png"].exists()):
        return Markdown("*Vidéo non enregistrée sur cette machine : `make video` la produit (environ 7 minutes).*")
    frames_count = gif_frames(targets["gif"])
    mp4 = targets["mp4"] if targets["mp4"].exists() else None
    done = targets["cast"].exists() and DEMO_DONE in cast_text(targets["cast"])
    caption = (
        f"`make demo` enregistré par asciinema ({frames_count} images"
        + (f", vidéo {_rel(mp4)}" if mp4 else "")
        + ")"
        + ("" if done else " — la démo ne s'est PAS terminée")
    )
    return Embedded(targets["gif"], targets["png"], mp4, caption.replace("`", ""))


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
