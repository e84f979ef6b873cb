#!/usr/bin/env bash
# `npm start`: prepare a fresh clone, then run the whole stack in the foreground (Ctrl-C stops it).
# On a new machine the worker starts on the prebuilt dlib-bin; stack.js then compiles dlib against OpenBLAS
# in the background and the worker moves to it (GLIMPSE_DLIB=bin: never compile).
set -euo pipefail
cd "$(dirname "$0")/../.."
GLIMPSE_DLIB_LATER=1 bash infra/scripts/prepare.sh
exec node infra/scripts/stack.js
