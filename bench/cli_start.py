"""How long one `accord` command takes from start to exit, against the least a read can cost.

    .venv/bin/python -m bench.cli_start [--runs 15] [--warmup 2] [--target 2]

Seeds a SQLite database in a temporary ACCORD_HOME (`accord db upgrade`, `accord seed`), then
times, one new process per run, alternating which goes first:

  cli       `accord agreements list` (the console script of this interpreter's environment);
  baseline  a script that imports SQLAlchemy, opens the same database and runs one SELECT of
            the same agreements, printing the rows;
  python    `python -c pass`, the interpreter's own start, for reference only.

Prints the median and spread of each, in wall time and in CPU time (user + system of the
child, which the neighbours' load barely moves), the ratio cli / baseline of the medians in both
and the target. Exits 1 when either ratio misses the target or a command fails. Needs no server.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import load

ROOT = Path(__file__).resolve().parents[1]
SEEDED_SLUG = "hust-rwth-mou"  # both reads must really list the seeded agreements
BASELINE = """
import sys
import sqlalchemy
engine = sqlalchemy.create_engine(sys.argv[1])
with engine.connect() as conn:
    rows = conn.execute(sqlalchemy.text(
        "SELECT id, slug, state, kind, expires_on FROM agreements ORDER BY id")).all()
for row in rows:
    print(*row, sep="  ")
"""


def accord_command() -> list[str]:
    """The `accord` console script installed next to this interpreter, else `python -m`."""
    script = Path(sys.executable).with_name("accord")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli.main"]


@dataclass
class Runs:
    """The wall and CPU seconds of each run of one kind."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(argv: Sequence[str], env: dict[str, str], cwd: str) -> tuple[float, float, str]:
    """Wall and CPU seconds of one process from spawn to exit, and its output; exits on error."""
    cpu = _children_cpu()  # one child at a time: the growth is this child's
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{argv[0]} … exited {done.returncode}: {done.stderr.strip()}")
    return wall, _children_cpu() - cpu, done.stdout


def seed(env: dict[str, str], cwd: str) -> None:
    """A migrated, seeded database in env's ACCORD_HOME, through the CLI itself."""
    for args in (["db", "upgrade"], ["seed"]):
        run_once([*accord_command(), *args], env, cwd)


def summary(name: str, runs: Runs) -> str:
    """One line: median, min and max of the wall and the CPU milliseconds of one kind."""
    parts = [f"{name:9}"]
    for label, seconds in (("wall", runs.wall), ("cpu", runs.cpu)):
        ms = sorted(t * 1000 for t in seconds)
        parts.append(
            f"{label} median {statistics.median(ms):7.1f} ms (min {ms[0]:7.1f}, max {ms[-1]:7.1f})"
        )
    return "   ".join(parts)


def ratio(cli: Sequence[float], baseline: Sequence[float]) -> float:
    """cli / baseline of the medians."""
    return statistics.median(cli) / statistics.median(baseline)


def bytecode() -> str:
    """Compile Accord's own modules as a user's Python would on its first run, so both sides
    read bytecode (scripts/lib.sh installs the packages compiled). Where PYTHONDONTWRITEBYTECODE
    is set, as on our machines, nothing else writes it and both would compile every import."""
    packages = [ROOT / name for name in ("cli", "workflow", "models", "notify", "tasks")]
    ok = all(compileall.compile_dir(p, quiet=1, force=False) for p in packages)
    return "Accord's modules compiled" if ok else "Accord's modules failed to compile"


def main(argv: Sequence[str] | None = None) -> int:
    """Seed, time the three kinds interleaved, print the medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="measured runs of each kind")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs of each kind first")
    parser.add_argument("--target", type=float, default=2.0, help="the most cli / baseline may be")
    args = parser.parse_args(argv)

    compiled = bytecode()
    print(f"bytecode: {compiled}")
    with tempfile.TemporaryDirectory(prefix="accord-cli-start-") as home:
        # The temporary folder is every command's working directory too, so each one imports
        # Accord as installed (not from a checkout in the current folder), as a user's would.
        env = {**os.environ, "ACCORD_HOME": home}
        env.pop("ACCORD_DATABASE_URL", None)
        seed(env, home)
        url = f"sqlite:///{Path(home, 'accord.db').resolve()}"
        kinds = {
            "cli": [*accord_command(), "agreements", "list"],
            "baseline": [sys.executable, "-c", BASELINE, url],
            "python": [sys.executable, "-c", "pass"],
        }
        times = {name: Runs() for name in kinds}
        print(f"load average before: {load()}")
        for i in range(args.warmup + args.runs):
            # Alternate the order, so neither kind always runs right after the other.
            order = list(kinds) if i % 2 == 0 else list(reversed(kinds))
            for name in order:
                wall, cpu, out = run_once(kinds[name], env, home)
                if name != "python" and SEEDED_SLUG not in out:
                    sys.exit(f"{name}: the seeded agreements are missing from its output")
                if i >= args.warmup:
                    times[name].wall.append(wall)
                    times[name].cpu.append(cpu)
        print(f"load average after:  {load()}")

    for name, runs in times.items():
        print(summary(name, runs))
    missed = False
    for label in ("wall", "cpu"):
        r = ratio(getattr(times["cli"], label), getattr(times["baseline"], label))
        missed |= r > args.target
        verdict = "met" if r <= args.target else "MISSED"
        print(f"cli / baseline, {label}: {r:.2f}x (target <= {args.target:g}x: {verdict})")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
