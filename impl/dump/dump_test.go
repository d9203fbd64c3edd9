package dump_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/qtro/qtro/impl/capture"
	"github.com/qtro/qtro/impl/capture/capturetest"
	"github.com/qtro/qtro/impl/dump"
	"github.com/qtro/qtro/impl/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestTranscripts dumps every traffic capture in fixtures/captures, given
// the harness's compiled-in types: no errors, and every connection decodes
// to exactly its golden packets, in order.
func TestTranscripts(t *testing.T) {
	for _, r := range loadRecordings(t) {
		t.Run(r.name, func(t *testing.T) {
			opts := harness(r.name)
			c, conns := decodeBytes(t, readFile(t, captureFile(r.name)), opts)
			if len(conns) != len(r.conns) {
				t.Fatalf("%d connections, want %d", len(conns), len(r.conns))
			}
			for i, conn := range conns {
				if conn.Dialect != r.dialect || conn.DialectBy != "Handshake" {
					t.Errorf("conn %d: dialect %s by %q, want %s from the Handshake", i, conn.Dialect, conn.DialectBy, r.dialect)
				}
				sameSequence(t, fmt.Sprintf("conn %d", i), sequence(conn), want(r.conns[i]))
			}
			_, sum := render(t, c, opts)
			if sum.Errors != 0 || sum.Packets == 0 {
				t.Errorf("summary %+v, want packets and no errors", sum)
			}
		})
	}
}

