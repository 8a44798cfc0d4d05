#!/usr/bin/env bash
# Create the reference SCALE-Sim 3.0.0 environment beside the project (never in its dependencies:
# SCALE-Sim 3.0.0 crashes on numpy 2, the project pins numpy 2).
#
#   experiments/systolic/make_scalesim_venv.sh [VENV_DIR]      (default: .venv-scalesim)
#   export ARCHGYM_SCALESIM_PYTHON=$PWD/.venv-scalesim/bin/python
#
# The venv is gitignored.  Versions are pinned so that measured results are reproducible.
set -euo pipefail
PY=${PY:-python3.11}
VENV=${1:-.venv-scalesim}
if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet "scalesim==3.0.0" "numpy==1.26.4"
"$VENV/bin/pip" check
"$VENV/bin/python" -c "import numpy, scalesim.scale_sim; print('scalesim ready, numpy', numpy.__version__)"
echo "export ARCHGYM_SCALESIM_PYTHON=$(cd "$VENV" && pwd)/bin/python"
