// Package capture reads recorded QtRO traffic — the hex transcripts of
// ../shared/protocol/captures and pcap/pcapng files — into byte streams per
// connection and direction, and writes byte streams as pcaps of synthesized
// TCP connections. It knows nothing of QtRO packets; package wire decodes
// the streams it yields, and package dump renders them.
//
// Read (or Open) takes any of the formats; ReadPcap and ReadTranscript take
// one. They return a Capture: its Streams are connections, each with the
// Flow of bytes either side sent, reassembled from TCP segments for pcaps,
// with Marks (when each byte arrived) and Gaps (bytes the capture lacks).
// Every reader is bounded by Limits, and never panics on malformed input.
//
// A Recorder writes streams as they happen (the interop harness records
// Unix-socket traffic with it); EncodePacket frames one TCP segment for any
// link type the readers take. Package capturetest builds on them to write
// deterministic, deliberately damaged captures for tests.
package capture

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Direction says which side sent bytes.
type Direction int

// Directions. The host is the side that accepted the connection.
const (
	HostToClient Direction = iota
	ClientToHost
)

func (d Direction) String() string {
	if d == ClientToHost {
		return "C->S"
	}
	return "S->C"
}

// Record is one chunk of bytes sent in one direction.
type Record struct {
	Conn  int           // connection number, from 0
	Dir   Direction     // who sent it
	Time  time.Duration // since the capture started, if recorded
	Label string        // the transcript's own description of the chunk
	Data  []byte
	Line  int // line of the header in the transcript
}

var (
	timed  = regexp.MustCompile(`^\[\s*([0-9.]+)\]\s+(.*)$`)
	header = regexp.MustCompile(`^(<<<|>>>|S->C|C->S)\s*(.*)$`)
)

// ParseTranscript reads a hex transcript: a header line per chunk
// ("<<< type=1 len=22", ">>> AddObject Demo dynamic", "[ 0.297] S->C type=9
// len=50", with "--- new connection" separating connections) followed by
// indented lines of hex bytes.
func ParseTranscript(r io.Reader) ([]Record, error) {
	var (
		out  []Record
		cur  = -1 // index in out of the chunk whose hex lines follow
		conn = -1
		line int
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 64<<20) // from 4 KiB, doubling as long lines need
	for sc.Scan() {
		line++
		raw := sc.Text()
		text := strings.TrimSpace(raw)
		if text == "" {
			continue
		}
		if (raw[0] == ' ' || raw[0] == '\t') && cur >= 0 {
			b, err := hex.DecodeString(strings.ReplaceAll(text, " ", ""))
			if err != nil {
				return nil, fmt.Errorf("capture: line %d: %v", line, err)
			}
			out[cur].Data = append(out[cur].Data, b...)
			continue
		}
		var at time.Duration
		if m := timed.FindStringSubmatch(text); m != nil {
			secs, _ := strconv.ParseFloat(m[1], 64)
			at = time.Duration(secs * float64(time.Second))
			text = m[2]
		}
		if strings.HasPrefix(text, "--- new connection") {
			conn++
			cur = -1
			continue
		}
		m := header.FindStringSubmatch(text)
		if m == nil || strings.HasSuffix(text, "EOF") {
			cur = -1 // a comment, an EOF marker, or an unrelated line
			continue
		}
		if conn < 0 {
			conn = 0
		}
		dir := HostToClient
		if m[1] == ">>>" || m[1] == "C->S" {
			dir = ClientToHost
		}
		out = append(out, Record{Conn: conn, Dir: dir, Time: at, Label: m[2], Line: line})
		cur = len(out) - 1
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
