"""Layers point one way: the imports of the project's code, read statically.

Every module of accounts/, booking/, sms/ and config/ is parsed with ast (migrations
aside: they are history and import only what they were written with), and every import
counts, at module level or inside a function, under TYPE_CHECKING or not: an import
written inside a function to dodge a cycle is still the cycle.

- The apps depend in one direction: booking uses accounts and sms, accounts uses sms,
  sms uses neither (it is told what it needs about an appointment, see sms/services.py).
- Services, selectors and models do not import the web side: the page cache, the rate
  limits' decorators, or a view module.
- A view module does not import another view module: shared helpers live in a module
  both can import.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("accounts", "booking", "sms", "config")
APPS = ("accounts", "booking", "sms")
WEB_SIDE = ("booking.pagecache", "booking.ratelimit")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, int]]:
    """The modules ``name`` imports, with the line of each import."""
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                # ``from booking.views.resident import book`` imports booking.views.resident.book.
                submodule = f"{source}.{alias.name}"
                found.append((submodule if submodule in MODULES else source, node.lineno))
    return sorted(set(found), key=lambda item: item[1])


IMPORTS = {name: _imports(name, path) for name, path in MODULES.items()}


def _app(module: str) -> str | None:
    top = module.split(".")[0]
    return top if top in APPS else None


def _is_under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _is_view_module(module: str) -> bool:
    parts = module.split(".")
    return len(parts) > 1 and parts[0] in APPS and parts[1] == "views"


def _is_domain_module(module: str) -> bool:
    """Services, selectors and models, in a package or a single module."""
    parts = module.split(".")
    return len(parts) > 1 and parts[0] in APPS and parts[1] in {"services", "selectors", "models"}


def _where(module: str, line: int) -> str:
    return f"{MODULES[module].relative_to(ROOT)}:{line}"


def test_the_apps_import_each_other_in_one_direction_only():
    edges: dict[tuple[str, str], list[str]] = {}
    for module, imported in IMPORTS.items():
        for target, line in imported:
            source_app, target_app = _app(module), _app(target)
            if source_app and target_app and source_app != target_app:
                edges.setdefault((source_app, target_app), []).append(
                    f"{_where(module, line)} imports {target}"
                )
    # Three apps: a cycle between them includes a pair, or goes round all three.
    cycles = []
    for first in APPS:
        for second in APPS:
            if first < second and (first, second) in edges and (second, first) in edges:
                cycles.append(edges[first, second][:3] + edges[second, first][:3])
    a, b, c = APPS
    for ring in ((a, b, c), (a, c, b)):
        steps = list(zip(ring, ring[1:] + ring[:1], strict=True))
        if all(step in edges for step in steps):
            cycles.append([edges[step][0] for step in steps])
    assert not cycles, "import cycles between apps:\n" + "\n\n".join(
        "\n".join(cycle) for cycle in cycles
    )


def test_services_selectors_and_models_do_not_import_the_web_side():
    wrong = [
        f"{_where(module, line)} imports {target}"
        for module, imported in IMPORTS.items()
        if _is_domain_module(module)
        for target, line in imported
        if any(_is_under(target, web) for web in WEB_SIDE) or _is_view_module(target)
    ]
    assert not wrong, "\n".join(wrong)


def test_no_view_module_imports_another_view_module():
    wrong = [
        f"{_where(module, line)} imports {target}"
        for module, imported in IMPORTS.items()
        if _is_view_module(module)
        for target, line in imported
        if _is_view_module(target) and target != module and target.count(".") > 1
    ]
    assert not wrong, "\n".join(wrong)


def test_the_walk_sees_function_level_and_relative_imports(tmp_path):
    """The walk itself: an import inside a function and a relative one are both seen."""
    path = tmp_path / "example.py"
    path.write_text(
        "def f():\n    from . import mine\n\n\ndef g():\n    import booking.views.resident.mine\n"
    )
    found = [name for name, _line in _imports("booking.views.resident.book", path)]
    assert found.count("booking.views.resident.mine") == 2


def test_what_sms_knows_of_an_appointment_agrees_with_booking():
    """sms names two of booking's values instead of importing them (sms/hooks.py)."""
    from booking.models import Mode, Status
    from sms import hooks

    assert (hooks.BOOKED, hooks.PHONE) == (Status.BOOKED, Mode.PHONE)
