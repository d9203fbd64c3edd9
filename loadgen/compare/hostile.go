package compare

import (
	"context"
	"errors"
	"time"
)

func modelHostile(ctx context.Context, m *modelPair, w Workload, d time.Duration) (*Cell, error) {
	return nil, errors.New("not yet")
}
