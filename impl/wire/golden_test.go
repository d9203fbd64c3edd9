package wire_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/qtro/qtro/fixtures/golden"
	"github.com/qtro/qtro/impl/capture"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

var update = flag.Bool("update", false, "regenerate fixtures/golden from fixtures/captures")

// conns gives each (capture, connection) its own type registry, as each real
// connection has: gadgets learnt from a class definition stay on it.
type conns map[string]*qds.Types

func (c conns) types(v golden.Vector) *qds.Types {
	k := fmt.Sprintf("%s/%d", v.Capture, v.Conn)
	if c[k] == nil {
		c[k] = golden.HarnessTypes(v.Capture, v.Dialect)
	}
	return c[k]
}

// TestGoldenFrames decodes every frame captured from real Qt, checks the
// decoded form, and re-encodes it byte for byte.
func TestGoldenFrames(t *testing.T) {
	if *update {
		regenerate(t)
	}
	all, err := golden.Load()
	if err != nil {
		t.Fatal(err)
	}
	frames := golden.Frames(all)
	if len(frames) < 150 {
		t.Fatalf("only %d golden frames; the captures hold more", len(frames))
	}
	reg := conns{}
	seen := map[string]bool{}
	for _, v := range frames {
		types := reg.types(v)
		seen[v.Dialect.String()] = true
		rd := wire.NewReader(bytes.NewReader(v.Bytes), v.Dialect, types, wire.Limits{})
		p, err := rd.ReadPacket()
		if err != nil {
			t.Errorf("%s: decode: %v", v.Path, err)
			continue
		}
		if _, err := rd.ReadFrame(); err == nil {
			t.Errorf("%s: more than one frame", v.Path)
		}
		if got := wire.Describe(p); got != v.Decoded {
			t.Errorf("%s: decoded\n%s\nwant\n%s", v.Path, got, v.Decoded)
		}
		out, err := wire.Marshal(v.Dialect, types, p)
		if err != nil {
			t.Errorf("%s: encode: %v", v.Path, err)
			continue
		}
		if !bytes.Equal(out, v.Bytes) {
			t.Errorf("%s: re-encoded\n%x\nwant\n%x", v.Path, out, v.Bytes)
		}
	}
	if !seen["Qt5"] || !seen["Qt6"] {
		t.Errorf("golden frames cover %v, want both dialects", seen)
	}
}

// TestGoldenCoversCaptures proves the golden set is complete: every frame of
// every capture has its golden file with identical bytes.
func TestGoldenCoversCaptures(t *testing.T) {
	want := fromCaptures(t)
	all, err := golden.Load()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	for _, v := range all {
		got[filepath.Base(filepath.Dir(v.Path))+"/"+filepath.Base(v.Path)] = v.Bytes
	}
	for _, v := range want {
		k := filepath.Base(filepath.Dir(v.Path)) + "/" + filepath.Base(v.Path)
		if !bytes.Equal(got[k], v.Bytes) {
			t.Errorf("golden %s missing or stale; run go test ./impl/wire -run TestGolden -update", k)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d golden files, %d captured vectors", len(got), len(want))
	}
}

// fromCaptures turns every capture into vectors (without decoded forms).
func fromCaptures(t *testing.T) []golden.Vector {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(golden.CapturesDir(), "qt*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no captures: %v", err)
	}
	sort.Strings(files)
	var out []golden.Vector
	for _, f := range files {
		base := filepath.Base(f)
		stem := strings.TrimSuffix(base, ".txt")
		d := wire.Qt5
		if strings.HasPrefix(base, "qt6") {
			d = wire.Qt6
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(base, "qvariant_encodings") {
			for i, v := range encodingVectors(data) {
				v.Capture, v.Dialect = base, d
				v.Path = filepath.Join(golden.Dir(), stem, fmt.Sprintf("%03d.txt", i))
				out = append(out, v)
			}
			continue
		}
		recs, err := capture.ParseTranscript(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range recs {
			out = append(out, golden.Vector{
				Path:    filepath.Join(golden.Dir(), stem, fmt.Sprintf("%03d.txt", i)),
				Capture: base, Line: r.Line, Conn: r.Conn, Dir: r.Dir.String(),
				Dialect: d, Kind: "frame", Label: r.Label, Bytes: r.Data,
			})
		}
	}
	return out
}

// encodingVectors parses the "label   hex" lines of a qvariant_encodings
// capture. Most are full QVariants; "raw ..." lines and PyQt's bare QString
// and QByteArray lines are bare values whose type the label names.
func encodingVectors(data []byte) []golden.Vector {
	var out []golden.Vector
	for i, line := range strings.Split(string(data), "\n") {
		label, hexPart, ok := splitEncodingLine(line)
		if !ok {
			continue
		}
		b := decodeHex(hexPart)
		kind := "variant"
		switch {
		case strings.HasPrefix(label, "raw QMap<QString,int>"):
			kind = "QMap<QString,int>"
		case strings.HasPrefix(label, "raw const char*"):
			kind = "cstring"
		case strings.HasPrefix(label, "raw bool"):
			kind = "bool"
		case strings.HasPrefix(label, "raw float"):
			kind = "float"
		case strings.HasPrefix(label, "QString '"), strings.HasPrefix(label, "QString empty"):
			kind = "QString"
		case strings.HasPrefix(label, "QByteArray b'"):
			kind = "QByteArray"
		}
		out = append(out, golden.Vector{Line: i + 1, Kind: kind, Label: label, Bytes: b})
	}
	return out
}

func splitEncodingLine(line string) (label, hexPart string, ok bool) {
	// The label is separated from the hex by a run of at least two spaces.
	idx := strings.Index(line, "  ")
	if idx <= 0 {
		return "", "", false
	}
	label = strings.TrimSpace(line[:idx])
	hexPart = strings.TrimSpace(line[idx:])
	if hexPart == "" || decodeHex(hexPart) == nil {
		return "", "", false
	}
	return label, hexPart, true
}

func decodeHex(s string) []byte {
	var out []byte
	for _, f := range strings.Fields(s) {
		if len(f) != 2 {
			return nil
		}
		var b byte
		if _, err := fmt.Sscanf(f, "%02x", &b); err != nil {
			return nil
		}
		out = append(out, b)
	}
	return out
}

func regenerate(t *testing.T) {
	vs := fromCaptures(t)
	reg := conns{}
	for _, v := range vs {
		if v.Kind == "frame" {
			rd := wire.NewReader(bytes.NewReader(v.Bytes), v.Dialect, reg.types(v), wire.Limits{})
			p, err := rd.ReadPacket()
			if err != nil {
				t.Fatalf("%s: %v", v.Path, err)
			}
			v.Decoded = wire.Describe(p)
		} else {
			val, err := golden.DecodeValue(v, golden.HarnessTypes(v.Capture, v.Dialect))
			if err != nil {
				t.Fatalf("%s: %v", v.Path, err)
			}
			v.Decoded = val.String()
		}
		if err := os.MkdirAll(filepath.Dir(v.Path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(v.Path, []byte(golden.Format(v)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("wrote %d golden files", len(vs))
}
