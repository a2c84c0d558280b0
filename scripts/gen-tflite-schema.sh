#!/usr/bin/env bash
# Regenerates src/ml/export/tflite/generated/ from tflite_subset.fbs with flatc
# (Debian: apt-get install flatbuffers-compiler). The generated files are
# committed; the app never runs flatc. flatc's TypeScript has unused imports, so
# each file is marked @ts-nocheck for this project's strict noUnusedLocals.
set -euo pipefail
cd "$(dirname "$0")/.."
out=src/ml/export/tflite/generated
rm -rf "$out"
flatc --ts -o "$out" src/ml/export/tflite/tflite_subset.fbs
find "$out" -name '*.ts' -exec sed -i '1i // @ts-nocheck' {} +
