package capture

import (
	"bytes"
	"errors"
	"testing"
)

func TestRecorderRoundTrip(t *testing.T) {
	var out bytes.Buffer
	r, err := NewRecorder(&out, 20001)
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("0123456789"), 20000) // 200 kB: several segments
	c1 := r.NewConn()
	c1.Data(HostToClient, []byte("hello from host"))
	c1.Data(ClientToHost, []byte("hi"))
	c1.Data(ClientToHost, big)
	c1.Fin(ClientToHost)
	c1.Fin(ClientToHost) // once only
	c1.Fin(HostToClient)
	c2 := r.NewConn()
	c2.Data(ClientToHost, []byte("second"))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	c2.Data(ClientToHost, []byte("after close: dropped"))
	cp, err := Read(&out, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if cp.Tail != nil {
		t.Fatalf("tail: %v", cp.Tail)
	}
	want := []struct {
		client, host       string
		fromClient, fromHo []byte
		closed             [2]string
	}{
		{"10.0.0.2:40000", "10.0.0.1:20001", append([]byte("hi"), big...), []byte("hello from host"), [2]string{"FIN", "FIN"}},
		{"10.0.0.2:40001", "10.0.0.1:20001", []byte("second"), nil, [2]string{"", ""}},
	}
	if len(cp.Streams) != len(want) {
		t.Fatalf("%d streams, want %d", len(cp.Streams), len(want))
	}
	for i, w := range want {
		s := cp.Streams[i]
		if s.Client != w.client || s.Host != w.host || s.HostBy != HostBySYN {
			t.Errorf("stream %d: %s -> %s (host by %v), want %s -> %s by SYN", i, s.Client, s.Host, s.HostBy, w.client, w.host)
		}
		if !bytes.Equal(s.Flows[ClientToHost].Data, w.fromClient) || !bytes.Equal(s.Flows[HostToClient].Data, w.fromHo) {
			t.Errorf("stream %d: %d/%d bytes, want %d/%d", i, len(s.Flows[ClientToHost].Data), len(s.Flows[HostToClient].Data), len(w.fromClient), len(w.fromHo))
		}
		if s.Closed != w.closed {
			t.Errorf("stream %d closed %q, want %q", i, s.Closed, w.closed)
		}
		if len(s.Notes) > 0 {
			t.Errorf("stream %d notes: %v", i, s.Notes)
		}
	}
}

// failWriter fails every write after the first n.
type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, errors.New("disk full")
	}
	w.n--
	return len(p), nil
}

func TestRecorderKeepsTheFirstError(t *testing.T) {
	if _, err := NewRecorder(&failWriter{}, 1); err == nil {
		t.Fatal("a failed header write was not reported")
	}
	r, err := NewRecorder(&failWriter{n: 2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	r.NewConn().Data(ClientToHost, []byte("x"))
	if err := r.Close(); err == nil || err.Error() != "disk full" {
		t.Fatalf("Close = %v, want the write error", err)
	}
}
