#!/usr/bin/env bash
# Sets up scriba on a Debian machine: the system packages of the local engines and a Python
# virtual environment in .venv with scriba and its local engines. Safe to run again.
#   EXTRAS=local,dev bash scripts/setup.sh     (the tests' extras)
set -euo pipefail
cd "$(dirname "$0")/.."

EXTRAS="${EXTRAS:-local}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Engines whose data ships in Debian packages: Tesseract and its language data, Apertium and
# its language pairs, espeak-ng. Nothing downloads a model at run time.
APT_PACKAGES=(
  python3 python3-venv
  tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra tesseract-ocr-deu tesseract-ocr-spa
  tesseract-ocr-ita tesseract-ocr-por tesseract-ocr-cat tesseract-ocr-osd
  apertium apertium-eng-spa apertium-fr-es apertium-eng-cat apertium-fra-cat apertium-spa-cat
  apertium-es-pt apertium-en-gl apertium-spa-ita apertium-es-ro
  espeak-ng
)
APT_PACKAGES+=(${EXTRA_APT_PACKAGES:-})

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "scriba setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# torch first, pinned: on these machines this takes the local CPU build; an unpinned torch pulled
# in by another package would be a multi-GB CUDA build.
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -c constraints.txt -e ".[${EXTRAS}]"
echo "scriba setup: ready (.venv/bin/scriba)"
