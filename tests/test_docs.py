"""The documentation stays where people look for it, and agrees with the tree.

README.md is the front door and stays short; every relative link of README.md,
CHANGELOG.md, CONTRIBUTING.md and docs/*.md reaches a file of the repository (and a
heading of it, for a link with an anchor); every file or folder of the repository that a
chapter names in code (`booking/slots.py`, `sms/registry.py`) exists, and so does every
module named by its dotted path (`booking.services`); and every chapter a module's
docstring or comment points to (``docs/trust.md#retention``) is there. No database, no
Django.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README_MAX_LINES = 120
DOCUMENTS = sorted(
    [ROOT / "README.md", ROOT / "CHANGELOG.md", ROOT / "CONTRIBUTING.md", *ROOT.glob("docs/*.md")]
)
# Paths in code spans are checked when they start with one of the repository's folders.
FOLDERS = ("accounts", "bench", "booking", "config", "docs", "locale", "scripts", "sms")
FOLDERS += ("static", "templates", "tests")
APPS = ("accounts", "booking", "config", "sms")

FENCE = re.compile(r"^```.*?^```", re.M | re.S)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
CHAPTER = re.compile(r"\bdocs/([\w.-]+\.md)(?:#([\w-]+))?")


def prose(path: Path) -> str:
    """The text of a Markdown file without its fenced code blocks."""
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of ``path`` (repeated ones get -1, -2, …)."""
    seen: dict[str, int] = {}
    result = set()
    for heading in HEADING.findall(prose(path)):
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
        slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f"{slug}-{count}")
    return result


def relative_links(path: Path) -> list[str]:
    text = CODE_SPAN.sub("", prose(path))
    return [
        target
        for target in LINK.findall(text)
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target)  # http:, https:, mailto:, webcal:
    ]


def named_paths(path: Path) -> list[str]:
    """Repository paths a document names in code spans, without placeholders or globs."""
    names = []
    for span in CODE_SPAN.findall(prose(path)):
        if re.fullmatch(r"[\w.-]+(/[\w.-]*)+", span) and span.split("/")[0] in FOLDERS:
            names.append(span)
    return names


def named_modules(path: Path) -> list[str]:
    """Dotted module paths a document names in code spans (``booking.services``)."""
    return [
        span
        for span in CODE_SPAN.findall(prose(path))
        if re.fullmatch(r"[a-z_]+(\.[a-z_][a-z0-9_]*)+", span) and span.split(".")[0] in APPS
    ]


def module_exists(dotted: str) -> bool:
    """True when the dotted path starts with a module or package of the repository; what
    follows may be a name inside it (``sms.models.Message``, ``booking.slots.available_slots``)."""
    parts = dotted.split(".")
    for end in range(len(parts), 1, -1):
        base = ROOT.joinpath(*parts[:end])
        if base.with_suffix(".py").is_file() or (base / "__init__.py").is_file():
            return True
    return False


def test_the_readme_is_short():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) < README_MAX_LINES, f"README.md has {len(lines)} lines"


def test_the_documents_exist():
    for name in ("README.md", "CHANGELOG.md", "CONTRIBUTING.md", "docs/design.md"):
        assert (ROOT / name).is_file(), name


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves_inside_the_repository(document):
    broken = []
    for target in relative_links(document):
        file_part, _, anchor = target.partition("#")
        destination = (document.parent / file_part).resolve() if file_part else document
        if not destination.is_relative_to(ROOT) or not destination.exists():
            broken.append(f"{target}: no such file in the repository")
        elif anchor and (destination.suffix != ".md" or anchor not in anchors(destination)):
            broken.append(f"{target}: no heading #{anchor}")
    assert not broken, broken


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_file_and_module_a_document_names_exists(document):
    missing = [name for name in named_paths(document) if not (ROOT / name).exists()]
    missing += [name for name in named_modules(document) if not module_exists(name)]
    assert not missing, missing


def test_every_chapter_the_code_points_to_exists():
    broken = []
    for folder in (*APPS, "bench", "tests"):
        for module in sorted((ROOT / folder).rglob("*.py")):
            for name, anchor in CHAPTER.findall(module.read_text(encoding="utf-8")):
                chapter = ROOT / "docs" / name
                if not chapter.is_file() or (anchor and anchor not in anchors(chapter)):
                    where = module.relative_to(ROOT)
                    broken.append(f"{where}: docs/{name}" + (f"#{anchor}" if anchor else ""))
    assert not broken, broken


def test_the_link_check_finds_a_broken_link_and_anchor(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# A title\n\n[ok](#a-title) [gone](#nothing) [file](missing.md)\n")
    assert relative_links(page) == ["#a-title", "#nothing", "missing.md"]
    assert anchors(page) == {"a-title"}