// TestTranscriptLines checks specific lines of the text output.
func TestTranscriptLines(t *testing.T) {
	cases := []struct {
		capture string
		lines   []string // regular expressions, each must match a whole line
	}{
		{"qt5_static_repc_replica_proxy.txt", []string{
			`^\s+0\.281000  S->C\s+0\s+22  Handshake "QtRO 1\.3"$`,
			`^\s+0\.281000  S->C\s+26\s+82  ObjectList \["Simple" type="Simple" signature="fbcfe264d670dd895dc1bc17a8c1431e5843a72f"\]$`,
			`^\s+[0-9.]+  C->S\s+\d+\s+\d+  InvokePacket "Simple" call=invoke index=3 args=\[int 2, int 3\] serial=1 property=-1$`,
			`^\s+[0-9.]+  S->C\s+\d+\s+\d+  InvokeReplyPacket "Simple" serial=1 value=int 5$`,
			`^\s+[0-9.]+  S->C\s+\d+\s+\d+  InitPacket "Simple" values=\[int 0, QString "lbl", int 0, MyPOD \{x: int 0, s: QString null\}\]$`,
		}},
		{"qt6_static_repc_replica_proxy.txt", []string{
			`^\s+[0-9.]+  S->C\s+0\s+22  Handshake "QtRO 2\.0"$`,
			`ObjectList \["Simple" type="Simple" signature="[0-9a-f]{40}"\]$`,
		}},
		{"qt5_dynamic_demo_rawclient.txt", []string{
			`^\s+-  S->C\s+0\s+22  Handshake "QtRO 1\.3"$`,
			`^\s+-  S->C\s+\d+\s+\d+  InvokeReplyPacket "Demo" serial=5 value=int 5$`,
			`^\s+-  C->S\s+\d+\s+\d+  InvokePacket "Demo" call=invoke index=0 args=\[int 2, int 3\] serial=5 property=-1$`,
			// The class definition is indented under the packet column.
			`^ {42}gadget MyPod \{int x, QString s\}$`,
		}},
		{"qt6_registry_proxy.txt", []string{
			`^connection 1: Qt6 "QtRO 2\.0" \(dialect: Handshake\)$`,
			`InvokePacket "Registry" call=invoke index=0 args=\[std::pair<QString,QRemoteObjectSourceLocationInfo> \{"Simple" type="Simple" url="tcp://127\.0\.0\.1:38206"\}\]`,
			`^summary: 2 connections shown, 14 packets, 0 errors$`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.capture, func(t *testing.T) {
			c, err := capture.Read(bytes.NewReader(readFile(t, captureFile(tc.capture))), capture.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			out, _ := render(t, c, harness(tc.capture))
			for _, l := range tc.lines {
				if !regexp.MustCompile(`(?m)` + l).MatchString(out) {
					t.Errorf("no line matches %s in\n%s", l, out)
				}
			}
		})
	}
}

// TestUnknownUserType: without the harness's types a repc POD cannot be
// decoded; the dump says which type and how to declare it, goes on with the
// next frame, and with the declaration everything decodes.
func TestUnknownUserType(t *testing.T) {
	data := readFile(t, captureFile("qt5_static_repc_replica_proxy.txt"))
	c, conns := decodeBytes(t, data, dump.Options{})
	var failed []dump.Item
	for _, it := range conns[0].Items {
		if it.Err != nil {
			failed = append(failed, it)
		}
	}
	if len(failed) == 0 {
		t.Fatal("no frame failed without the MyPOD declaration")
	}
	if name, ok := dump.UnknownUserType(failed[0].Err); !ok || name != "MyPOD" || failed[0].Type != wire.InitPacket {
		t.Errorf("first failure: %s %v (unknown type %q)", failed[0].Type, failed[0].Err, name)
	}
	out, sum := render(t, c, dump.Options{})
	for _, s := range []string{"InitPacket: ERROR: unknown user type MyPOD", "--gadget 'MyPOD=field1,field2,...'", "hex: 00 00 00 58 00 02"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q", s)
		}
	}
	if len(sum.UnknownTypes) != 1 || sum.UnknownTypes[0] != "MyPOD" || sum.Packets < 20 {
		t.Errorf("summary %+v: want MyPOD unknown and the other packets decoded", sum)
	}
	g, err := dump.ParseGadget("MyPOD=x,s")
	if err != nil {
		t.Fatal(err)
	}
	_, sum = render(t, c, dump.Options{Gadgets: []dump.Gadget{g}})
	if sum.Errors != 0 {
		t.Errorf("with --gadget MyPOD=x,s: %d errors", sum.Errors)
	}
}

// TestLearntGadgetHint: the dynamic demo's MyPod is declared by the class
// definition but streamed by hand-written operators as bare fields; the dump
// suggests the typed declaration, which then decodes everything.
func TestLearntGadgetHint(t *testing.T) {
	for _, name := range []string{"qt5_dynamic_demo_rawclient.txt", "qt6_dynamic_demo_rawclient.txt"} {
		c, conns := decodeBytes(t, readFile(t, captureFile(name)), dump.Options{})
		hint := ""
		for _, it := range conns[0].Items {
			if it.Err != nil {
				hint = it.Hint
				break
			}
		}
		const decl = "--gadget 'MyPod=x:int,s:QString'"
		if !strings.Contains(hint, decl) {
			t.Errorf("%s: hint %q lacks %s", name, hint, decl)
		}
		g, _ := dump.ParseGadget("MyPod=x:int,s:QString")
		_, sum := render(t, c, dump.Options{Gadgets: []dump.Gadget{g}})
		if sum.Errors != 0 {
			t.Errorf("%s with %s: %d errors", name, decl, sum.Errors)
		}
	}
}

// TestPcap: every recording, written as pcap/pcapng in several link types
// and segmentations (split, coalesced, reordered, retransmitted, IPv6, two
// interleaved connections), dumps to exactly its golden packet sequence.
func TestPcap(t *testing.T) {
	for _, r := range loadRecordings(t) {
		for _, s := range shapes {
			t.Run(r.name+"/"+s.name, func(t *testing.T) {
				file := build(r, s)
				_, conns := decodeBytes(t, file.Bytes(), harness(r.name))
				if len(conns) != len(r.conns) {
					t.Fatalf("%d connections, want %d", len(conns), len(r.conns))
				}
				for i, conn := range conns {
					client, host := endpoints(i, s.v6)
					if conn.Host != host.String() || conn.Client != client.String() || conn.HostBy != capture.HostBySYN {
						t.Errorf("conn %d: host %s client %s (%s)", i, conn.Host, conn.Client, conn.HostBy)
					}
					if conn.Dialect != r.dialect || conn.Closed != [2]string{"FIN", "FIN"} {
						t.Errorf("conn %d: dialect %s, closed %v", i, conn.Dialect, conn.Closed)
					}
					sameSequence(t, fmt.Sprintf("conn %d", i), sequence(conn), want(r.conns[i]))
				}
			})
		}
	}
}

// recordingNamed returns the golden recording of one capture.
func recordingNamed(t *testing.T, name string) recording {
	for _, r := range loadRecordings(t) {
		if r.name == name {
			return r
		}
	}
	t.Fatalf("no recording %s", name)
	return recording{}
}

// hostFrames concatenates a connection's frames in one direction.
func frames(conn []frame, d capture.Direction) (all []byte, each []frame) {
	for _, f := range conn {
		if f.dir == d {
			all = append(all, f.bytes...)
			each = append(each, f)
		}
	}
	return all, each
}

// TestMidStream: a capture that begins in the middle of a frame, without
// SYN or Handshake: the dump says so, resynchronises at the next frame
// header, guesses the dialect, takes the host from the ports, and decodes
// everything after.
func TestMidStream(t *testing.T) {
	for _, name := range []string{"qt5_static_repc_replica_proxy.txt", "qt6_static_repc_replica_proxy.txt"} {
		r := recordingNamed(t, name)
		host, hostFrames := frames(r.conns[0], capture.HostToClient)
		// Start 10 bytes into the fourth host frame.
		skip := 10
		for _, f := range hostFrames[:3] {
			skip += len(f.bytes)
		}
		f := capturetest.New(capturetest.Pcap, capturetest.Ethernet)
		// The client has an ephemeral port, so the host is guessed right.
		c := f.Conn(netip.MustParseAddrPort("127.0.0.1:45000"), netip.MustParseAddrPort("127.0.0.1:35001"))
		c.Cut(capture.HostToClient, host[:skip], 0) // sent before the capture began
		c.Send(capture.HostToClient, host[skip:], 64)
		_, conns := decodeBytes(t, f.Bytes(), harness(name))
		conn := conns[0]
		if conn.Dialect != r.dialect || !strings.HasPrefix(conn.DialectBy, "guessed") {
			t.Errorf("%s: dialect %s by %q, want %s guessed", name, conn.Dialect, conn.DialectBy, r.dialect)
		}
		if conn.HostBy != capture.HostByPorts || conn.Host != "127.0.0.1:35001" {
			t.Errorf("%s: host %s by %s", name, conn.Host, conn.HostBy)
		}
		notes := strings.Join(conn.Notes, "\n")
		if !strings.Contains(notes, "to the first plausible frame header") {
			t.Errorf("%s: notes do not report the resync: %s", name, notes)
		}
		sameSequence(t, name, sequence(conn), want(hostFrames[4:]))
	}
}

// TestHostFromHandshake: when the capture's guess of the host is wrong
// (no SYN, the host on an ephemeral port), the Handshake settles it.
func TestHostFromHandshake(t *testing.T) {
	r := recordingNamed(t, "qt6_static_repc_replica_proxy.txt")
	f := capturetest.New(capturetest.Pcap, capturetest.Raw)
	c := f.Conn(netip.MustParseAddrPort("10.1.1.1:80"), netip.MustParseAddrPort("10.1.1.2:50000"))
	for _, fr := range r.conns[0] {
		c.Send(fr.dir, fr.bytes, 0)
	}
	_, conns := decodeBytes(t, f.Bytes(), harness(r.name))
	conn := conns[0]
	if conn.Host != "10.1.1.2:50000" || conn.HostBy != capture.HostByHandshake {
		t.Errorf("host %s by %s, want 10.1.1.2:50000 by the Handshake", conn.Host, conn.HostBy)
	}
	sameSequence(t, "swapped", sequence(conn), want(r.conns[0]))
}

// TestFaults: a frame with an implausible header, an unknown packet type, a
// frame whose body does not decode, bytes missing from the capture, and a
// final frame cut short are each reported, and decoding goes on.
func TestFaults(t *testing.T) {
	r := recordingNamed(t, "qt5_static_repc_replica_proxy.txt")
	_, hf := frames(r.conns[0], capture.HostToClient)
	unknown := []byte{0, 0, 0, 8, 0, 42, 1, 2, 3, 4, 5, 6}                    // type 42, 6-byte body
	badBody := []byte{0, 0, 0, 8, 0, 7, 0, 0, 0, 2, 0, 'x'}                   // InvokeReply with a cut name
	badHeader := []byte{0xff, 0xff, 0xff, 0xff, 0, 1, 0xde, 0xad, 0xbe, 0xef} // size 4 GiB

	f := capturetest.New(capturetest.PcapNG, capturetest.Ethernet)
	c := f.Conn(netip.MustParseAddrPort("127.0.0.1:45000"), netip.MustParseAddrPort("127.0.0.1:35001"))
	c.Open()
	send := func(b []byte) { c.Send(capture.HostToClient, b, 0) }
	send(hf[0].bytes) // Handshake
	send(unknown)
	send(hf[1].bytes)
	send(badBody)
	send(hf[2].bytes)
	send(badHeader)
	send(hf[3].bytes)
	c.Cut(capture.HostToClient, hf[4].bytes, 0) // sent, never captured
	send(hf[5].bytes)
	cut := hf[6].bytes
	send(cut[:len(cut)-3]) // the capture ends 3 bytes early
	_, conns := decodeBytes(t, f.Bytes(), harness(r.name))
	got := sequence(conns[0])
	wantLines := []string{
		"S->C " + hf[0].decoded,
		"S->C PacketType(42) (6 bytes, skipped)",
		"S->C " + hf[1].decoded,
		"S->C ERROR qtro: ProtocolMismatch: InvokeReplyPacket frame",
		"S->C " + hf[2].decoded,
		"S->C ERROR implausible frame header: size 4294967295; skipped 10 bytes",
		"S->C " + hf[3].decoded,
		"S->C ERROR bytes missing from the capture: " + fmt.Sprint(len(hf[4].bytes)) + " bytes at offset",
		"S->C " + hf[5].decoded,
		"S->C ERROR frame cut by the end of the capture: " + fmt.Sprintf("%d of its %d bytes", len(cut)-3, len(cut)),
	}
	if len(got) != len(wantLines) {
		t.Fatalf("%d items, want %d:\n%s", len(got), len(wantLines), strings.Join(got, "\n"))
	}
	for i := range got {
		if !strings.HasPrefix(got[i], wantLines[i]) {
			t.Errorf("item %d:\n got  %s\n want %s...", i, trim(got[i]), wantLines[i])
		}
	}
	for _, it := range conns[0].Items {
		if errors.Is(it.Err, dump.ErrBadHeader) && len(it.Frame) != len(badHeader) {
			t.Errorf("bad header item keeps %d bytes, want the %d skipped", len(it.Frame), len(badHeader))
		}
	}
}

// TestOptions: --conn, --dialect, --hex and --json.
func TestOptions(t *testing.T) {
	r := recordingNamed(t, "qt6_registry_proxy.txt")
	file := build(r, shapes[0]).Bytes()
	c, err := capture.Read(bytes.NewReader(file), capture.Limits{})
	if err != nil {
		t.Fatal(err)
	}

	opts := harness(r.name)
	opts.Conns = []int{1}
	conns := dump.Decode(c, opts)
	if len(conns) != 1 || conns[0].ID != 1 {
		t.Fatalf("--conn 1 gave %d connections", len(conns))
	}

	opts = harness(r.name)
	opts.Dialect = wire.Qt5
	conns = dump.Decode(c, opts)
	if conns[0].Dialect != wire.Qt5 || conns[0].DialectBy != "forced" || !strings.Contains(strings.Join(conns[0].Notes, " "), "decoding as Qt5 as forced") {
		t.Errorf("forced Qt5: %s by %q, notes %q", conns[0].Dialect, conns[0].DialectBy, conns[0].Notes)
	}

	opts = harness(r.name)
	opts.Hex = true
	out, _ := render(t, c, opts)
	if !strings.Contains(out, "hex: 16 00 00 00 01 00 10 00 00 00 51 00 74 00 52 00 4f 00 20 00 32 00 2e 00 30 00") {
		t.Error("--hex output lacks the Handshake's bytes")
	}

	opts = harness(r.name)
	opts.JSON = true
	out, sum := render(t, c, opts)
	kinds := map[string]int{}
	var reply map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var o map[string]any
		if err := json.Unmarshal([]byte(line), &o); err != nil {
			t.Fatalf("not JSON: %s: %v", line, err)
		}
		kinds[o["kind"].(string)]++
		if o["kind"] == "packet" && o["name"] == "InitPacket" && reply == nil {
			reply = o
		}
	}
	if kinds["capture"] != 1 || kinds["connection"] != 2 || kinds["packet"] != sum.Packets || kinds["summary"] != 1 || kinds["error"] != 0 {
		t.Errorf("JSON kinds %v, summary %+v", kinds, sum)
	}
	if reply == nil {
		t.Fatal("no InitPacket in the JSON")
	}
	if reply["conn"] != float64(0) || reply["dir"] != "S->C" || reply["type"] != float64(2) || reply["offset"] != float64(80) {
		t.Errorf("InitPacket object %v", reply)
	}
	fields := reply["fields"].(map[string]any)
	if fields["object"] != "Registry" {
		t.Errorf("InitPacket fields %v", fields)
	}
	values := fields["values"].([]any)
	if v := values[0].(map[string]any); v["type"] != "QHash<QString,QRemoteObjectSourceLocationInfo>" {
		t.Errorf("InitPacket value %v", v)
	}
}

