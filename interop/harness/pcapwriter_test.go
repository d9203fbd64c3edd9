package harness

import (
	"bytes"
	"path/filepath"
	"testing"
)

func TestStreamPcapRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.pcap")
	p, err := NewStreamPcap(path, 20001)
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("0123456789"), 20000) // 200 kB: several segments
	s1 := p.NewStream()
	s1.Data(FromHost, []byte("hello from host"))
	s1.Data(FromClient, []byte("hi"))
	s1.Data(FromClient, big)
	s1.Fin(FromClient)
	s1.Fin(FromHost)
	s2 := p.NewStream()
	s2.Data(FromClient, []byte("second"))
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	flows, err := ReadTCPFlows(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []TCPFlow{
		{Src: "10.0.0.2:40000", Dst: "10.0.0.1:20001", Data: append([]byte("hi"), big...)},
		{Src: "10.0.0.1:20001", Dst: "10.0.0.2:40000", Data: []byte("hello from host")},
		{Src: "10.0.0.2:40001", Dst: "10.0.0.1:20001", Data: []byte("second")},
		{Src: "10.0.0.1:20001", Dst: "10.0.0.2:40001"},
	}
	if len(flows) != len(want) {
		t.Fatalf("got %d flows, want %d: %+v", len(flows), len(want), flows)
	}
	for i, w := range want {
		g := flows[i]
		if g.Src != w.Src || g.Dst != w.Dst || !bytes.Equal(g.Data, w.Data) {
			t.Errorf("flow %d: got %s>%s %d bytes, want %s>%s %d bytes", i, g.Src, g.Dst, len(g.Data), w.Src, w.Dst, len(w.Data))
		}
	}
}

func TestReadTCPFlowsRejectsNonPcap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.pcap")
	p, err := NewStreamPcap(path, 1)
	if err != nil {
		t.Fatal(err)
	}
	_ = p.Close()
	if _, err := ReadTCPFlows(filepath.Join(t.TempDir(), "missing.pcap")); err == nil {
		t.Error("missing file: no error")
	}
	flows, err := ReadTCPFlows(path)
	if err != nil || len(flows) != 0 {
		t.Errorf("empty capture: %v, %d flows", err, len(flows))
	}
}
