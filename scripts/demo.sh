#!/usr/bin/env bash
# One command from a fresh clone: set up, then run the whole pipeline on the sample documents.
#   bash scripts/demo.sh [FOLDER_OR_FILES...]     results in ./out (open out/index.html)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ "$#" -eq 0 ]; then set -- samples; fi
status=0
.venv/bin/scriba run "$@" --out out --languages "${LANGUAGES:-es,fr}" || status=$?
echo "results: $(pwd)/out"
# Some sample documents are meant to fail (a password-protected PDF): that is not a demo failure.
if [ "$status" -gt 1 ]; then exit "$status"; fi
