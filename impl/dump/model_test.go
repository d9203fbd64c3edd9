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
// Qt 5.15.8, 6.4.2, 6.8.2 and 6.11.2 (fixtures/captures/README.md), the
// committed pcap made from the Qt 5 one, and sessions recorded with
// tcpdump by testdata/model/record_qt_model.py (Qt 5.15.8, 6.4.2, 6.8.2 and
// 6.11.2: a Qt host changed in every way fixtures/qtapps offers, read by
// two Qt replicas of its version, one prefetching). Each lists lines its
// dump must have. And a dynamic replica's session, below.
var modelCaptures = []struct {
	path  string // under fixtures, or in testdata/model
	lines []string
}{
	{"captures/qt5_model_proxy.txt", proxyLines},
	{"captures/qt6_model_proxy.txt", proxyLines},
	{"captures/qt68_model_proxy.txt", proxyLines},
	{"captures/qt611_model_proxy.txt", proxyLines},
	{"pcap/qt5_model_null.pcapng", proxyLines},
	{"qt5_model_session.pcap", sessionLines},
	{"qt6_model_session.pcap", sessionLines},
	{"qt68_model_session.pcap", sessionLines},
	{"qt611_model_session.pcap", sessionLines},
	// A dynamic replica (testdata/model/dynamic_replica.py): Qt 6.4.2 sends
	// the adapter's class definition, the member order the dump assumes.
	{"qt6_model_dynamic.pcap", []string{
		"init availableRoles [0,256] roleNames {0=display 1=decoration 2=edit 3=toolTip 4=statusTip 5=whatsThis 256=value}",
		`class type="QAbstractItemModelAdapter"`,
		"signal 6 resetModel() []",
		"method 5 QtPrivate::MetaAndDataEntries replicaCacheRequest(size_t,QList<int>)",
	}},
}

var proxyLines = []string{"rowRequest rows [1,0]..[1,0] roles [0] (serial 2)", "rowsInserted parent=root first=3 last=3",
	"reply to sizeRequest (serial 1): parent=root 3 rows x 1 column", `DataEntries 1 cell: [1,0] 0="changed"; flags 0x2f`,
	"dataChanged [1,0]..[1,0] roles [0]"}

var sessionLines = []string{
	"init availableRoles [0,256] roleNames {0=display 1=decoration 2=edit 3=toolTip 4=statusTip 5=whatsThis 256=value}",
	"reply to sizeRequest (serial 1): parent=root 5 rows x 2 columns",
	`reply to rowRequest (serial 2): DataEntries 10 cells: [0,0] 0="r0" 256=0, [0,1] 0="r0 c1" 256=invalid,`,
	"cacheRequest size=1000 roles [0,256] (serial 1)",
	`reply to cacheRequest (serial 1): MetaAndDataEntries roles [0,256] root 5 rows x 2 columns, 10 cells: [0,0] 0="r0" 256=0,`,
	"dataChanged [2,0]..[2,0] roles [256]",
	"reply to rowRequest (serial 4): DataEntries 1 cell: [2,0] 256=42; flags 0xa3",
	"rowsInserted parent=root first=2 last=3",
	"rowsRemoved parent=root first=0 last=0",
	"rowsMoved parent=root first=0 last=0 to parent=root row=3",
	"headerDataChanged horizontal first=0 last=0 (+1 stale trailing argument)",
	"headerRequest horizontal 0 role 0 (serial 8)",
	`reply to headerRequest (serial 8): horizontal 0 role 0="Name"`,
	"currentChanged [1,1] previous=none (+1 stale trailing argument)",
	"setCurrentIndex [1,1] command=Clear|Select|Current",
	"resetModel (+1 stale trailing argument)",
	`setData [0,1] role 0 = "fromReplica"`,
	"currentChanged [2,0] previous=none",
}

//go:generate go test . -run TestModelGolden -update

// TestModelGolden dumps the real Qt model captures, as `qtro dump` and
// `qtro dump --json` do, and compares them with testdata/model (-update
// rewrites those files).
func TestModelGolden(t *testing.T) {
	for _, mc := range modelCaptures {
		path := filepath.Join(pcapDir(), "..", mc.path)
		if !strings.Contains(mc.path, "/") {
			path = filepath.Join("testdata", "model", mc.path)
		}
		for _, asJSON := range []bool{false, true} {
			ext := ".txt"
			if asJSON {
				ext = ".jsonl"
			}
			golden := filepath.Join("testdata", "model", filepath.Base(mc.path)+ext)
			t.Run(filepath.Base(golden), func(t *testing.T) {
				var out bytes.Buffer
				sum, err := dump.File(&out, path, dump.Options{JSON: asJSON})
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
				if strings.Contains(out.String(), "not a model") {
					t.Error("a packet of the model was left generic")
				}
				for _, s := range mc.lines {
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
