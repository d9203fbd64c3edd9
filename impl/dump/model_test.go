package dump_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qtro/qtro/impl/capture"
	"github.com/qtro/qtro/impl/dump"
)

// modelCaptures are the real Qt model captures: a QStandardItemModel
// remoted with enableRemoting and read by a QAbstractItemModelReplica, in
// Qt 5.15.8, 6.4.2, 6.8.2 and 6.11.2 (fixtures/captures/README.md), and
// the committed pcap made from the Qt 5 one.
var modelCaptures = []string{
	"captures/qt5_model_proxy.txt",
	"captures/qt6_model_proxy.txt",
	"captures/qt68_model_proxy.txt",
	"captures/qt611_model_proxy.txt",
	"pcap/qt5_model_null.pcapng",
}

//go:generate go test . -run TestModelGolden -update

// TestModelGolden dumps the real Qt model captures, as `qtro dump` and
// `qtro dump --json` do, and compares them with testdata/model (-update
// rewrites those files).
func TestModelGolden(t *testing.T) {
	for _, name := range modelCaptures {
		for _, asJSON := range []bool{false, true} {
			ext := ".txt"
			if asJSON {
				ext = ".jsonl"
			}
			golden := filepath.Join("testdata", "model", filepath.Base(name)+ext)
			t.Run(filepath.Base(golden), func(t *testing.T) {
				var out bytes.Buffer
				sum, err := dump.File(&out, filepath.Join(pcapDir(), "..", name), dump.Options{JSON: asJSON})
				if err != nil {
					t.Fatal(err)
				}
				if sum.Errors != 0 {
					t.Errorf("%d errors", sum.Errors)
				}
				if *update {
					if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v; run go generate ./impl/dump", err)
				}
				if !bytes.Equal(out.Bytes(), want) {
					t.Errorf("dump differs from %s (rewrite with -update if the change is meant):\n%s", golden, out.String())
				}
				for _, s := range []string{"rowRequest rows [1,0]..[1,0] roles [0] (serial 2)", "rowsInserted parent=root first=3 last=3",
					"reply to sizeRequest (serial 1): parent=root 3 rows x 1 column", `DataEntries 1 cell: [1,0] 0="changed"; flags 0x2f`,
					"dataChanged [1,0]..[1,0] roles [0]"} {
					if asJSON {
						s = strings.ReplaceAll(s, `"`, `\"`)
					}
					if !strings.Contains(out.String(), s) {
						t.Errorf("dump lacks %q", s)
					}
				}
			})
		}
	}
}

// TestModelOnlyModels: in every capture of other objects, the dump
// recognises no model, so their output stays as it was.
func TestModelOnlyModels(t *testing.T) {
	for _, r := range loadRecordings(t) {
		if strings.Contains(r.name, "model") {
			continue
		}
		c, err := capture.Read(bytes.NewReader(readFile(t, captureFile(r.name))), capture.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		for _, conn := range dump.Decode(c, harness(r.name)) {
			for _, n := range conn.Notes {
				if strings.Contains(n, "item model") {
					t.Errorf("%s: note %q", r.name, n)
				}
			}
			for _, it := range conn.Items {
				if it.Model != nil || it.ModelNote != "" {
					t.Errorf("%s: %s read as model traffic: %+v %q", r.name, it.Packet.Type(), it.Model, it.ModelNote)
				}
			}
		}
	}
}
