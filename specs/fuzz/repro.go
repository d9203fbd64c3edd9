package fuzz

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/qtro/qtro/impl/capture"
	"github.com/qtro/qtro/impl/wire"
)

// The reproducer format is a hex transcript in the format `qtro dump`
// (package capture) reads, plus metadata comments:
//
//	# qtro fuzz reproducer
//	# dialect: qt6
//	# kind: wrong-args
//	# note: TestObject.add(int,int) with 0 args
//	# verdict: crashed: killed by a signal
//	--- new connection
//	S->C Handshake (synthesized: tells dump the dialect; not sent)
//	    06 00 00 00 01 00 ...
//	C->S wrong-args: TestObject.add(int,int) with 0 args
//	    2a 00 00 00 06 00 ...
//
// Each "--- new connection" is one client connection. Replay dials it,
// waits for the host's Handshake, and sends its C->S chunks in order, one
// write each; S->C chunks are never sent. "# key: value" lines before the
// first connection are metadata; every other comment is ignored.

// Reproducer is a crash as a replayable file.
type Reproducer struct {
	Dialect wire.Dialect
	// Meta holds the "# key: value" lines (dialect excluded).
	Meta map[string]string
	// Conns are the inputs, one connection each.
	Conns []Input
}

// Write writes r in the reproducer format.
func (r *Reproducer) Write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "# qtro fuzz reproducer: replay with `qtro fuzz --replay FILE --target T`, decode with `qtro dump FILE`")
	fmt.Fprintf(bw, "# dialect: %s\n", dialectName(r.Dialect))
	keys := make([]string, 0, len(r.Meta))
	for k := range r.Meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(bw, "# %s: %s\n", k, oneLine(r.Meta[k]))
	}
	hs, err := wire.Marshal(r.Dialect, nil, &wire.HandshakePacket{Version: r.Dialect.ProtocolVersion()})
	if err != nil {
		return err
	}
	for _, in := range r.Conns {
		fmt.Fprintln(bw, "--- new connection")
		fmt.Fprintln(bw, "S->C Handshake (synthesized: tells dump the dialect; replay does not send it)")
		writeHex(bw, hs)
		for _, c := range in.Chunks {
			fmt.Fprintf(bw, "C->S %s: %s\n", in.Kind, oneLine(in.Note))
			writeHex(bw, c)
		}
	}
	return bw.Flush()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// writeHex writes b as indented hex lines: spaced bytes for frames people
// read, dense lines (which the transcript reader takes too) for big ones.
func writeHex(w io.Writer, b []byte) {
	perLine, sep := 32, " "
	if len(b) > 4096 {
		perLine, sep = 128, ""
	}
	for len(b) > 0 {
		n := min(perLine, len(b))
		var sb strings.Builder
		sb.WriteString("    ")
		for i, x := range b[:n] {
			if i > 0 {
				sb.WriteString(sep)
			}
			sb.WriteString(hex.EncodeToString([]byte{x}))
		}
		fmt.Fprintln(w, sb.String())
		b = b[n:]
	}
}

// WriteFile writes r to path.
func (r *Reproducer) WriteFile(path string) error {
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// ErrNoDialect means a reproducer names no (or an unknown) dialect.
var ErrNoDialect = fmt.Errorf("fuzz: reproducer has no '# dialect: qt5|qt6' line")

// ReadReproducer parses the reproducer format.
func ReadReproducer(rd io.Reader) (*Reproducer, error) {
	data, err := io.ReadAll(io.LimitReader(rd, 256<<20))
	if err != nil {
		return nil, err
	}
	r := &Reproducer{Meta: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "---") {
			break
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "#"), ":")
		if !strings.HasPrefix(line, "#") || !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "dialect" {
			r.Dialect, _ = wire.ParseDialect(v)
			continue
		}
		if !strings.Contains(k, " ") {
			r.Meta[k] = v
		}
	}
	if !r.Dialect.Valid() {
		return nil, ErrNoDialect
	}
	recs, err := capture.ParseTranscript(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("fuzz: reproducer: %w", err)
	}
	conn := -1
	for _, rec := range recs {
		if rec.Dir != capture.ClientToHost {
			continue
		}
		if rec.Conn != conn {
			conn = rec.Conn
			kind, note, _ := strings.Cut(rec.Label, ": ")
			r.Conns = append(r.Conns, Input{Kind: kind, Note: note})
		}
		last := &r.Conns[len(r.Conns)-1]
		last.Chunks = append(last.Chunks, rec.Data)
	}
	if len(r.Conns) == 0 {
		return nil, fmt.Errorf("fuzz: reproducer sends nothing (no C->S chunks)")
	}
	return r, nil
}

// ReadReproducerFile reads a reproducer from path.
func ReadReproducerFile(path string) (*Reproducer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := ReadReproducer(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

func dialectName(d wire.Dialect) string {
	if d == wire.Qt5 {
		return "qt5"
	}
	return "qt6"
}
