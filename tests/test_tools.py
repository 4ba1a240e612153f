"""The tools the tests drive are present: a missing one is a failure here, never a skipped test elsewhere."""

from __future__ import annotations

import shutil

import pytest


@pytest.mark.parametrize("tool", ["chromium", "pdftotext", "pdftoppm", "pdffonts", "git", "ssh-keygen"])
def test_command_installed(tool):
    assert shutil.which(tool), (
        f"{tool} is missing: .ci/run installs it (Debian: chromium, poppler-utils, openssh-client, git)"
    )


def test_weasyprint_has_harfbuzz_subset():
    from weasyprint.text.ffi import harfbuzz_subset

    assert harfbuzz_subset is not None, "HarfBuzz-subset is missing: apt-get install libharfbuzz-subset0"


def test_cjk_font_installed():
    from pathlib import Path

    assert list(Path("/usr/share/fonts").rglob("NotoSansCJK-Regular.ttc")), "apt-get install fonts-noto-cjk"
