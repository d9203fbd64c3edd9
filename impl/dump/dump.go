// Package dump decodes recorded QtRO traffic into packets and renders them
// for people (one line per packet, as `qtro dump` prints) or for machines
// (one JSON object per line).
//
// It takes what package capture reads (pcap, pcapng, hex transcripts), tells
// each connection's dialect and host side from the Handshake, cuts each
// direction into frames, and decodes them with package wire, in capture order,
// with a user-type registry per connection. It never stops at bad input: a
// frame that fails to decode is reported with its bytes and skipped by its
// length, an implausible frame header or a hole in the capture makes it
// search for the next plausible header, and a frame cut by the end of the
// capture is reported as such.
//
// The packets of a remoted item model (Qt's QAbstractItemModelAdapter,
// recognised per connection from ObjectList, a class definition or its
// traffic) are also read as the model operations they carry (Item.Model,
// ModelOp) and shown as such; anything else renders as it always did.
//
// Decode gives the packets as values (for tests and tools); Write and File
// render them, Render renders what Decode gave.
package dump

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/qtro/qtro/impl/capture"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// Options says what to decode and how to show it. The zero value decodes
// every connection, detects the dialect, and prints text.
type Options struct {
	// Dialect forces the dialect of every connection; zero detects it from
	// the host's Handshake (or, without one, from the frame layout).
	Dialect wire.Dialect
	// Conns selects connections by Conn.ID; nil or empty selects all.
	Conns []int
	// Hex adds each frame's bytes to the output.
	Hex bool
	// JSON writes one JSON object per line instead of text.
	JSON bool
	// BaseTypes returns the user-type registry a connection of dialect d
	// starts from; each connection gets its own child registry of it, so
	// gadgets learnt from class definitions stay on that connection. Nil
	// means the types every QtRO peer knows (wire.Dialect.Types).
	BaseTypes func(d wire.Dialect) *qds.Types
	// Gadgets declares user types the capture's programs had compiled in,
	// registered on every connection (see ParseGadget).
	Gadgets []Gadget
	// Limits bounds frames and values (zero fields: wire's defaults).
	Limits wire.Limits
	// Capture bounds reading capture files in File (zero fields: capture's defaults).
	Capture capture.Limits
}

// Sentinels of faults found while cutting a stream into frames; Item.Err
// wraps one of them, or holds the *wire.ProtocolError of a failed decode.
var (
	// ErrBadHeader means a frame header is implausible (size below 2 or above
	// Limits.MaxFrameSize); the frames after it are found by resynchronising.
	ErrBadHeader = errors.New("implausible frame header")
	// ErrCaptureGap means bytes of the frame are missing from the capture.
	ErrCaptureGap = errors.New("bytes missing from the capture")
	// ErrTruncatedFrame means the capture ends inside the frame.
	ErrTruncatedFrame = errors.New("frame cut by the end of the capture")
	// ErrNoFrame means no plausible frame header was found in the bytes.
	ErrNoFrame = errors.New("no plausible frame header")
)

// Conn is one decoded connection.
type Conn struct {
	ID        int
	Host      string // host endpoint ("" in transcripts)
	Client    string
	HostBy    capture.HostBy
	Dialect   wire.Dialect // zero when the connection carried no payload
	DialectBy string       // "Handshake", "forced", or how it was guessed
	Notes     []string     // remarks from capture and from framing
	Closed    [2]string    // per capture.Direction: "FIN", "RST" or ""
	Items     []Item       // packets and faults in capture order
}

// Item is one frame, or one fault between frames, of a connection.
type Item struct {
	Time   time.Duration     // when the frame's last byte was captured, since the capture began
	Dir    capture.Direction // who sent it
	Offset int64             // offset of the frame's size field in the sender's byte stream
	Size   uint32            // the size field (frame length after it); 0 when there is no header
	Type   wire.PacketType   // from the header
	Frame  []byte            // the frame's bytes, size field included (partial when cut)
	Packet wire.Packet       // the decoded packet; nil when Err is set
	Err    error             // nil, a *wire.ProtocolError, or one of this package's sentinels
	Hint   string            // with Err, a suggestion to make the frame decode, or ""
	// Model is the item model operation the packet carries, when it is
	// traffic of a model adapter (see ModelOp); nil otherwise.
	Model *ModelOp
	// ModelNote says, for a packet of a model adapter left as a generic
	// packet, why it is not the model operation its index names; or "".
	ModelNote string
	order     int
}

// Summary counts what Write rendered.
type Summary struct {
	Conns        int      // connections shown
	Packets      int      // frames decoded
	Errors       int      // items with an error (decode, framing, gaps, truncation)
	UnknownTypes []string // user type names that stopped a decode, sorted
}

