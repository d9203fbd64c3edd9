package capture_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/qtro/qtro/impl/capture"
	"github.com/qtro/qtro/impl/capture/capturetest"
)

var (
	v4Client = netip.MustParseAddrPort("10.0.0.2:51000")
	v4Host   = netip.MustParseAddrPort("10.0.0.1:35001")
	v6Client = netip.MustParseAddrPort("[fd00::2]:51002")
	v6Host   = netip.MustParseAddrPort("[fd00::1]:35001")
)

// payload returns n bytes that differ everywhere, so a misplaced byte shows.
func payload(seed byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7) + byte(i>>8)
	}
	return b
}

func read(t *testing.T, f *capturetest.File) *capture.Capture {
	t.Helper()
	c, err := capture.Read(bytes.NewReader(f.Bytes()), capture.Limits{})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if c.Tail != nil {
		t.Fatalf("Tail: %v", c.Tail)
	}
	return c
}

func checkFlow(t *testing.T, s capture.Stream, d capture.Direction, want []byte) {
	t.Helper()
	got := s.Flows[d].Data
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Errorf("conn %d %s: %d bytes, want %d; first difference at %d", s.ID, d, len(got), len(want), i)
	}
	if len(s.Flows[d].Gaps) != 0 {
		t.Errorf("conn %d %s: unexpected gaps %v", s.ID, d, s.Flows[d].Gaps)
	}
}

// TestReassembly covers every link type, both file formats, IPv4 and IPv6,
// with two interleaved connections whose data is split, reordered,
// retransmitted and overlapped.
func TestReassembly(t *testing.T) {
	for _, lt := range []uint32{capturetest.Ethernet, capturetest.LinuxSLL, capturetest.LinuxSLL2, capturetest.Raw, capturetest.Null} {
		for _, format := range []capturetest.Format{capturetest.Pcap, capturetest.PcapNG} {
			for _, v6 := range []bool{false, true} {
				name := fmt.Sprintf("lt%d/%s/v6=%t", lt, format, v6)
				t.Run(name, func(t *testing.T) {
					f := capturetest.New(format, lt)
					client, host := v4Client, v4Host
					if v6 {
						client, host = v6Client, v6Host
					}
					a := f.Conn(client, host)
					b := f.Conn(netip.AddrPortFrom(client.Addr(), client.Port()+1), host)
					a.Open()
					b.Open()
					aHost, aClient := payload(1, 5000), payload(2, 3000)
					bHost, bClient := payload(3, 700), payload(4, 90)

					// a, host to client: out of order, with a duplicate and an overlap.
					segs := a.Cut(capture.HostToClient, aHost, 1000)
					overlap := capturetest.Segment{Dir: capture.HostToClient, Seq: segs[1].Seq + 500, Data: aHost[1500:2500], ACK: true}
					a.Emit(segs[0], segs[2], segs[1], segs[1], overlap, segs[4], segs[3])
					// b interleaved: tiny segments, each sent twice.
					for _, s := range b.Cut(capture.HostToClient, bHost, 7) {
						b.Emit(s, s)
					}
					a.Send(capture.ClientToHost, aClient, 1)
					b.Send(capture.ClientToHost, bClient, 0)
					a.Close()
					b.Reset(capture.ClientToHost)

					c := read(t, f)
					if len(c.Streams) != 2 {
						t.Fatalf("%d streams, want 2", len(c.Streams))
					}
					sa, sb := c.Streams[0], c.Streams[1]
					if sa.Host != host.String() || sa.Client != client.String() || sa.HostBy != capture.HostBySYN {
						t.Errorf("conn 0: host %s client %s by %v", sa.Host, sa.Client, sa.HostBy)
					}
					checkFlow(t, sa, capture.HostToClient, aHost)
					checkFlow(t, sa, capture.ClientToHost, aClient)
					checkFlow(t, sb, capture.HostToClient, bHost)
					checkFlow(t, sb, capture.ClientToHost, bClient)
					if sa.Closed != [2]string{"FIN", "FIN"} || sb.Closed[capture.ClientToHost] != "RST" {
						t.Errorf("closed: %v %v", sa.Closed, sb.Closed)
					}
					if sa.Flows[0].MidStream || sa.Flows[1].MidStream {
						t.Error("a stream with SYNs is marked mid-stream")
					}
					notes := strings.Join(sa.Notes, "\n")
					if !strings.Contains(notes, "out-of-order") || !strings.Contains(notes, "retransmitted") {
						t.Errorf("notes do not mention reordering and retransmission: %q", notes)
					}
					// Every byte is in some mark, and marks only grow.
					for d := range sa.Flows {
						fl := sa.Flows[d]
						if m, ok := fl.MarkAt(int64(len(fl.Data))); !ok || m.End != int64(len(fl.Data)) {
							t.Errorf("%s: last mark %+v does not cover %d bytes", capture.Direction(d), m, len(fl.Data))
						}
					}
				})
			}
		}
	}
}

