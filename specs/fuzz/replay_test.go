package fuzz

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/qtro/qtro/specs/conformance"
)

// TestCommittedReproducers replays fixtures/crashes, host-role and
// replica-role ones alike (Replay starts the target in the role the file
// records): the Go node must survive every one; a real Qt 6 host or
// replica (where build/peers/qt6 is built) must crash on every one, which
// is the evidence behind HI-7..HI-10 and the replica-role findings.
func TestCommittedReproducers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts hosts")
	}
	files, err := filepath.Glob(filepath.Join(crashDir(), "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no reproducers in %s: %v", crashDir(), err)
	}
	type check struct {
		target, dialect string
		want            Health
	}
	checks := []check{{"go5", "qt5", Alive}, {"go6", "qt6", Alive}}
	if _, err := os.Stat(filepath.Join("..", "..", "build", "peers", "qt6", "qtro-peer")); err == nil {
		checks = append(checks, check{"qt6", "qt6", Crashed})
	} else {
		t.Log("build/peers/qt6 not built: Qt 6 not checked")
	}
	for _, c := range checks {
		ts, err := conformance.ParseTargets(c.target)
		if err != nil {
			t.Fatal(err)
		}
		s := &TargetStarter{T: ts[0]}
		for _, f := range files {
			r, err := ReadReproducerFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if dialectName(r.Dialect) != c.dialect {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			res, err := Replay(ctx, s, r, 200*time.Millisecond, 5*time.Second)
			cancel()
			if err != nil {
				t.Fatalf("%s on %s: %v", filepath.Base(f), c.target, err)
			}
			if res.Health != c.want {
				t.Errorf("%s on %s: %s %s, want %s", filepath.Base(f), c.target, res.Health, res.Detail, c.want)
			}
		}
		s.Cleanup()
	}
}
