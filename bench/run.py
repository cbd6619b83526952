"""Run the benchmarks on a fresh database and record the figures in bench/RESULTS.md.

    python -m bench.run --database sqlite       # a new SQLite file in a temporary folder
    python -m bench.run --database postgresql   # the empty database named by DATABASE_URL

`make bench` runs both, PostgreSQL in a throwaway cluster (scripts/with-postgres). The
database is migrated and filled with generated data, so one that already has tables is
refused: the developer's var/db.sqlite3 or a real database is never written to. Each run
rewrites the section of its database in RESULTS.md and keeps the others.
"""

import argparse
import os
import platform
import re
import secrets
import sys
import tempfile
from datetime import datetime
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
INTRO = """\
# Benchmark results

Reproduce with `make bench`: it runs `python -m bench.run` once on a fresh SQLite file and
once on a throwaway PostgreSQL cluster, and each run rewrites its own section below; `make
load` (`python -m bench.load`) rewrites the load test's. The code of the benchmarks and of
their data sets is in `bench/`. Times are wall-clock milliseconds in one process, and
rates those of a local server and client; compare them only with figures from the same
machine.
"""


def setup_django(database: str, var_dir: str) -> None:
    """Configure settings through the environment, as production does, then set up."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["VAR_DIR"] = var_dir
    if database == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{var_dir}/bench.sqlite3"
    elif not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("bench: --database postgresql needs a PostgreSQL DATABASE_URL.")

    import django

    django.setup()


def prepare_database(database: str) -> None:
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != database:
        sys.exit(f"bench: DATABASE_URL is a {connection.vendor} database, not {database}.")
    if connection.introspection.table_names():
        sys.exit("bench: the database is not empty; benchmarks only write to a fresh one.")
    call_command("migrate", interactive=False, verbosity=0)


def machine() -> str:
    import django
    from django.db import connection

    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        cpu = found.group(1).strip() if found else cpu
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    query = {"sqlite": "SELECT sqlite_version()", "postgresql": "SHOW server_version"}
    with connection.cursor() as cursor:
        cursor.execute(query[connection.vendor])
        version = cursor.fetchone()[0]
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores ({usable} usable); {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}; "
        f"Django {django.get_version()}; {TITLES[connection.vendor]} {version}; "
        f"load average before the run {load}"
    )


def write_section(title: str, body: str) -> None:
    """Replace the ``## title`` section of RESULTS.md, keeping every other section."""
    sections = {}
    if RESULTS.exists():
        for chunk in re.split(r"(?m)^(?=## )", RESULTS.read_text())[1:]:
            sections[chunk.splitlines()[0][3:].strip()] = chunk.strip() + "\n"
    sections[title] = body.strip() + "\n"
    order = [t for t in TITLES.values() if t in sections]
    order += [t for t in sections if t not in order]
    RESULTS.write_text("\n".join([INTRO, *(sections[t] for t in order)]))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=TITLES, required=True)
    parser.add_argument(
        "--only",
        choices=["slots", "crash", "delivery", "pages", "feed"],
        action="append",
        help="run only these benchmarks and print their figures; RESULTS.md is not written",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="legalaid-bench-") as var_dir:
        setup_django(args.database, var_dir)
        prepare_database(args.database)
        from bench import crash, delivery, feed, pages, slots

        # Pages after delivery: the demo office they load books appointments, whose queued
        # text messages the delivery benchmark's worker would send with its own. Crashes
        # before delivery, which leaves due rows behind that the crash workers would send.
        benchmarks = [slots.run, crash.run, delivery.run, pages.run, feed.run]
        if args.only:
            chosen = {
                "slots": slots.run,
                "crash": crash.run,
                "delivery": delivery.run,
                "pages": pages.run,
                "feed": feed.run,
            }
            benchmarks = [run for name, run in chosen.items() if name in args.only]
        header = "\n".join(
            [
                f"## {TITLES[args.database]}",
                "",
                f"- Command: `python -m bench.run --database {args.database}`",
                f"- Date: {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
                f"- Machine: {machine()}",
            ]
        )
        body = "\n\n".join([header, *(benchmark() for benchmark in benchmarks)])
        from django.db import connections

        connections.close_all()

    print(body)
    if args.only:
        return
    write_section(TITLES[args.database], body)
    print(f"\nbench: wrote the {TITLES[args.database]} section of {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
