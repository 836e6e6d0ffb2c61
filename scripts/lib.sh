# Shared by scripts/demo.sh and scripts/test.sh: a locked environment via uv.
# shellcheck shell=bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Without uv on PATH, a private copy in its own venv: never pip into the machine's Python, and
# not into .venv either, where `uv sync` would remove whatever uv.lock does not list.
UV_TOOLS="$ROOT/.tools/uv"
UV=""

ensure_uv() {  # sets UV to the uv to run
  if command -v uv >/dev/null 2>&1; then
    UV=uv
    return 0
  fi
  UV="$UV_TOOLS/bin/uv"
  [ -x "$UV" ] && return 0
  echo "==> installing uv (the lock-file installer) into .tools/uv/, not the machine's Python" >&2
  if python3 -m venv "$UV_TOOLS" >&2 &&
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$UV_TOOLS/bin/python" -m pip install --quiet "uv>=0.5,<1" >&2; then
    return 0
  fi
  rm -rf "$UV_TOOLS"
  echo "ERROR: uv is not on PATH and could not be installed into .tools/uv/ (needs python3 3.11+" >&2
  echo "       with its venv module). Install uv (https://docs.astral.sh/uv/getting-started/)," >&2
  echo "       or the venv module (Debian: apt-get install python3-venv), and run this again." >&2
  [ "${CI:-}" = "true" ] && echo "       (CI=true: a missing tool fails the run; nothing is skipped)" >&2
  return 1
}

ensure_env() {
  ensure_uv
  # --locked: fail if uv.lock and pyproject.toml disagree, never re-resolve silently.
  # --compile-bytecode: every command and worker starts from bytecode, not source (a Python
  # with PYTHONDONTWRITEBYTECODE set, as here, would otherwise compile each import each time).
  "$UV" sync --locked --compile-bytecode --quiet "$@"
  export PATH="$ROOT/.venv/bin:$PATH"
}
