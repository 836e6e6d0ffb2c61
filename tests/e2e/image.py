"""The Dockerfile's image laid out in a folder, for machines without a Docker engine.

`build_image` reads the Dockerfile and does what each line says, in a temporary folder standing
for the image's WORKDIR: COPY copies from the checkout, `uv sync` builds the venv there, ENV is
collected with the WORKDIR mapped onto the folder, and `install -d -o USER` folders are made and
handed to that user. Everything else stays root's, so the image's user can read the files and
the venv but write only where the Dockerfile says. A RUN line this module does not know fails
the build: teach it here, never let the emulation drift from the Dockerfile.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASE_PATH = "/usr/local/bin:/usr/bin:/bin"  # the python:*-slim images' PATH, roughly
SUPPORTED = ((3, 11), (3, 13))  # pyproject.toml's requires-python


@dataclass
class Image:
    """The laid-out image: where its WORKDIR lives here, its user, its environment."""

    workdir: Path
    image_workdir: str
    user: str
    runs_as: str  # the last USER: the interpreter must be one this user can run
    env: dict[str, str] = field(default_factory=dict)
    writable: list[Path] = field(default_factory=list)

    def as_user(self, user: str | None = None) -> list[str]:
        """The prefix that runs a command as the image's user, with no supplementary groups."""
        user = user or self.user
        if user == "root":
            return []
        group = "nogroup" if user == "nobody" else user
        return ["setpriv", "--reuid", user, "--regid", group, "--clear-groups", "--"]

    def here(self, path: str) -> Path:
        """An image path (under WORKDIR) as a path in the folder."""
        return self.workdir / Path(path).relative_to(self.image_workdir)


def _version(python: str, prefix: list[str]) -> str:
    code = "import sys; print('.'.join(map(str, sys.version_info[:3])))"
    run = subprocess.run([*prefix, python, "-c", code], capture_output=True, text=True, timeout=30)
    return run.stdout.strip() if run.returncode == 0 else ""


def python_for(user_prefix: list[str]) -> str:
    """A supported interpreter the image's user can run (the image's own is python:3.11)."""
    base: str = getattr(sys, "_base_executable", sys.executable)  # outside any venv
    candidates = [os.path.realpath(base)]
    for name in ("python3.11", "python3.12", "python3.13", "python3"):
        found = shutil.which(name, path=BASE_PATH)
        if found:
            candidates.append(os.path.realpath(found))
    for python in dict.fromkeys(candidates):  # in order, once each
        mine = _version(python, [])
        parts = tuple(int(p) for p in mine.split(".")[:2]) if mine else (0, 0)
        # The same version for the user as for us: the user really runs this interpreter.
        if SUPPORTED[0] <= parts <= SUPPORTED[1] and _version(python, user_prefix) == mine:
            return python
    raise AssertionError(
        f"no Python 3.11-3.13 that nobody may run (tried {candidates}): apt-get install python3"
    )


def _uv() -> str:
    found = shutil.which("uv") or str(ROOT / ".tools" / "uv" / "bin" / "uv")
    assert Path(found).exists(), "no uv: run `bash scripts/test.sh`, which installs it"
    return found


def _run(image: Image, argv: list[str]) -> None:
    """A RUN line of the Dockerfile, for the few forms the image uses."""
    if argv[:2] == ["pip", "install"] and any(a.startswith("uv") for a in argv):
        return  # the image's uv; ours is already here
    if argv[:2] == ["uv", "sync"]:
        env = {**os.environ, **image.env, "UV_PYTHON_DOWNLOADS": "never"}
        env.pop("VIRTUAL_ENV", None)
        python = python_for(image.as_user(image.runs_as))
        subprocess.run(
            [_uv(), *argv[1:], "--quiet", "--python", python],
            cwd=image.workdir, env=env, check=True, timeout=300,
        )  # fmt: skip
        return
    if argv[:2] == ["install", "-d"]:
        owner = argv[argv.index("-o") + 1]
        group = argv[argv.index("-g") + 1] if "-g" in argv else owner
        for path in (a for a in argv[2:] if a.startswith("/")):
            folder = image.here(path)
            folder.mkdir(parents=True, exist_ok=True)
            shutil.chown(folder, owner, group)
            image.writable.append(folder)
        return
    raise AssertionError(f"tests/e2e/image.py does not know this RUN line: {shlex.join(argv)}")


def _expand(image: Image, value: str) -> str:
    value = value.replace("$PATH", image.env.get("PATH", BASE_PATH))
    # Image paths under WORKDIR point into the folder (not /application, not /apply).
    return re.sub(
        rf"(?<![\w/]){re.escape(image.image_workdir)}(?=/|:|$)", str(image.workdir), value
    )


def build_image(folder: Path, dockerfile: Path = ROOT / "Dockerfile") -> Image:
    """Lay the image out under `folder` (which must be traversable by everyone)."""
    split = (shlex.split(line, comments=True) for line in dockerfile.read_text().splitlines())
    lines = [words for words in split if words]
    users = [words[1] for words in lines if words[0].upper() == "USER"]
    image = Image(folder, "/", "root", (users or ["root"])[-1], env={"PATH": BASE_PATH})
    for words in lines:
        op, args = words[0].upper(), words[1:]
        if op == "WORKDIR":
            image.image_workdir, image.workdir = args[0], folder / args[0].lstrip("/")
            image.workdir.mkdir(parents=True, exist_ok=True)
        elif op == "COPY":
            *sources, target = args
            for source in sources:
                into = image.workdir / target / (Path(source).name if target.endswith("/") else "")
                if (ROOT / source).is_dir():
                    ignore = shutil.ignore_patterns("__pycache__")  # as .dockerignore says
                    shutil.copytree(ROOT / source, into, ignore=ignore, dirs_exist_ok=True)
                else:
                    shutil.copy2(ROOT / source, into)
        elif op == "ENV":
            for pair in args:
                name, _, value = pair.partition("=")
                image.env[name] = _expand(image, value)
        elif op == "RUN":
            _run(image, args)
        elif op == "USER":
            image.user = args[0]
        elif op not in ("FROM", "CMD"):
            raise AssertionError(f"tests/e2e/image.py does not know {shlex.join(words)}")
    return image
