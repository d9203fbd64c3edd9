package adapter

import (
	"context"

	"github.com/qtro/qtro/internal/checkout"
)

// QtPeer returns the path of the Qt peer built against Qt major (5 or 6):
// $QTRO_QT5_PEER / $QTRO_QT6_PEER win; otherwise ci/build-peers.sh is run
// once per process (it rebuilds only when the sources changed) in the
// checkout ($QTRO_ROOT, or found above the working directory). It is
// checkout.QtPeer, exported for drivers outside this module.
func QtPeer(ctx context.Context, major int) (string, error) { return checkout.QtPeer(ctx, major) }