// TestBigEndianPcap reads a classic pcap written in big-endian order.
func TestBigEndianPcap(t *testing.T) {
	f := capturetest.New(capturetest.Pcap, capturetest.Ethernet)
	f.BigEndian = true
	c := f.Conn(v4Client, v4Host)
	c.Open()
	c.Send(capture.HostToClient, payload(9, 100), 30)
	got := read(t, f)
	if len(got.Streams) != 1 {
		t.Fatalf("%d streams", len(got.Streams))
	}
	checkFlow(t, got.Streams[0], capture.HostToClient, payload(9, 100))
}

// TestMidStream: without SYNs the host is guessed, from the ports or from
// another connection to the same endpoint, and the flows are marked.
func TestMidStream(t *testing.T) {
	f := capturetest.New(capturetest.Pcap, capturetest.Ethernet)
	// A connection seen from its start establishes 10.0.0.1:35001 as a listener.
	known := f.Conn(netip.MustParseAddrPort("10.0.0.3:50000"), v4Host)
	known.Open()
	// Mid-stream, both ports ephemeral-looking; only the listener tells.
	mid := f.Conn(netip.MustParseAddrPort("10.0.0.2:60001"), netip.MustParseAddrPort("10.0.0.1:35001"))
	mid.Send(capture.ClientToHost, payload(1, 10), 0) // the client speaks first in this capture
	mid.Send(capture.HostToClient, payload(2, 10), 0)
	// Mid-stream between unknown endpoints: the non-ephemeral port is the host.
	guess := f.Conn(netip.MustParseAddrPort("10.0.0.5:41000"), netip.MustParseAddrPort("10.0.0.6:7000"))
	guess.Send(capture.ClientToHost, payload(3, 10), 0)
	c := read(t, f)
	if len(c.Streams) != 3 {
		t.Fatalf("%d streams, want 3", len(c.Streams))
	}
	if s := c.Streams[1]; s.Host != "10.0.0.1:35001" || s.HostBy != capture.HostByListener || !s.Flows[0].MidStream || !s.Flows[1].MidStream {
		t.Errorf("listener stream: host %s by %v, mid-stream %t/%t", s.Host, s.HostBy, s.Flows[0].MidStream, s.Flows[1].MidStream)
	}
	if s := c.Streams[2]; s.Host != "10.0.0.6:7000" || s.HostBy != capture.HostByPorts {
		t.Errorf("port guess: host %s by %v", s.Host, s.HostBy)
	}
	checkFlow(t, c.Streams[1], capture.ClientToHost, payload(1, 10))
}

