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
//
// A reproducer of the replica role ("# role: replica"; without a role
// line a reproducer is of the host role, as every one written before the
// replica role was) is the other way round: the fuzzer is the host, and
// each connection is one the replica opened to it. Its S->C chunks are
// sent, in order, one write each; a C->S chunk is the replica's AddObject
// (synthesized from "# object" and "# mode", never sent): replay waits
// for the replica to send one there, up to a second, as a host answers
// AddObject (when an ObjectList went before it: else it cannot come). Replay starts a fresh replica of the kind "# mode" names.
//
//	# role: replica
//	# mode: dynamic
//	# object: TestObject
//	--- new connection
//	S->C bad-index: PropertyChange of TestObject property 22 (of 22)
//	    0a 00 00 00 01 00 ...   (Handshake and ObjectList)
//	C->S AddObject (the replica's, synthesized: replay waits for it; never sent)
//	    1e 00 00 00 04 00 ...
//	S->C bad-index: ...
//	    ...                     (InitDynamic, then the PropertyChange)

// Reproducer is a crash as a replayable file.
type Reproducer struct {
	Dialect wire.Dialect
	// Role is the role the target played (zero: host).
	Role Role
	// Meta holds the "# key: value" lines (dialect and role excluded).
	Meta map[string]string
	// Conns are the inputs, one connection each.
	Conns []Input
}

// Write writes r in the reproducer format.
func (r *Reproducer) Write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "# qtro fuzz reproducer: replay with `qtro fuzz --replay FILE --target T`, decode with `qtro dump FILE`")
	fmt.Fprintf(bw, "# dialect: %s\n", dialectName(r.Dialect))
	replica := roleOf(r.Role) == RoleReplica
	if replica {
		fmt.Fprintf(bw, "# role: %s\n", RoleReplica)
	}
	keys := make([]string, 0, len(r.Meta))
	for k := range r.Meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(bw, "# %s: %s\n", k, oneLine(r.Meta[k]))
	}
	if replica {
		return r.writeReplica(bw)
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

// writeReplica writes the connections of a replica-role reproducer.
func (r *Reproducer) writeReplica(bw *bufio.Writer) error {
	name := r.Meta["object"]
	if name == "" {
		name = TestObjectName
	}
	add, err := wire.Marshal(r.Dialect, nil, &wire.AddObjectPacket{Name: name, Dynamic: r.Meta["mode"] == "dynamic"})
	if err != nil {
		return err
	}
	for _, in := range r.Conns {
		fmt.Fprintln(bw, "--- new connection")
		for _, c := range in.Chunks {
			if c == nil {
				fmt.Fprintln(bw, "C->S AddObject (the replica's, synthesized: replay waits for it; never sent)")
				writeHex(bw, add)
				continue
			}
			fmt.Fprintf(bw, "S->C %s: %s\n", in.Kind, oneLine(in.Note))
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
		if k == "role" {
			if r.Role = Role(v); r.Role != RoleHost && r.Role != RoleReplica {
				return nil, fmt.Errorf("fuzz: reproducer role %q: want host or replica", v)
			}
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
	// The fuzzer's chunks: what a client sends to a host, or what a host
	// sends to a replica; the other side's are the replica's AddObjects
	// to wait for (a nil chunk), or a synthesized Handshake.
	sent := capture.ClientToHost
	if r.Role == RoleReplica {
		sent = capture.HostToClient
	}
	conn := -1
	for _, rec := range recs {
		if rec.Dir != sent && r.Role != RoleReplica {
			continue
		}
		if rec.Conn != conn {
			conn = rec.Conn
			r.Conns = append(r.Conns, Input{})
		}
		last := &r.Conns[len(r.Conns)-1]
		if rec.Dir != sent {
			last.Chunks = append(last.Chunks, nil)
			continue
		}
		if last.Kind == "" {
			last.Kind, last.Note, _ = strings.Cut(rec.Label, ": ")
		}
		last.Chunks = append(last.Chunks, rec.Data)
	}
	if r.Size() == 0 {
		return nil, fmt.Errorf("fuzz: reproducer sends nothing (no %s chunks)", sent)
	}
	return r, nil
}

// Size is the number of bytes the reproducer sends.
func (r *Reproducer) Size() int {
	n := 0
	for _, in := range r.Conns {
		n += in.Size()
	}
	return n
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
