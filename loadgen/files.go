package loadgen

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/qtro/qtro/loadgen/result"
)

// SummaryFiles expands the glob patterns among args (container images
// FROM scratch have no shell to do it) and, with expect > 0, waits until
// the patterns match that many summaries that parse (shards elsewhere
// write theirs when they finish) or wait passes.
func SummaryFiles(ctx context.Context, args []string, expect int, wait time.Duration) ([]string, error) {
	deadline := time.Now().Add(wait)
	for {
		var files []string
		for _, a := range args {
			if strings.ContainsAny(a, "*?[") {
				m, err := filepath.Glob(a)
				if err != nil {
					return nil, err
				}
				files = append(files, m...)
			} else if _, err := os.Stat(a); err == nil || expect == 0 {
				files = append(files, a)
			}
		}
		if expect <= 0 {
			return files, nil
		}
		ok := len(files) >= expect
		for _, f := range files {
			if _, err := result.Read(f); err != nil {
				ok = false // still being written
			}
		}
		if ok {
			return files, nil
		}
		if !time.Now().Before(deadline) {
			return nil, fmt.Errorf("loadgen: %d of %d summaries after %v: %v", len(files), expect, wait, files)
		}
		t := time.NewTimer(200 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}
