#!/usr/bin/env bash
# Set up a fresh machine and run the test suite: the README's test command, and CI's.
# Needs root for the system packages (bubblewrap for the sandbox, chromium for the
# browser tests, PostgreSQL for the gradebook tests) and the sandbox's uid switch.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

# Debian packages, each only when its command is missing: a machine may already have
# Node.js from elsewhere (NodeSource's nodejs bundles npm and conflicts with Debian's npm).
packages=""
command -v bwrap >/dev/null || packages="$packages bubblewrap"
command -v chromium >/dev/null || packages="$packages chromium"
command -v pg_ctlcluster >/dev/null || packages="$packages postgresql"
command -v node >/dev/null || packages="$packages nodejs"
command -v npm >/dev/null || packages="$packages npm"
# The Kubernetes single-user image's entrypoint names a pod's uid with nss_wrapper.
dpkg -s libnss-wrapper >/dev/null 2>&1 || packages="$packages libnss-wrapper"
if [ -n "$packages" ]; then
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null
fi
# The hub's proxy (autograder hub), from the npm registry.
command -v configurable-http-proxy >/dev/null || npm install -g --silent configurable-http-proxy

# A PostgreSQL server for the gradebook tests, on this machine only.
cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $1" "$2}')
pg_ctlcluster $cluster start 2>/dev/null || true
su postgres -c "psql -qtc \"SELECT 1 FROM pg_roles WHERE rolname='autograder'\"" | grep -q 1 \
  || su postgres -c "psql -qc \"CREATE ROLE autograder LOGIN PASSWORD 'autograder' CREATEDB\""
su postgres -c "psql -qtc \"SELECT 1 FROM pg_database WHERE datname='autograder_test'\"" | grep -q 1 \
  || su postgres -c "createdb -O autograder autograder_test"
export AUTOGRADER_TEST_POSTGRES="postgresql+psycopg://autograder:autograder@localhost/autograder_test"

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -e ".[test]"
.venv/bin/ruff check autograder tests benchmarks
.venv/bin/mypy autograder
# The 15 slowest tests, so a test that grows slow shows in CI's log (not in addopts: a
# local run of one file needs no such table).
.venv/bin/python -m pytest --durations=15 "$@"
# What CI exists for: every lecture executes and every assignment's solution earns full
# marks, its release zero, each counterexample no more than its caps, and its tests refuse
# the share of the solution's mutants its config asks for, on the repository's own courses
# (skipped when pytest is given arguments, e.g. to run one test file). The lectures ran
# once already, in tests/test_content_lectures.py.
if [ "$#" -eq 0 ]; then
  .venv/bin/autograder validate --mutants --no-lectures
fi
