"""The documentation is self-contained: it cites papers, never files a package user does not have or internal
labels, and the generated pages (parameters, validation cases) match the data they are generated from."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INTERNAL = re.compile(r"\.\./shared/|shared/docs|PHYSIOLOGY\.md|VALIDATION\.md|seeds/|(?i:\bseed ?0\d\d\b)")


def _user_facing() -> list[Path]:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
    data = ROOT / "src" / "lytes"
    files += sorted(data.glob("data/*.yaml")) + sorted(data.glob("data/*.csv"))
    files += sorted(data.glob("validation/cases/*.yaml")) + sorted(data.glob("builtins/*.yaml"))
    return files


def test_user_facing_text_cites_no_internal_files_or_labels():
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()[:80]}"
        for path in _user_facing()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if INTERNAL.search(line)
    ]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("script", ["make_parameters.py", "make_validation_cases.py"])
def test_generated_pages_are_current(script):
    proc = subprocess.run([sys.executable, str(ROOT / "docs" / script), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_readme_links_the_documentation():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in ("docs/physiology.md", "docs/parameters.md", "docs/validation-cases.md"):
        assert f"({page})" in text and (ROOT / page).exists(), page
