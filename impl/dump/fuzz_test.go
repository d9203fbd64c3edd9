package dump_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/qtro/qtro/fixtures/golden"
	"github.com/qtro/qtro/impl/capture"
	"github.com/qtro/qtro/impl/dump"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// Limits for fuzzing: small, so a hostile input cannot make a run use more
// than a few megabytes whatever it claims.
var (
	fuzzCapture = capture.Limits{MaxInput: 1 << 20, MaxPacket: 1 << 16, MaxStreams: 64, MaxPending: 1 << 16}
	fuzzOptions = dump.Options{
		Limits:  wire.Limits{MaxFrameSize: 1 << 20, Values: qds.Limits{MaxDepth: 32, MaxElements: 1 << 12, MaxBytes: 1 << 20}},
		Gadgets: []dump.Gadget{{Name: "MyPOD", Fields: []string{"x", "s"}}},
	}
)

// FuzzDumpPcap feeds arbitrary bytes to the pcap/pcapng reader and the
// dumper; seeds are the committed pcaps, the recorded Qt model sessions
// (testdata/model) and pcaps made from every golden recording.
// Run: go test ./impl/dump -run '^$' -fuzz FuzzDumpPcap
func FuzzDumpPcap(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(pcapDir(), "*.pcap*"))
	models, _ := filepath.Glob(filepath.Join("testdata", "model", "*.pcap"))
	for _, p := range append(files, models...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for i, r := range loadRecordings(f) {
		f.Add(build(r, shapes[i%len(shapes)]).Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := capture.ReadPcap(bytes.NewReader(data), fuzzCapture)
		if err != nil {
			return
		}
		checkDump(t, c)
	})
}

// FuzzDumpTranscript feeds arbitrary text to the transcript reader and the
// dumper; seeds are fixtures/captures. Run: go test ./impl/dump -run '^$'
// -fuzz FuzzDumpTranscript
func FuzzDumpTranscript(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(golden.CapturesDir(), "*.txt"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := capture.ReadTranscript(bytes.NewReader(data), fuzzCapture)
		if err != nil {
			return
		}
		checkDump(t, c)
	})
}

// FuzzDumpFlows feeds arbitrary byte streams straight to the framer and
// decoder (no container format in the way), with and without a known
// start, and with a hole; seeds are the golden connections.
func FuzzDumpFlows(f *testing.F) {
	for _, r := range loadRecordings(f) {
		for _, conn := range r.conns {
			host, _ := frames(conn, capture.HostToClient)
			client, _ := frames(conn, capture.ClientToHost)
			f.Add(host, client, false, uint16(0))
			f.Add(host[min(len(host), 9):], client, true, uint16(len(host)/2))
		}
	}
	f.Fuzz(func(t *testing.T, host, client []byte, midStream bool, gapAt uint16) {
		s := capture.Stream{}
		for d, b := range [][]byte{host, client} {
			fl := &s.Flows[d]
			fl.Data, fl.MidStream = b, midStream
			half := int64(len(b) / 2)
			fl.Marks = []capture.Mark{{End: half, Order: 2 * d}, {End: int64(len(b)), Order: 2*d + 1}}
			if int(gapAt) < len(b) && gapAt > 0 {
				fl.Gaps = []capture.Gap{{At: int64(gapAt), Len: 10}}
			}
		}
		checkDump(t, &capture.Capture{Format: "fuzz", Streams: []capture.Stream{s}})
	})
}

// checkDump decodes and renders c and checks what must hold for any input:
// decoded frames lie where their headers say, in order, without overlap,
// and both renderings work (the JSON one line of valid JSON per object).
func checkDump(t *testing.T, c *capture.Capture) {
	conns := dump.Decode(c, fuzzOptions)
	for _, conn := range conns {
		var end [2]int64
		for _, it := range conn.Items {
			if it.Offset < 0 {
				t.Fatalf("conn %d: negative offset %d", conn.ID, it.Offset)
			}
			if it.Err != nil {
				continue
			}
			if it.Packet == nil || int64(len(it.Frame)) != 4+int64(it.Size) || it.Packet.Type() != it.Type {
				t.Fatalf("conn %d: decoded item at %d: %d bytes for size %d, packet %v", conn.ID, it.Offset, len(it.Frame), it.Size, it.Packet)
			}
			if it.Offset < end[it.Dir] {
				t.Fatalf("conn %d %s: frame at %d overlaps the one before, which ends at %d", conn.ID, it.Dir, it.Offset, end[it.Dir])
			}
			end[it.Dir] = it.Offset + int64(len(it.Frame))
		}
	}
	text, js := &fuzzBufs[0], &fuzzBufs[1]
	text.Reset()
	if err := dump.Render(text, c, conns, fuzzOptions); err != nil {
		t.Fatal(err)
	}
	opts := fuzzOptions
	opts.JSON, opts.Hex = true, true
	js.Reset()
	if err := dump.Render(js, c, conns, opts); err != nil {
		t.Fatal(err)
	}
	for rest := bytes.TrimSpace(js.Bytes()); ; {
		line, more, found := bytes.Cut(rest, []byte("\n"))
		if !json.Valid(line) {
			t.Fatalf("invalid JSON line: %s", line)
		}
		if !found {
			break
		}
		rest = more
	}
}

// fuzzBufs are checkDump's output buffers, kept from one input to the next
// (a fuzz worker runs its inputs one at a time) so that each does not grow
// its own.
var fuzzBufs [2]bytes.Buffer
