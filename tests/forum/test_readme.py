"""
The README is the newcomer's way in: every `make` target it uses is one `make help` lists, and it
says what the browser tests need, since without Chromium they are skipped here and fail on CI.
"""

import re
import subprocess

from .conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_every_make_target_the_readme_uses_is_listed_by_make_help():
    # At the start of a line of a code block, or in inline code: `make lint`.
    used = set(re.findall(r"(?:^|`)make ([a-z][a-z-]*)", README, flags=re.MULTILINE))
    listed = set(
        re.findall(
            r"^make ([a-z][a-z-]*)",
            subprocess.run(
                ["make", "--no-print-directory", "help"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout,
            flags=re.MULTILINE,
        )
    )

    assert {"run", "test", "install", "messages"} <= used
    # `make help` is the list itself.
    assert used - listed - {"help"} == set()


def test_the_readme_says_what_the_browser_tests_need():
    testing = README.split("## Testing", 1)[1].split("\n## ", 1)[0]

    assert "tests/browser" in testing
    assert "apt-get install chromium fonts-liberation" in testing
    assert '-m "not browser"' in testing
