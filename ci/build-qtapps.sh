#!/usr/bin/env bash
# build-qtapps.sh builds qtro-qtapp (fixtures/qtapps: a real Qt host with classes of its own, not the
# project's test objects): build/qtapps/qt<N>/qtro-qtapp (ci/build-qt.sh).
# Usage: ci/build-qtapps.sh [5|6]...   (default: both).
exec "$(dirname "$0")/build-qt.sh" qtapps "$@"
