package loadgen_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/qtro/qtro/loadgen"
	"github.com/qtro/qtro/loadgen/result"
)

// Globs expand without a shell; with expect, the merge waits for shard
// summaries that appear later, and gives up after its wait.
func TestSummaryFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string) {
		s := &result.Summary{Format: result.Format, Name: "x"}
		if err := s.Write(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	write("shard-0.json")
	pat := filepath.Join(dir, "shard-*.json")
	got, err := loadgen.SummaryFiles(context.Background(), []string{pat}, 0, 0)
	if err != nil || len(got) != 1 {
		t.Fatalf("glob: %v %v", got, err)
	}
	// A half-written file does not count.
	if err := os.WriteFile(filepath.Join(dir, "shard-1.json"), []byte(`{"format":`), 0o644); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		write("shard-1.json")
	}()
	got, err = loadgen.SummaryFiles(context.Background(), []string{pat}, 2, 10*time.Second)
	if err != nil || len(got) != 2 {
		t.Fatalf("expect 2: %v %v", got, err)
	}
	if _, err := loadgen.SummaryFiles(context.Background(), []string{pat}, 3, 300*time.Millisecond); err == nil {
		t.Error("a third summary that never comes did not time out")
	}
}

// Shards count from 0; an Indexed Job's index plus an offset names the
// replica shards.
func TestParseShardOffset(t *testing.T) {
	for in, want := range map[string]loadgen.Shard{"0/4": {0, 4}, "2+1/4": {3, 4}, " 0+1/2": {1, 2}} {
		got, err := loadgen.ParseShard(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v, want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"4/4", "3+1/4", "x/4", "1+x/4", "1", "-1/2", "$(JOB_COMPLETION_INDEX)+1/4"} {
		if _, err := loadgen.ParseShard(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
