package fuzz

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/conformance"
)

var update = flag.Bool("update", false, "rewrite fixtures/crashes from Known")

// KnownDepth is the nesting depth of the committed deep-nesting
// reproducers: about twice the depth Qt 6.4 first crashed at when
// minimised (21,875), so a different stack size still crashes, yet small
// enough to commit.
const knownDepth = 40000

func crashDir() string { return filepath.Join("..", "..", "fixtures", "crashes") }

// TestCrashFixtures keeps fixtures/crashes in step with Known (run with
// -update to rewrite them).
func TestCrashFixtures(t *testing.T) {
	for _, d := range wire.Dialects {
		tc := conformance.TestClass(d, "TestObject")
		for _, k := range Known(d, int32(tc.MethodIndex("add")), int32(tc.MethodIndex("echoVariant")), knownDepth) {
			r := &Reproducer{Dialect: d, Conns: []Input{k.Input}, Meta: map[string]string{
				"requirement": k.Req, "kind": k.Input.Kind, "note": k.Input.Note,
				"verdict": "Qt 5.15 and 6.4 hosts crash; a conforming host survives and answers a fresh client (specs/REQUIREMENTS.md " + k.Req + ")",
			}}
			var buf bytes.Buffer
			if err := r.Write(&buf); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(crashDir(), dialectName(d)+"-"+k.Name+".txt")
			if *update {
				if err := os.MkdirAll(crashDir(), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./specs/fuzz -run TestCrashFixtures -update)", err)
			}
			if !bytes.Equal(got, buf.Bytes()) {
				t.Errorf("%s is out of date (run go test ./specs/fuzz -run TestCrashFixtures -update)", path)
			}
			back, err := ReadReproducerFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if back.Dialect != d || len(back.Conns) != 1 || !bytes.Equal(back.Conns[0].Chunks[0], k.Input.Chunks[0]) || back.Meta["requirement"] != k.Req {
				t.Errorf("%s does not read back as written", path)
			}
		}
		for _, dyn := range []bool{false, true} {
			for _, k := range KnownReplica(replicaModel(d, "testobject", dyn), knownDepth) {
				r := &Reproducer{Dialect: d, Role: RoleReplica, Conns: []Input{k.Input}, Meta: map[string]string{
					"kind": k.Input.Kind, "note": k.Input.Note, "mode": k.Mode, "object": TestObjectName,
					"verdict": "Qt 5.15.8 and 6.4.2 " + k.Mode + " replicas crash (found by qtro fuzz --role replica, written out by hand); a conforming replica survives and answers its adapter",
				}}
				checkFixture(t, r, filepath.Join(crashDir(), dialectName(d)+"-"+k.Name+".txt"))
			}
		}
	}
}

// checkFixture writes r to path with -update, else checks path holds r
// and reads back as it.
func checkFixture(t *testing.T, r *Reproducer, path string) {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./specs/fuzz -run TestCrashFixtures -update)", err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Errorf("%s is out of date (run go test ./specs/fuzz -run TestCrashFixtures -update)", path)
	}
	back, err := ReadReproducerFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Dialect != r.Dialect || back.Role != r.Role || back.Meta["mode"] != r.Meta["mode"] || len(back.Conns) != len(r.Conns) {
		t.Fatalf("%s does not read back as written", path)
	}
	for i := range r.Conns {
		if !slices.EqualFunc(back.Conns[i].Chunks, r.Conns[i].Chunks, bytes.Equal) {
			t.Errorf("%s: connection %d does not read back as written", path, i)
		}
	}
}