// TestGaps: a segment the capture lacks, and a packet cut by the snap
// length, become Gaps at the right place.
func TestGaps(t *testing.T) {
	f := capturetest.New(capturetest.PcapNG, capturetest.Ethernet)
	c := f.Conn(v4Client, v4Host)
	c.Open()
	data := payload(5, 400)
	segs := c.Cut(capture.HostToClient, data, 100)
	c.Emit(segs[0], segs[1], segs[3]) // segs[2] is lost
	c.Close()
	got := read(t, f).Streams[0].Flows[capture.HostToClient]
	want := append(append([]byte{}, data[:200]...), data[300:]...)
	if !bytes.Equal(got.Data, want) {
		t.Fatalf("data: %d bytes, want %d", len(got.Data), len(want))
	}
	if len(got.Gaps) != 1 || got.Gaps[0] != (capture.Gap{At: 200, Len: 100}) {
		t.Fatalf("gaps %+v, want one of 100 bytes at 200", got.Gaps)
	}
	if got.StreamOffset(250) != 350 {
		t.Errorf("StreamOffset(250) = %d, want 350", got.StreamOffset(250))
	}

	// Snap length: each packet keeps 54+40 bytes; the rest of each 100-byte
	// payload is missing.
	f = capturetest.New(capturetest.Pcap, capturetest.Ethernet)
	f.Snap = 14 + 20 + 20 + 40
	c = f.Conn(v4Client, v4Host)
	c.Open()
	c.Send(capture.HostToClient, data[:200], 100)
	got = read(t, f).Streams[0].Flows[capture.HostToClient]
	if !bytes.Equal(got.Data, append(append([]byte{}, data[:40]...), data[100:140]...)) {
		t.Fatalf("snapped data %x", got.Data)
	}
	if len(got.Gaps) != 2 || got.Gaps[0] != (capture.Gap{At: 40, Len: 60}) || got.Gaps[1] != (capture.Gap{At: 80, Len: 60}) {
		t.Fatalf("snapped gaps %+v", got.Gaps)
	}
}

// TestPortReuse: a new SYN on a closed 4-tuple starts a new stream; a
// retransmitted SYN does not.
func TestPortReuse(t *testing.T) {
	f := capturetest.New(capturetest.Pcap, capturetest.Raw)
	first := f.Conn(v4Client, v4Host)
	first.Open()
	first.Open() // retransmitted SYN, SYN-ACK and ACK
	first.Send(capture.HostToClient, payload(1, 10), 0)
	first.Close()
	second := f.Conn(v4Client, v4Host) // other ISNs
	second.Open()
	second.Send(capture.HostToClient, payload(2, 10), 0)
	c := read(t, f)
	if len(c.Streams) != 2 {
		t.Fatalf("%d streams, want 2", len(c.Streams))
	}
	checkFlow(t, c.Streams[0], capture.HostToClient, payload(1, 10))
	checkFlow(t, c.Streams[1], capture.HostToClient, payload(2, 10))
}

// TestDamagedFiles: a file cut anywhere, or with corrupt records, yields the
// streams before the damage and says where reading stopped; never a panic.
func TestDamagedFiles(t *testing.T) {
	for _, format := range []capturetest.Format{capturetest.Pcap, capturetest.PcapNG} {
		f := capturetest.New(format, capturetest.LinuxSLL)
		c := f.Conn(v4Client, v4Host)
		c.Open()
		c.Send(capture.HostToClient, payload(1, 300), 50)
		full := f.Bytes()
		want := payload(1, 300)
		truncated := 0
		for cut := 0; cut <= len(full); cut++ {
			got, err := capture.Read(bytes.NewReader(full[:cut]), capture.Limits{})
			if err != nil {
				var fe *capture.FormatError
				if !errors.As(err, &fe) {
					t.Errorf("%s cut at %d: untyped error %v", format, cut, err)
				}
				continue
			}
			if got.Tail != nil {
				truncated++
				if !errors.Is(got.Tail, capture.ErrTruncated) {
					t.Errorf("%s cut at %d: tail %v, want ErrTruncated", format, cut, got.Tail)
				}
			}
			for _, s := range got.Streams {
				if d := s.Flows[capture.HostToClient].Data; !bytes.HasPrefix(want, d) {
					t.Errorf("%s cut at %d: stream data is not a prefix of what was sent", format, cut)
				}
			}
			if cut == len(full) && (got.Tail != nil || len(got.Streams) != 1 || !bytes.Equal(got.Streams[0].Flows[0].Data, want)) {
				t.Errorf("%s uncut: tail %v, %d streams", format, got.Tail, len(got.Streams))
			}
		}
		if truncated < len(full)/2 {
			t.Errorf("%s: only %d of %d cuts reported as truncated", format, truncated, len(full))
		}
		// Flip every byte in turn: no panic, and the error is typed.
		for i := range full {
			bad := append([]byte(nil), full...)
			bad[i] ^= 0xff
			if _, err := capture.Read(bytes.NewReader(bad), capture.Limits{}); err != nil {
				var fe *capture.FormatError
				if !errors.As(err, &fe) {
					t.Errorf("%s byte %d flipped: untyped error %v", format, i, err)
				}
			}
		}
	}
}

