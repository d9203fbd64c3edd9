#!/usr/bin/env bash
# build-qtapps.sh builds qtro-qtapp (fixtures/qtapps: a real Qt host with classes of its own, not the
# project's test objects): build/qtapps/<qt5|qt6|SUITE>/qtro-qtapp (ci/build-qt.sh).
# Usage: ci/build-qtapps.sh [5|6|SUITE]...   (default: 5 and 6; a SUITE is a row of ci/qt-versions.tsv).
exec "$(dirname "$0")/build-qt.sh" qtapps "$@"
