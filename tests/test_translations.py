"""Every string a person can see is translated into Chinese and English.

The test extracts the strings afresh from a copy of the code (so a new string that was
never added to the catalogues fails it) and lets gettext's own tools judge the result.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["accounts", "booking", "sms", "config", "templates", "locale", "manage.py"]
LANGUAGES = ["zh_Hans", "en"]


@pytest.fixture(scope="module")
def fresh_catalogues(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("i18n")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("*.mo"))
        else:
            shutil.copy(source, copy / name)
    env = {**os.environ, "DEBUG": "1", "VAR_DIR": str(copy / "var")}
    args = [sys.executable, "manage.py", "makemessages", "--no-location", "--no-obsolete"]
    for language in LANGUAGES:
        args += ["-l", language]
    subprocess.run(args, cwd=copy, env=env, check=True, capture_output=True, timeout=120)
    return copy / "locale"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_string_is_left_untranslated_or_fuzzy(fresh_catalogues, language):
    catalogue = fresh_catalogues / language / "LC_MESSAGES" / "django.po"
    for option in ["--untranslated", "--only-fuzzy"]:
        left = subprocess.run(
            ["msgattrib", option, "--no-obsolete", str(catalogue)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        entries = [line for line in left.splitlines() if line.startswith("msgid ")]
        # Only the header may appear (as fuzzy or empty): no real message.
        assert entries in ([], ['msgid ""']), f"{language} {option}:\n{left}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogues_compile_cleanly(language):
    result = subprocess.run(
        ["msgfmt", "--check", "-o", os.devnull, f"locale/{language}/LC_MESSAGES/django.po"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
