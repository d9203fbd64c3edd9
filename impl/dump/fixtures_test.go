package dump_test

import (
	"bytes"
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qtro/qtro/fixtures/golden"
	"github.com/qtro/qtro/impl/capture"
	"github.com/qtro/qtro/impl/capture/capturetest"
	"github.com/qtro/qtro/impl/dump"
)

var update = flag.Bool("update", false, "rewrite fixtures/pcap from the golden frames")

// pcapDir holds the committed test pcaps.
func pcapDir() string { return filepath.Join(golden.Dir(), "..", "pcap") }

// pcapFixture is one committed capture file: how it is made from golden
// frames, and what its dump must show.
type pcapFixture struct {
	file    string
	capture string // golden recording it replays
	make    func(r recording) *capturetest.File
	clean   bool     // dumps to exactly the golden sequence
	expect  []string // otherwise: substrings of the text dump
}

var pcapFixtures = []pcapFixture{
	{file: "qt5_static_repc_ethernet.pcap", capture: "qt5_static_repc_replica_proxy.txt", clean: true,
		make: func(r recording) *capturetest.File {
			return build(r, shape{linkType: capturetest.Ethernet, format: capturetest.Pcap, mss: 40, reorder: true, dup: true})
		}},
	{file: "qt6_registry_sll.pcapng", capture: "qt6_registry_proxy.txt", clean: true,
		make: func(r recording) *capturetest.File {
			return build(r, shape{linkType: capturetest.LinuxSLL, format: capturetest.PcapNG, mss: 13})
		}},
	{file: "qt6_dynamic_demo_sll2_ipv6.pcap", capture: "qt6_dynamic_demo_rawclient.txt", clean: true,
		make: func(r recording) *capturetest.File {
			return build(r, shape{linkType: capturetest.LinuxSLL2, format: capturetest.Pcap, v6: true, mss: 300, coalesce: true})
		}},
	{file: "qt5_model_null.pcapng", capture: "qt5_model_proxy.txt", clean: true,
		make: func(r recording) *capturetest.File {
			return build(r, shape{linkType: capturetest.Null, format: capturetest.PcapNG})
		}},
	{file: "qt6_static_midstream_raw.pcap", capture: "qt6_static_repc_replica_proxy.txt",
		make: func(r recording) *capturetest.File {
			// No SYN: the capture begins 7 bytes into the host's second
			// frame (the ObjectList).
			f := capturetest.New(capturetest.Pcap, capturetest.Raw)
			c := f.Conn(netip.MustParseAddrPort("127.0.0.1:45000"), netip.MustParseAddrPort("127.0.0.1:35001"))
			host := 0
			for _, fr := range r.conns[0] {
				if fr.dir == capture.HostToClient {
					host++
					switch host {
					case 1:
						c.Cut(fr.dir, fr.bytes, 0) // before the capture began
						continue
					case 2:
						c.Cut(fr.dir, fr.bytes[:7], 0)
						c.Send(fr.dir, fr.bytes[7:], 0)
						continue
					}
				}
				c.Send(fr.dir, fr.bytes, 0)
			}
			return f
		},
		expect: []string{
			"dialect: guessed from the frame layout",
			"host side: guessed from the ports",
			"note: S->C: the capture starts mid-stream (offsets count from the first captured byte); skipped 79 bytes to the first plausible frame header, at offset 79",
			"note: C->S: the capture starts mid-stream (offsets count from the first captured byte); a plausible frame header starts at its first byte",
			`S->C        79      88  InitPacket "Simple" values=[int 0, QString "lbl", int 0, MyPOD {x: int 0, s: QString null}]`,
			"end: S->C open, C->S open; 28 packets, 0 errors",
		}},
	{file: "qt5_static_gap_ethernet.pcap", capture: "qt5_static_repc_replica_proxy.txt",
		make: func(r recording) *capturetest.File {
			// The capture lacks the host's fifth frame, and ends inside the
			// client's last one.
			f := capturetest.New(capturetest.Pcap, capturetest.Ethernet)
			c := f.Conn(netip.MustParseAddrPort("127.0.0.1:45000"), netip.MustParseAddrPort("127.0.0.1:35001"))
			c.Open()
			host := 0
			for i, fr := range r.conns[0] {
				if fr.dir == capture.HostToClient {
					host++
					if host == 5 {
						c.Cut(fr.dir, fr.bytes, 0)
						continue
					}
				}
				if i == len(r.conns[0])-1 {
					c.Send(fr.dir, fr.bytes[:len(fr.bytes)-4], 0)
					continue
				}
				c.Send(fr.dir, fr.bytes, 0)
			}
			return f
		},
		expect: []string{
			"note: S->C: 51 bytes missing from the capture, in 1 gap",
			"S->C       239       -  ERROR: bytes missing from the capture: 51 bytes at offset 239; resynchronised at offset 290",
			"RemoveObject: ERROR: frame cut by the end of the capture: 18 of its 22 bytes captured",
			"end: S->C open, C->S open; 28 packets, 2 errors",
		}},
}

//go:generate go test . -run TestPcapFixtures -update

// TestPcapFixtures regenerates every committed pcap in memory and checks it
// is byte for byte the committed file (-update rewrites them), then dumps
// each and checks what it shows.
func TestPcapFixtures(t *testing.T) {
	for _, fx := range pcapFixtures {
		t.Run(fx.file, func(t *testing.T) {
			r := recordingNamed(t, fx.capture)
			made := fx.make(r).Bytes()
			path := filepath.Join(pcapDir(), fx.file)
			if *update {
				if err := os.MkdirAll(pcapDir(), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, made, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			committed, err := os.ReadFile(path)
			if errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%s is missing; run go generate ./impl/dump", path)
			} else if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(committed, made) {
				t.Errorf("%s differs from what the generator makes; run go generate ./impl/dump", path)
			}
			var out strings.Builder
			sum, err := dump.File(&out, path, harness(fx.capture))
			if err != nil {
				t.Fatal(err)
			}
			if fx.clean {
				c, err := capture.Open(path, capture.Limits{})
				if err != nil {
					t.Fatal(err)
				}
				conns := dump.Decode(c, harness(fx.capture))
				if len(conns) != len(r.conns) {
					t.Fatalf("%d connections, want %d", len(conns), len(r.conns))
				}
				for i, conn := range conns {
					sameSequence(t, fx.file, sequence(conn), want(r.conns[i]))
				}
				if sum.Errors != 0 {
					t.Errorf("%d errors", sum.Errors)
				}
			}
			for _, e := range fx.expect {
				if !strings.Contains(out.String(), e) {
					t.Errorf("dump lacks %q", e)
				}
			}
			if t.Failed() || testing.Verbose() {
				t.Logf("\n%s", out.String())
			}
		})
	}
}
