package dump_test

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/qtro/qtro/fixtures/golden"
	"github.com/qtro/qtro/impl/capture"
	"github.com/qtro/qtro/impl/capture/capturetest"
	"github.com/qtro/qtro/impl/dump"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// frame is one golden frame of a capture: who sent it, its bytes, and what
// it must decode to.
type frame struct {
	dir     capture.Direction
	bytes   []byte
	decoded string
}

func (f frame) String() string { return f.dir.String() + " " + f.decoded }

// recording is the golden frames of one capture file, per connection.
type recording struct {
	name    string // capture file name, e.g. "qt5_registry_proxy.txt"
	dialect wire.Dialect
	conns   [][]frame
}

var recordings []recording

// loadRecordings reads the golden vectors of every traffic capture.
func loadRecordings(t testing.TB) []recording {
	t.Helper()
	if recordings != nil {
		return recordings
	}
	all, err := golden.Load()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*recording{}
	var names []string
	for _, v := range golden.Frames(all) {
		r := byName[v.Capture]
		if r == nil {
			r = &recording{name: v.Capture, dialect: v.Dialect}
			byName[v.Capture] = r
			names = append(names, v.Capture)
		}
		for len(r.conns) <= v.Conn {
			r.conns = append(r.conns, nil)
		}
		d := capture.HostToClient
		if v.Dir == capture.ClientToHost.String() {
			d = capture.ClientToHost
		}
		r.conns[v.Conn] = append(r.conns[v.Conn], frame{dir: d, bytes: v.Bytes, decoded: v.Decoded})
	}
	sort.Strings(names)
	for _, n := range names {
		recordings = append(recordings, *byName[n])
	}
	if len(recordings) < 8 {
		t.Fatalf("golden frames of only %d captures", len(recordings))
	}
	return recordings
}

// harness returns options that know the user types the Qt programs behind
// capture had compiled in (fixtures/golden.HarnessTypes).
func harness(captureName string) dump.Options {
	return dump.Options{BaseTypes: func(d wire.Dialect) *qds.Types { return golden.HarnessTypes(captureName, d) }}
}

// sequence renders a connection's items as "dir text" lines; a fault
// becomes "dir ERROR ...".
func sequence(c dump.Conn) []string {
	var out []string
	for _, it := range c.Items {
		if it.Err != nil {
			out = append(out, fmt.Sprintf("%s ERROR %v", it.Dir, it.Err))
			continue
		}
		out = append(out, it.Dir.String()+" "+wire.Describe(it.Packet))
	}
	return out
}

func want(frames []frame) []string {
	out := make([]string, len(frames))
	for i, f := range frames {
		out[i] = f.String()
	}
	return out
}

// sameSequence reports the first difference between got and want.
func sameSequence(t *testing.T, what string, got, want []string) {
	t.Helper()
	for i := 0; i < len(got) || i < len(want); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("%s: packet %d of %d (want %d):\n got  %s\n want %s", what, i, len(got), len(want), trim(g), trim(w))
			return
		}
	}
}

func trim(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

// shape says how a recording becomes TCP segments.
type shape struct {
	name     string
	linkType uint32
	format   capturetest.Format
	v6       bool
	mss      int  // segment size (0: a segment per unit)
	coalesce bool // a unit is a run of frames in one direction, sent as one write
	reorder  bool // each unit's last segment goes first
	dup      bool // every segment twice, plus one overlapping each boundary
}

var shapes = []shape{
	{name: "ethernet-pcap-whole", linkType: capturetest.Ethernet, format: capturetest.Pcap},
	{name: "ethernet-pcapng-split5", linkType: capturetest.Ethernet, format: capturetest.PcapNG, mss: 5},
	{name: "sll-pcap-coalesced-split100", linkType: capturetest.LinuxSLL, format: capturetest.Pcap, mss: 100, coalesce: true},
	{name: "sll2-pcapng-reordered", linkType: capturetest.LinuxSLL2, format: capturetest.PcapNG, mss: 13, reorder: true},
	{name: "raw-ipv6-retransmitted", linkType: capturetest.Raw, format: capturetest.Pcap, v6: true, mss: 17, dup: true},
	{name: "null-ipv6-everything", linkType: capturetest.Null, format: capturetest.PcapNG, v6: true, mss: 9, coalesce: true, reorder: true, dup: true},
}

// hostAddr and clientAddr are the endpoints of connection i.
func endpoints(i int, v6 bool) (client, host netip.AddrPort) {
	if v6 {
		return netip.AddrPortFrom(netip.MustParseAddr("fd00::2"), uint16(51000+i)), netip.MustParseAddrPort("[fd00::1]:35001")
	}
	return netip.AddrPortFrom(netip.MustParseAddr("10.0.0.2"), uint16(51000+i)), netip.MustParseAddrPort("10.0.0.1:35001")
}

// build writes a recording as a capture file of the given shape, its
// connections interleaved unit by unit.
func build(r recording, s shape) *capturetest.File {
	f := capturetest.New(s.format, s.linkType)
	conns := make([]*capturetest.Conn, len(r.conns))
	next := make([]int, len(r.conns))
	for i := range r.conns {
		client, host := endpoints(i, s.v6)
		conns[i] = f.Conn(client, host)
		conns[i].Open()
	}
	for more := true; more; {
		more = false
		for i, frames := range r.conns {
			if next[i] >= len(frames) {
				continue
			}
			more = true
			dir := frames[next[i]].dir
			var unit []byte
			for next[i] < len(frames) && frames[next[i]].dir == dir {
				unit = append(unit, frames[next[i]].bytes...)
				next[i]++
				if !s.coalesce {
					break
				}
			}
			emit(conns[i], dir, unit, s)
		}
	}
	for _, c := range conns {
		c.Close()
	}
	return f
}

func emit(c *capturetest.Conn, dir capture.Direction, unit []byte, s shape) {
	segs := c.Cut(dir, unit, s.mss)
	if s.reorder && len(segs) > 1 {
		segs = append([]capturetest.Segment{segs[len(segs)-1]}, segs[:len(segs)-1]...)
	}
	var out []capturetest.Segment
	for i, seg := range segs {
		out = append(out, seg)
		if s.dup {
			out = append(out, seg)
			if i+1 < len(segs) && segs[i+1].Seq-seg.Seq == uint32(len(seg.Data)) {
				// Half of this segment and half of the next, as a
				// retransmission with a different cut would carry.
				a, b := seg.Data[len(seg.Data)/2:], segs[i+1].Data[:len(segs[i+1].Data)/2]
				over := capturetest.Segment{Dir: dir, Seq: seg.Seq + uint32(len(seg.Data)/2), ACK: true,
					Data: append(append([]byte{}, a...), b...)}
				out = append(out, over)
			}
		}
	}
	c.Emit(out...)
}

// readFile reads a capture file from fixtures.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func captureFile(name string) string { return filepath.Join(golden.CapturesDir(), name) }

func decodeBytes(t *testing.T, b []byte, opts dump.Options) (*capture.Capture, []dump.Conn) {
	t.Helper()
	c, err := capture.Read(bytes.NewReader(b), capture.Limits{})
	if err != nil {
		t.Fatalf("capture.Read: %v", err)
	}
	return c, dump.Decode(c, opts)
}

func render(t *testing.T, c *capture.Capture, opts dump.Options) (string, dump.Summary) {
	t.Helper()
	var out strings.Builder
	sum, err := dump.Write(&out, c, opts)
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), sum
}
