#!/usr/bin/env bash
# Install FARSI (Meta's SoC design-space explorer, MIT licence) beside archgym, in its own venv,
# for the `farsi:` backend of archgym/SoC-v0 and for experiments/soc/ validation runs.
#
#   bash experiments/soc/install_farsi.sh [DEST]        (default DEST: ../farsi next to the repo)
#
# Environment:
#   FARSI_REPO    git URL or local path of a repository holding Project_FARSI/
#                 (default: ArchGym's copy, https://github.com/srivatsankrishnan/oss-arch-gym)
#   FARSI_COMMIT  commit to check out (default 53f745af, the ArchGym commit the calibration used)
#   PYTHON        interpreter for the venv (default python3; 3.9-3.11 work with the pins below)
#
# What it does (nothing lands in the archgym repo):
#   1. Debian packages for pygraphviz (graphviz headers) and a C++ compiler, if missing;
#   2. DEST/src: a checkout of Project_FARSI at FARSI_COMMIT (only that folder);
#   3. DEST/venv: numpy<2 and pandas 1.5 (FARSI uses DataFrame.append, removed in pandas 2);
#   4. CACTI (FARSI's memory area/energy model) rebuilt with its own make;
#   5. a check: the venv imports numpy, pandas and pygraphviz, and CACTI is executable
#      (tests/test_soc_farsi_backend.py then runs FARSI itself through archgym).
# Afterwards: export ARCHGYM_FARSI=DEST/src/Project_FARSI  (the backend finds DEST/venv itself).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../.." && pwd)"
DEST="$(realpath -m "${1:-$REPO_ROOT/../farsi}")"
FARSI_REPO="${FARSI_REPO:-https://github.com/srivatsankrishnan/oss-arch-gym}"
FARSI_COMMIT="${FARSI_COMMIT:-53f745af}"
PYTHON="${PYTHON:-python3}"

echo "== FARSI into $DEST (from $FARSI_REPO @ $FARSI_COMMIT)"
mkdir -p "$DEST"

# 1. system packages ------------------------------------------------------------------------
need=()
pkg-config --exists libcgraph 2>/dev/null || need+=(libgraphviz-dev graphviz)
command -v g++ >/dev/null || need+=(g++)
command -v make >/dev/null || need+=(make)
if ((${#need[@]})); then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" pkg-config
    else
        echo "missing system packages: ${need[*]} (run: sudo apt-get install ${need[*]} pkg-config)" >&2
        exit 1
    fi
fi

# 2. sources: only Project_FARSI/ of the repository --------------------------------------------
if [ ! -d "$DEST/src/Project_FARSI" ]; then
    rm -rf "$DEST/src.tmp" && mkdir -p "$DEST/src.tmp"
    if [ -d "$FARSI_REPO" ]; then   # a local clone or mirror: export just that folder
        git -C "$FARSI_REPO" archive "$FARSI_COMMIT" Project_FARSI | tar -x -C "$DEST/src.tmp"
    else                            # remote: partial clone, only Project_FARSI's files are downloaded
        git clone -q --filter=blob:none --no-checkout "$FARSI_REPO" "$DEST/src.tmp/repo"
        git -C "$DEST/src.tmp/repo" sparse-checkout set Project_FARSI
        git -C "$DEST/src.tmp/repo" checkout -q "$FARSI_COMMIT"
        mv "$DEST/src.tmp/repo/Project_FARSI" "$DEST/src.tmp/" && rm -rf "$DEST/src.tmp/repo"
    fi
    mv "$DEST/src.tmp" "$DEST/src"
fi
FARSI="$DEST/src/Project_FARSI"
test -f "$FARSI/design_utils/design.py" || { echo "no Project_FARSI in $FARSI_REPO" >&2; exit 1; }

# 3. venv ---------------------------------------------------------------------------------------
if [ ! -x "$DEST/venv/bin/python" ]; then
    "$PYTHON" -m venv "$DEST/venv"
fi
"$DEST/venv/bin/pip" install -q --upgrade pip==24.0
"$DEST/venv/bin/pip" install -q numpy==1.26.4 pandas==1.5.3 matplotlib==3.7.5 pygraphviz==1.11 \
    psutil==5.9.8 dill==0.3.8 sympy==1.12 seaborn==0.12.2 scikit-learn==1.3.2 plotly==5.18.0 deap==1.4.1
"$DEST/venv/bin/pip" check

# 4. CACTI ---------------------------------------------------------------------------------------
make -s -C "$FARSI/cacti_for_FARSI" clean >/dev/null 2>&1 || true
make -s -C "$FARSI/cacti_for_FARSI" -j2 >"$DEST/cacti-build.log" 2>&1 \
    || { tail -20 "$DEST/cacti-build.log" >&2; exit 1; }
test -x "$FARSI/cacti_for_FARSI/cacti"

# 5. check the install --------------------------------------------------------------------------------
echo "== smoke test"
"$DEST/venv/bin/python" - "$FARSI" <<'PY'
import sys, os
farsi = sys.argv[1]
print("FARSI at", farsi, "cacti:", os.access(os.path.join(farsi, "cacti_for_FARSI", "cacti"), os.X_OK))
import numpy, pandas, pygraphviz
print("numpy", numpy.__version__, "pandas", pandas.__version__, "pygraphviz", pygraphviz.__version__)
PY
echo "== done. export ARCHGYM_FARSI=$FARSI"
