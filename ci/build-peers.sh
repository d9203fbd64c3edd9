#!/usr/bin/env bash
# build-peers.sh builds the real Qt peers (fixtures/peer): build/peers/<qt5|qt6|SUITE>/qtro-peer (ci/build-qt.sh).
# Usage: ci/build-peers.sh [5|6|SUITE]...   (default: 5 and 6; a SUITE is a row of ci/qt-versions.tsv).
exec "$(dirname "$0")/build-qt.sh" peers "$@"
