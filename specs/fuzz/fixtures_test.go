package fuzz

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
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
	}
}
