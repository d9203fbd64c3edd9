package dump_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qtro/qtro/impl/capture"
	"github.com/qtro/qtro/impl/dump"
)

// TestTcpdump captures a real loopback TCP conversation with tcpdump (on lo:
// Ethernet framing; on "any": Linux cooked v2, or v1 with older libpcap),
// in which Go replays the golden frames of a Qt capture, and dumps it.
// It is skipped, saying why, only where tcpdump is missing or may not
// capture.
func TestTcpdump(t *testing.T) {
	bin, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skipf("tcpdump is not installed (%v): the real-capture test did not run", err)
	}
	for _, tc := range []struct {
		iface     string
		linkTypes []uint32
	}{
		{"lo", []uint32{1}},
		{"any", []uint32{276, 113}},
	} {
		t.Run(tc.iface, func(t *testing.T) {
			for _, name := range []string{"qt5_static_repc_replica_proxy.txt", "qt6_dynamic_demo_rawclient.txt"} {
				r := recordingNamed(t, name)
				path := filepath.Join(t.TempDir(), "capture.pcap")
				host, client := replayUnderTcpdump(t, bin, tc.iface, path, r)
				data := readFile(t, path)
				lt := binary.LittleEndian.Uint32(data[20:])
				known := false
				for _, want := range tc.linkTypes {
					known = known || lt == want
				}
				if !known {
					t.Errorf("%s: tcpdump wrote link type %d, want one of %v", tc.iface, lt, tc.linkTypes)
				}
				c, err := capture.Read(bytes.NewReader(data), capture.Limits{})
				if err != nil {
					t.Fatal(err)
				}
				conns := dump.Decode(c, harness(name))
				if len(conns) != 1 {
					t.Fatalf("%d connections in the capture, want 1", len(conns))
				}
				conn := conns[0]
				if conn.Host != host || conn.Client != client || conn.HostBy != capture.HostBySYN {
					t.Errorf("host %s client %s by %s, want host %s client %s", conn.Host, conn.Client, conn.HostBy, host, client)
				}
				if conn.Dialect != r.dialect || conn.Closed != [2]string{"FIN", "FIN"} {
					t.Errorf("dialect %s, closed %v", conn.Dialect, conn.Closed)
				}
				sameSequence(t, tc.iface+" "+name, sequence(conn), want(r.conns[0]))
				var out strings.Builder
				_, _ = dump.Write(&out, c, harness(name))
				if t.Failed() || testing.Verbose() {
					t.Logf("tcpdump -i %s, link type %d:\n%s", tc.iface, lt, out.String())
				}
			}
		})
	}
}

// replayUnderTcpdump plays a recording's first connection over loopback
// TCP while tcpdump writes path, and returns the host and client endpoints.
func replayUnderTcpdump(t *testing.T, bin, iface, path string, r recording) (host, client string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	cmd := exec.Command(bin, "-i", iface, "-n", "-U", "-s", "0", "-w", path, fmt.Sprintf("tcp port %d", port))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("tcpdump cannot start (%v): the real-capture test did not run", err)
	}
	lines := make(chan string, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	var log []string
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		_ = cmd.Wait()
	}
	ready := time.After(10 * time.Second)
wait:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				_ = cmd.Wait()
				msg := strings.Join(log, "; ")
				if strings.Contains(msg, "ermission") || strings.Contains(msg, "not permitted") {
					t.Skipf("tcpdump may not capture here (%s): the real-capture test did not run", msg)
				}
				t.Fatalf("tcpdump -i %s exited: %s", iface, msg)
			}
			log = append(log, l)
			if strings.Contains(l, "listening on") {
				break wait
			}
		case <-ready:
			stop()
			t.Fatalf("tcpdump -i %s did not start listening: %s", iface, strings.Join(log, "; "))
		}
	}
	defer stop()
	go func() {
		for range lines { // keep tcpdump's stderr drained
		}
	}()

	cc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	host, client = sc.LocalAddr().String(), cc.LocalAddr().String()
	for _, f := range r.conns[0] {
		from, to := sc, cc
		if f.dir == capture.ClientToHost {
			from, to = cc, sc
		}
		if _, err := from.Write(f.bytes); err != nil {
			t.Fatal(err)
		}
		// Wait for the frame to arrive, so the capture's order is the
		// recording's order.
		if _, err := io.ReadFull(to, make([]byte, len(f.bytes))); err != nil {
			t.Fatal(err)
		}
	}
	_ = sc.Close()
	_, _ = io.Copy(io.Discard, cc)
	_ = cc.Close()

	// Wait until both FINs are in the file: tcpdump writes each packet as it
	// sees it (-U), but the kernel hands them over asynchronously.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil {
			if c, err := capture.Read(bytes.NewReader(b), capture.Limits{}); err == nil && len(c.Streams) == 1 && c.Streams[0].Closed == [2]string{"FIN", "FIN"} {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return host, client
}
