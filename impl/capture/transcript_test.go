package capture_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qtro/qtro/fixtures/golden"
	"github.com/qtro/qtro/impl/capture"
)

// TestTranscriptStreams: every frame record of every capture lands in its
// connection's flow, in order, and the flows hold exactly the frames.
func TestTranscriptStreams(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(golden.CapturesDir(), "qt*.txt"))
	if len(files) == 0 {
		t.Fatal("no captures")
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := capture.ParseTranscript(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		c, err := capture.Read(bytes.NewReader(data), capture.Limits{})
		if strings.Contains(path, "qvariant_encodings") {
			// Those files list QVariant encodings, not traffic.
			if !errors.Is(err, capture.ErrNoTraffic) {
				t.Errorf("%s: err %v, want ErrNoTraffic", path, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var want [8][2][]byte
		for _, r := range recs {
			want[r.Conn][r.Dir] = append(want[r.Conn][r.Dir], r.Data...)
		}
		for _, s := range c.Streams {
			for d := range s.Flows {
				if !bytes.Equal(s.Flows[d].Data, want[s.ID][d]) {
					t.Errorf("%s conn %d %s: flow differs from the records", path, s.ID, capture.Direction(d))
				}
				if n := len(s.Flows[d].Marks); n > 0 && s.Flows[d].Marks[n-1].End != int64(len(s.Flows[d].Data)) {
					t.Errorf("%s conn %d: marks end at %d of %d bytes", path, s.ID, s.Flows[d].Marks[n-1].End, len(s.Flows[d].Data))
				}
			}
		}
		if strings.Contains(path, "registry") && len(c.Streams) != 2 {
			t.Errorf("%s: %d connections, want 2", path, len(c.Streams))
		}
		if c.Timed != strings.Contains(string(data), "] S->C") {
			t.Errorf("%s: Timed = %t", path, c.Timed)
		}
	}
}
