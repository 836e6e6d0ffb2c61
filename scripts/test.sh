#!/usr/bin/env bash
# The whole test suite: locked install, real services, lint, type-check, then every test.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/services.sh"

ensure_env
ensure_services

echo "==> ruff" >&2
ruff check .
ruff format --check .
echo "==> mypy" >&2
mypy
echo "==> pytest" >&2
pytest "$@"