// TestHostileHeaders: headers that make gopacket v1.1.19 panic or allocate
// without bound are refused before they reach it.
func TestHostileHeaders(t *testing.T) {
	// Linux SLL with an address length beyond its 8-byte field.
	f := capturetest.New(capturetest.Pcap, capturetest.LinuxSLL)
	sll := make([]byte, 16+40)
	sll[4], sll[5] = 0x03, 0xe8 // address length 1000
	f.AddRaw(sll)
	c := read(t, f)
	if !strings.Contains(strings.Join(c.Notes, "\n"), "malformed") {
		t.Errorf("notes %q do not count the malformed packet", c.Notes)
	}

	// pcapng interface with a timestamp resolution of 2^-127 (gopacket
	// divides by zero).
	ng := capturetest.New(capturetest.PcapNG, capturetest.Ethernet).Bytes()
	idb := bytes.Index(ng, []byte{9, 0, 1, 0, 6})
	if idb < 0 {
		t.Fatal("no if_tsresol option in the generated pcapng")
	}
	ng[idb+4] = 0xff
	got, err := capture.Read(bytes.NewReader(ng), capture.Limits{})
	if err != nil || !errors.Is(got.Tail, capture.ErrCorrupt) {
		t.Errorf("bad if_tsresol: err %v, tail %v", err, got.Tail)
	}

	// A pcap record claiming 2 GiB.
	p := capturetest.New(capturetest.Pcap, capturetest.Ethernet).Bytes()
	p = append(p, make([]byte, 16)...)
	p[24+8], p[24+11], p[24+12], p[24+15] = 0, 0x80, 0, 0x80
	got, err = capture.Read(bytes.NewReader(p), capture.Limits{})
	if err != nil || !errors.Is(got.Tail, capture.ErrLimit) {
		t.Errorf("2 GiB record: err %v, tail %v", err, got.Tail)
	}

	// Input over MaxInput.
	if _, err := capture.Read(bytes.NewReader(make([]byte, 100)), capture.Limits{MaxInput: 50}); !errors.Is(err, capture.ErrLimit) {
		t.Errorf("MaxInput: %v", err)
	}
}

// TestStreamLimit: connections past MaxStreams are skipped and counted.
func TestStreamLimit(t *testing.T) {
	f := capturetest.New(capturetest.Pcap, capturetest.Raw)
	for i := range 5 {
		c := f.Conn(netip.AddrPortFrom(v4Client.Addr(), uint16(50000+i)), v4Host)
		c.Open()
	}
	c, err := capture.Read(bytes.NewReader(f.Bytes()), capture.Limits{MaxStreams: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Streams) != 2 || !strings.Contains(strings.Join(c.Notes, "\n"), "MaxStreams") {
		t.Errorf("%d streams, notes %q", len(c.Streams), c.Notes)
	}
}

// TestPendingLimit: a hole that never fills is given up once the held bytes
// pass MaxPending, and the data after it is kept.
func TestPendingLimit(t *testing.T) {
	f := capturetest.New(capturetest.Pcap, capturetest.Raw)
	c := f.Conn(v4Client, v4Host)
	c.Open()
	segs := c.Cut(capture.HostToClient, payload(1, 1000), 100)
	c.Emit(segs[1:]...)
	got, err := capture.Read(bytes.NewReader(f.Bytes()), capture.Limits{MaxPending: 250})
	if err != nil {
		t.Fatal(err)
	}
	fl := got.Streams[0].Flows[capture.HostToClient]
	if !bytes.Equal(fl.Data, payload(1, 1000)[100:]) || len(fl.Gaps) != 1 || fl.Gaps[0] != (capture.Gap{At: 0, Len: 100}) {
		t.Errorf("data %d bytes, gaps %+v", len(fl.Data), fl.Gaps)
	}
}

// TestGzip reads a gzip-compressed pcap.
func TestGzip(t *testing.T) {
	f := capturetest.New(capturetest.Pcap, capturetest.Ethernet)
	c := f.Conn(v4Client, v4Host)
	c.Open()
	c.Send(capture.HostToClient, payload(1, 100), 0)
	got, err := capture.Read(bytes.NewReader(gzipped(t, f.Bytes())), capture.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	checkFlow(t, got.Streams[0], capture.HostToClient, payload(1, 100))
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
