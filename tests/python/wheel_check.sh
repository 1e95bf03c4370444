#!/bin/sh
# `python -m build` makes a wheel of the checkout, which installs into a fresh virtual
# environment with numpy (and matplotlib, for the docs' example) from PyPI, imports, and runs
# docs/python.md's example on the demo model and clip.
#   wheel_check.sh REPO WORK_DIR
set -eu
repo=$1
work=$2
python=${PYTHON:-/usr/bin/python3}
rm -rf "$work"
mkdir -p "$work"
echo "== the build environment and the wheel"
"$python" -m venv "$work/build-env"
"$work/build-env/bin/pip" install -q build
(cd "$repo" && "$work/build-env/bin/python" -m build --wheel --outdir "$work/dist" .)
wheel=$(ls "$work"/dist/adnet-*.whl)
echo "built $wheel"
echo "== a fresh environment: the wheel, numpy and matplotlib from PyPI"
"$python" -m venv "$work/env"
"$work/env/bin/pip" install -q "$wheel" matplotlib
cd "$work"
"$work/env/bin/python" -c "import adnet, numpy; print('adnet', adnet.__version__, 'numpy', numpy.__version__, adnet.__file__)"
"$work/env/bin/python" -c "import adnet; help(adnet)" | grep -q "class Model"
echo "== the docs' example"
MPLBACKEND=Agg "$work/env/bin/python" "$repo/examples/python/segment_folder.py" \
    "$repo/weights/demo-clips/JPEGImages/480p/$(ls "$repo/weights/demo-clips/JPEGImages/480p" | head -1)" \
    "$repo/weights/demo.safetensors" "$work/example" --size 257x145
test -s "$work/example/overlays.png"
ls "$work/example/masks" | grep -c png
echo "wheel check: passed"
