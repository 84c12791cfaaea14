from pathlib import PurePath

from musicquality.paths import path_short_html, path_under_roots

ROOTS = [PurePath("/music"), PurePath("/music/Classical"), PurePath("/other")]


def test_a_path_is_shown_under_its_deepest_root():
    assert path_under_roots("/music/A/B/x.flac", ROOTS) == "A/B/x.flac"
    assert path_under_roots("/music/Classical/Bach/x.flac", ROOTS) == "Bach/x.flac"
    assert path_under_roots("/musical/x.flac", ROOTS) == "/musical/x.flac"  # not under /music
    assert path_under_roots("/elsewhere/x.flac", ROOTS) == "/elsewhere/x.flac"


def test_the_full_path_is_on_hover():
    html = path_short_html("/music/A/x & y.flac", ROOTS)
    assert html == '<span class="path" title="/music/A/x &amp; y.flac">A/x &amp; y.flac</span>'
    assert path_short_html(None, ROOTS) == "—"