// TestJSONValues: QVariants render as the contract's tagged values
// (specs/ADAPTER.md §7.3), gadgets as objects of their fields by type.
func TestJSONValues(t *testing.T) {
	name := "qt5_dynamic_demo_rawclient.txt"
	c, err := capture.Read(bytes.NewReader(readFile(t, captureFile(name))), capture.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	opts := harness(name)
	opts.JSON = true
	out, _ := render(t, c, opts)
	for _, s := range []string{
		`"fields":{"object":"Demo","serial":5,"value":{"type":"int","value":5}}`,
		`{"type":"MyPod","value":{"s":"q","x":6}}`,
		`{"name":"Demo","signature":null,"type":null}`,
	} {
		if !strings.Contains(out, s) {
			t.Errorf("JSON lacks %s", s)
		}
	}
}

// TestParseGadget covers the declaration syntax.
func TestParseGadget(t *testing.T) {
	for _, tc := range []struct {
		in, out string
		bad     bool
	}{
		{in: "MyPOD=x,s", out: "MyPOD=x,s"},
		{in: " MyPod = x:int , s:QString ", out: "MyPod=x:int,s:QString"},
		{in: "Empty=", out: "Empty="},
		{in: "MyPod=x:int,s", bad: true},
		{in: "=x", bad: true},
		{in: "NoEquals", bad: true},
		{in: "P=x,,s", bad: true},
	} {
		g, err := dump.ParseGadget(tc.in)
		if (err != nil) != tc.bad || (!tc.bad && g.String() != tc.out) {
			t.Errorf("ParseGadget(%q) = %v, %v", tc.in, g, err)
		}
	}
}

// TestFaultText shows what a damaged capture looks like in the text output.
func TestFaultText(t *testing.T) {
	r := recordingNamed(t, "qt6_static_repc_replica_proxy.txt")
	_, hf := frames(r.conns[0], capture.HostToClient)
	f := capturetest.New(capturetest.Pcap, capturetest.LinuxSLL2)
	c := f.Conn(netip.MustParseAddrPort("127.0.0.1:45000"), netip.MustParseAddrPort("127.0.0.1:35001"))
	c.Open()
	c.Send(capture.HostToClient, hf[0].bytes, 0)
	c.Cut(capture.HostToClient, hf[1].bytes[:10], 0) // lost
	c.Send(capture.HostToClient, hf[1].bytes[10:], 0)
	c.Send(capture.HostToClient, hf[2].bytes, 0)
	cap, err := capture.Read(bytes.NewReader(f.Bytes()), capture.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	out, sum := render(t, cap, harness(r.name))
	t.Logf("\n%s", out)
	for _, s := range []string{
		"note: S->C: 10 bytes missing from the capture, in 1 gap",
		"S->C        26       -  ERROR: bytes missing from the capture: 10 bytes at offset 26; resynchronised at offset 112",
		"end: S->C open, C->S open; 2 packets, 1 error",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q", s)
		}
	}
	if sum.Errors != 1 || sum.Packets != 2 {
		t.Errorf("summary %+v", sum)
	}
}

// TestEmptyAndTrailingGap: a connection without payload is shown as such,
// and bytes a FIN proves were sent but the capture lacks are reported.
func TestEmptyAndTrailingGap(t *testing.T) {
	r := recordingNamed(t, "qt6_registry_proxy.txt")
	f := capturetest.New(capturetest.Pcap, capturetest.Ethernet)
	empty := f.Conn(netip.MustParseAddrPort("127.0.0.1:45000"), netip.MustParseAddrPort("127.0.0.1:35001"))
	empty.Open()
	empty.Close()
	c := f.Conn(netip.MustParseAddrPort("127.0.0.1:45001"), netip.MustParseAddrPort("127.0.0.1:35001"))
	c.Open()
	for _, fr := range r.conns[0][:3] {
		c.Send(fr.dir, fr.bytes, 0)
	}
	last := r.conns[0][3]
	c.Cut(last.dir, last.bytes, 0) // sent, not captured
	c.Close()
	cp, conns := decodeBytes(t, f.Bytes(), harness(r.name))
	if len(conns) != 2 || conns[0].Dialect.Valid() || len(conns[0].Items) != 0 {
		t.Fatalf("empty connection: %+v", conns[0])
	}
	got := sequence(conns[1])
	wantLast := fmt.Sprintf("S->C ERROR bytes missing from the capture: the last %d bytes the sender sent, at offset 80", len(last.bytes))
	if len(got) != 4 || got[3] != wantLast {
		t.Errorf("items:\n%s\nwant last: %s", strings.Join(got, "\n"), wantLast)
	}
	out, _ := render(t, cp, dump.Options{})
	if !strings.Contains(out, "connection 0: host 127.0.0.1:35001, client 127.0.0.1:45000, dialect unknown: the connection carried no payload") {
		t.Errorf("empty connection not shown as such:\n%s", out)
	}
}
