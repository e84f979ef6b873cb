#!/usr/bin/env bash
# Installs what a fresh clone is missing (idempotent, quiet when nothing is to do):
# system packages where we can install them, npm workspaces, the build, the Python worker venv.
# Usage: prepare.sh [--dev] [--browser]
set -euo pipefail
cd "$(dirname "$0")/../.."
DEV=""; BROWSER=""
for a in "$@"; do case "$a" in --dev) DEV=1;; --browser) BROWSER=1;; esac; done
say() { printf 'glimpse     | %s\n' "$*"; }

need_apt=()
command -v ffmpeg >/dev/null || need_apt+=(ffmpeg)
command -v python3 >/dev/null || need_apt+=(python3 python3-venv)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
if ! command -v nats-server >/dev/null && ! (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then need_apt+=(nats-server); fi
[ -n "$BROWSER" ] && { command -v chromium >/dev/null || need_apt+=(chromium); }
[ -n "$DEV" ] && { command -v docker-compose >/dev/null || need_apt+=(docker-compose); }
# node-canvas (capture's WebRTC snapshots) compiles against the cairo/pango/image libraries when no prebuilt
# binary can be fetched; the worker compiles dlib against OpenBLAS.
if command -v dpkg >/dev/null; then
  for p in build-essential pkg-config libopenblas-dev libcairo2-dev libpango1.0-dev libjpeg-dev libgif-dev librsvg2-dev; do
    dpkg -s "$p" >/dev/null 2>&1 || need_apt+=("$p")
  done
  # the camera tests' RTSP server (test/support/rtsp-server.py): GStreamer's rtsp-server through python3-gi
  if [ -n "$DEV" ]; then
    for p in python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-bad; do
      dpkg -s "$p" >/dev/null 2>&1 || need_apt+=("$p")
    done
  fi
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing system packages: ${need_apt[*]}"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}") >/tmp/glimpse-apt.log 2>&1 \
      || { say "apt-get failed, see /tmp/glimpse-apt.log"; exit 1; }
  else
    say "missing system packages: ${need_apt[*]}"
    say "install them with: sudo apt-get install ${need_apt[*]}  (or your OS's equivalent), then run again"
    exit 1
  fi
fi

stamp=node_modules/.glimpse-install-stamp
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  say "installing npm packages (npm ci)..."
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi

say "building (nx run-many -t build)..."
NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false npx nx run-many -t build --outputStyle=static >/tmp/glimpse-build.log 2>&1 \
  || { cat /tmp/glimpse-build.log; say "build failed"; exit 1; }

bash services/recognizer/worker/setup.sh ${DEV:+--dev}
# the API fuzzer's own venv (test/integration/fuzz.test.ts)
if [ -n "$DEV" ]; then bash infra/scripts/fuzz-setup.sh; fi
# PostgreSQL + pgvector for the matcher tests' Postgres runs (test/support/postgres.ts)
if [ -n "$DEV" ]; then bash infra/scripts/pg-setup.sh; fi
# the Helm chart's offline checkers: Helm's Go SDK, kubernetes-validate, checkov (test/integration/helm.test.ts)
if [ -n "$DEV" ]; then bash infra/scripts/helm-setup.sh; fi
