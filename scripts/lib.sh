# Shared by scripts/demo.sh and scripts/test.sh: a locked environment via uv.
# shellcheck shell=bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

uv_cmd() {
  if command -v uv >/dev/null 2>&1; then
    uv "$@"
  else
    python3 -m uv "$@"
  fi
}

ensure_env() {
  if ! command -v uv >/dev/null 2>&1 && ! python3 -m uv --version >/dev/null 2>&1; then
    echo "==> installing uv (the lock-file installer)" >&2
    python3 -m pip install --quiet "uv>=0.5,<1"
  fi
  # --locked: fail if uv.lock and pyproject.toml disagree, never re-resolve silently.
  uv_cmd sync --locked --quiet "$@"
  export PATH="$ROOT/.venv/bin:$PATH"
}
