"""`make video`'s machinery on a real terminal: asciinema records, pyte replays, Pillow draws, ffmpeg encodes."""

from __future__ import annotations

import shutil

import pytest

from hybridflow.report.publish import video

SCRIPT = (
    "bash -c 'for i in 1 2 3 4 5 6; do echo ligne $i; sleep 0.2; done; "
    'printf "\\033[1;31mrouge\\033[0m\\n"; sleep 2.5; echo demo done in 1.0 s\''
)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("video")
    return video.make_video(SCRIPT, folder, cols=60, rows=12)


def test_the_cast_holds_what_the_command_printed(recorded):
    header, events = video.read_cast(recorded.cast)
    assert (header["width"], header["height"]) == (60, 12)
    text = video.cast_text(recorded.cast)
    assert "ligne 6" in text and video.DEMO_DONE in text and "\x1b[1;31m" in text
    assert events[-1][0] >= 2.5  # real time, as recorded


def test_the_gif_and_the_mp4_have_frames(recorded):
    assert recorded.frames >= 4
    assert video.gif_frames(recorded.gif) == recorded.frames
    if shutil.which("ffprobe"):
        assert video.mp4_frames(recorded.mp4) >= recorded.frames
    # Silences are capped: 2.5 s of sleep shown as at most MAX_IDLE_S.
    assert recorded.seconds < 1.2 + video.MAX_IDLE_S + 3.0 + 1.0


def test_the_last_screen_shows_the_colored_text(recorded):
    from PIL import Image

    with Image.open(recorded.still) as image:
        colors = {c for _, c in image.convert("RGB").getcolors(maxcolors=100_000)}
    assert video.PALETTE["red"] in colors or any(r > 180 and g < 140 and b < 140 for r, g, b in colors)


def test_a_missing_cast_is_a_clear_error(tmp_path):
    from hybridflow.report.errors import ReportError

    empty = tmp_path / "x.cast"
    empty.write_text("")
    with pytest.raises(ReportError, match="record it again"):
        video.read_cast(empty)


def test_the_recorded_demo_has_frames_when_it_was_made():
    """`make video`'s output in report/video/: present only after it ran on this machine."""
    files = video.paths()
    if not files["gif"].exists():
        pytest.skip("make video has not been run on this machine")
    assert video.gif_frames(files["gif"]) > 10
    assert video.DEMO_DONE in video.cast_text(files["cast"]), "the recorded demo did not finish"
    if shutil.which("ffprobe") and files["mp4"].exists():
        assert video.mp4_frames(files["mp4"]) > 10
