#!/usr/bin/env bash
# build-peers.sh builds the real Qt peers (fixtures/peer): build/peers/qt<N>/qtro-peer (ci/build-qt.sh).
# Usage: ci/build-peers.sh [5|6]...   (default: both).
exec "$(dirname "$0")/build-qt.sh" peers "$@"