// UnknownUserType reports the type name when err is a decode failure on a
// QVariant user type nobody registered (Qt fails the same way).
func UnknownUserType(err error) (name string, ok bool) {
	if !errors.Is(err, qds.ErrUnknownUserType) {
		return "", false
	}
	msg := err.Error()
	i := strings.Index(msg, qds.ErrUnknownUserType.Error()+": ")
	if i < 0 {
		return "", true
	}
	q, qerr := strconv.QuotedPrefix(msg[i+len(qds.ErrUnknownUserType.Error())+2:])
	if qerr != nil {
		return "", true
	}
	name, _ = strconv.Unquote(q)
	return name, true
}

// Decode decodes every selected connection of c.
func Decode(c *capture.Capture, opts Options) []Conn {
	var out []Conn
	for i := range c.Streams {
		if !selected(opts.Conns, c.Streams[i].ID) {
			continue
		}
		out = append(out, decodeStream(c.Streams[i], opts))
	}
	return out
}

func selected(ids []int, id int) bool {
	if len(ids) == 0 {
		return true
	}
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// decodeStream decides host and dialect, cuts both flows into frames, and
// decodes them in capture order.
func decodeStream(s capture.Stream, opts Options) Conn {
	lim := opts.Limits
	if lim.MaxFrameSize <= 0 {
		lim.MaxFrameSize = wire.DefaultMaxFrameSize
	}
	notes := append([]string(nil), s.Notes...)
	hd, hs := handshake(&s.Flows[capture.HostToClient], lim)
	cd, cs := handshake(&s.Flows[capture.ClientToHost], lim)
	switch {
	case cs && (!hs || firstOrder(&s.Flows[capture.ClientToHost]) < firstOrder(&s.Flows[capture.HostToClient])):
		if s.HostBy == capture.HostBySYN || s.HostBy == capture.HostByTranscript {
			notes = append(notes, fmt.Sprintf("the side the capture took for the client (%s) sent the Handshake: treating it as the host", s.HostBy))
		}
		s.Swap(capture.HostByHandshake)
		hd, hs = cd, true
	case hs && (s.HostBy == capture.HostByPorts || s.HostBy == capture.HostByListener):
		s.HostBy = capture.HostByHandshake
	}
	conn := Conn{ID: s.ID, Host: s.Host, Client: s.Client, HostBy: s.HostBy, Closed: s.Closed}
	switch d := opts.Dialect; {
	case d.Valid():
		conn.Dialect, conn.DialectBy = d, "forced"
		if hs && hd != d {
			notes = append(notes, fmt.Sprintf("the Handshake is in the %s layout; decoding as %s as forced", hd, d))
		}
	case hs:
		conn.Dialect, conn.DialectBy = hd, "Handshake"
	case len(s.Flows[0].Data) == 0 && len(s.Flows[1].Data) == 0:
		conn.DialectBy = "unknown: the connection carried no payload"
	default:
		conn.Dialect = guessDialect(&s, lim)
		conn.DialectBy = "guessed from the frame layout, as the capture holds no Handshake (force it with --dialect)"
	}
	// Both flows' items in one slice, grown once from the first flow's.
	var flowItems [len(s.Flows)][]Item
	for d := range s.Flows {
		var n []string
		flowItems[d], n = frames(&s.Flows[d], capture.Direction(d), conn.Dialect, lim)
		notes = append(notes, n...)
	}
	items := append(slices.Grow(flowItems[0], len(flowItems[1])), flowItems[1]...)
	sort.SliceStable(items, func(i, j int) bool {
		if items[i].order != items[j].order {
			return items[i].order < items[j].order
		}
		if items[i].Dir != items[j].Dir {
			return items[i].Dir < items[j].Dir
		}
		return items[i].Offset < items[j].Offset
	})
	types, tnotes := connTypes(conn.Dialect, opts)
	notes = append(notes, tnotes...)
	var learnt []wire.GadgetDef // gadgets this connection's class definitions declared
	for i := range items {
		it := &items[i]
		if it.Err != nil || it.Frame == nil {
			continue
		}
		p, err := wire.Decode(conn.Dialect, types, lim.Values, wire.Frame{Type: it.Type, Body: it.Frame[6:], Offset: it.Offset})
		if id, ok := p.(*wire.InitDynamic); ok {
			learnt = append(learnt, id.Class.Gadgets...)
		}
		if err != nil {
			it.Err, it.Hint = err, hint(err, it.Frame, learnt)
			continue
		}
		it.Packet = p
	}
	notes = append(notes, annotateModels(items)...)
	conn.Items, conn.Notes = items, notes
	return conn
}

// connTypes builds a connection's registry: a child of the base registry,
// holding the declared gadgets.
func connTypes(d wire.Dialect, opts Options) (*qds.Types, []string) {
	base := d.Types()
	if opts.BaseTypes != nil {
		if b := opts.BaseTypes(d); b != nil {
			base = b
		}
	}
	t := qds.NewTypes(base)
	var notes []string
	for _, g := range opts.Gadgets {
		if err := g.Register(t); err != nil {
			notes = append(notes, err.Error())
		}
	}
	return t, notes
}

func firstOrder(f *capture.Flow) int {
	if len(f.Marks) == 0 {
		return int(^uint(0) >> 1)
	}
	return f.Marks[0].Order
}

// handshake reports the dialect of a Handshake frame at the start of f.
func handshake(f *capture.Flow, lim wire.Limits) (wire.Dialect, bool) {
	d, ok := wire.DetectDialect(f.Data)
	if !ok {
		return 0, false
	}
	size := frameSize(f.Data, d)
	if size < 2 || int64(size) > int64(lim.MaxFrameSize) || int64(len(f.Data)) < 4+int64(size) {
		return 0, false
	}
	_, err := wire.Decode(d, nil, lim.Values, wire.Frame{Type: wire.Handshake, Body: f.Data[6 : 4+size]})
	return d, err == nil
}

// guessDialect picks the dialect under which more frames line up.
func guessDialect(s *capture.Stream, lim wire.Limits) wire.Dialect {
	best, bestScore := wire.Qt6, -1
	for _, d := range wire.Dialects {
		score := 0
		for i := range s.Flows {
			score += chain(&s.Flows[i], d, lim)
		}
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	return best
}

// chain counts the frames that follow each other from the first plausible
// header of f in dialect d (at most 64).
func chain(f *capture.Flow, d wire.Dialect, lim wire.Limits) int {
	p, ok := resync(f, 0, d, lim)
	n := 0
	for ok && n < 64 && plausible(f.Data, p, d, lim, true) {
		n++
		p += 4 + int64(frameSize(f.Data[p:], d))
		if p >= int64(len(f.Data)) {
			break
		}
	}
	return n
}

func frameSize(b []byte, d wire.Dialect) uint32 {
	if d == wire.Qt6 {
		return binary.LittleEndian.Uint32(b)
	}
	return binary.BigEndian.Uint32(b)
}

func frameType(b []byte, d wire.Dialect) wire.PacketType {
	if d == wire.Qt6 {
		return wire.PacketType(binary.LittleEndian.Uint16(b[4:]))
	}
	return wire.PacketType(binary.BigEndian.Uint16(b[4:]))
}

// Write decodes c and renders it to w: text by default, JSON lines with
// opts.JSON. It returns what it counted; the error is w's.
func Write(w io.Writer, c *capture.Capture, opts Options) (Summary, error) {
	conns := Decode(c, opts)
	return summarize(conns), Render(w, c, conns, opts)
}

// Render writes connections already decoded from c (by Decode, possibly
// filtered) as Write does.
func Render(w io.Writer, c *capture.Capture, conns []Conn, opts Options) error {
	if opts.JSON {
		return writeJSON(w, c, conns, opts)
	}
	return writeText(w, c, conns, opts)
}

// File reads the capture at path (any format package capture knows) and
// renders it with Write.
func File(w io.Writer, path string, opts Options) (Summary, error) {
	c, err := capture.Open(path, opts.Capture)
	if err != nil {
		return Summary{}, err
	}
	return Write(w, c, opts)
}

func summarize(conns []Conn) Summary {
	var s Summary
	unknown := map[string]bool{}
	for _, c := range conns {
		s.Conns++
		for _, it := range c.Items {
			if it.Err != nil {
				s.Errors++
				if name, ok := UnknownUserType(it.Err); ok && name != "" {
					unknown[name] = true
				}
				continue
			}
			s.Packets++
		}
	}
	for n := range unknown {
		s.UnknownTypes = append(s.UnknownTypes, n)
	}
	sort.Strings(s.UnknownTypes)
	return s
}

// hint suggests a --gadget declaration for a frame that failed to decode: for
// a user type nobody knows, the syntax; for a gadget a class definition
// declared (decoded as one QVariant per field, as a Qt dynamic replica does)
// whose sender streams it otherwise, the declaration of its bare fields.
func hint(err error, frame []byte, learnt []wire.GadgetDef) string {
	if name, ok := UnknownUserType(err); ok && name != "" {
		return fmt.Sprintf("the sending program had %s compiled in; declare it: --gadget '%s=field1,field2,...' (one QVariant per field, as repc PODs stream) or --gadget '%s=field1:type1,...' (bare fields, for hand-written stream operators)", name, name, name)
	}
	for _, g := range learnt {
		if len(g.Properties) == 0 || !bytes.Contains(frame, append([]byte(g.Name), 0)) {
			continue
		}
		decl := Gadget{Name: g.Name}
		var def []string
		for _, p := range g.Properties {
			decl.Fields = append(decl.Fields, p.Name)
			decl.Types = append(decl.Types, p.Type)
			def = append(def, p.Type+" "+p.Name)
		}
		return fmt.Sprintf("the frame holds a %s, which the class definition declares as {%s} and which was read as one QVariant per field; if the sending program streams it with its own operators, declare it: --gadget '%s'", g.Name, strings.Join(def, ", "), decl)
	}
	return ""
}
