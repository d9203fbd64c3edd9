package adapterload

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/qtro/qtro/specs/contract"
)

// TestRuns: one run per kind (busy while it runs, free again once it
// reported its summary), the result before the run, refusals passed on,
// and Stop ends a run that never finishes without a summary.
func TestRuns(t *testing.T) {
	summaries := make(chan contract.Fields, 4)
	r := &Runs{Report: func(event string, f contract.Fields) {
		if event == contract.EvLoadSummary {
			summaries <- f
		}
	}}
	release := make(chan struct{})
	var order []string
	blocking := func() (*Run, error) {
		return &Run{Result: []any{"k", 1}, Body: func(ctx context.Context, finish func(contract.Fields)) {
			order = append(order, "body")
			select {
			case <-release:
				finish(contract.Fields{{Key: "mode", Value: "test"}})
			case <-ctx.Done():
			}
		}}, nil
	}
	started := func(result []any) { order = append(order, "result") }
	if err := r.Start(context.Background(), "host", blocking, started); err != nil {
		t.Fatal(err)
	}
	var refused *Error
	if err := r.Start(context.Background(), "host", blocking, started); !errors.As(err, &refused) || refused.Name != contract.Busy {
		t.Errorf("second run of a kind: %v, want busy", err)
	}
	bad := func() (*Run, error) { return refuse(contract.BadArgs, "no") }
	if err := r.Start(context.Background(), "calls", bad, started); !errors.As(err, &refused) || refused.Name != contract.BadArgs {
		t.Errorf("a refused run: %v", err)
	}
	close(release)
	select {
	case f := <-summaries:
		if v, _ := f.Get("mode"); v != "test" {
			t.Errorf("summary %v", f)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no summary")
	}
	if len(order) < 2 || order[0] != "result" || order[1] != "body" {
		t.Errorf("order %v, want the result before the run", order)
	}
	release = make(chan struct{})
	if err := r.Start(context.Background(), "host", blocking, started); err != nil {
		t.Fatalf("the kind is not free after the summary: %v", err)
	}
	r.Stop()
	select {
	case f := <-summaries:
		t.Errorf("a stopped run reported %v", f)
	default:
	}
}
