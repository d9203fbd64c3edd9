package dump

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/qtro/qtro/impl/capture"
	"github.com/qtro/qtro/impl/wire"
)

// maxErrorHex bounds the bytes printed for a frame that failed to decode
// (all of them are printed with Options.Hex).
const maxErrorHex = 4096

// Column layout of a packet line: "  <time>  <dir>  <offset>  <len>  <packet>".
const (
	lineFormat   = "  %10s  %-4s  %8d  %6s  %s\n"
	headerFormat = "  %10s  %-4s  %8s  %6s  %s\n"
	descColumn   = 2 + 10 + 2 + 4 + 2 + 8 + 2 + 6 + 2
)

func writeText(w io.Writer, c *capture.Capture, conns []Conn, opts Options) error {
	bw := getWriter(w)
	defer putWriter(bw)
	fmt.Fprintf(bw, "capture: %s, %s", c.Format, plural(len(c.Streams), "connection"))
	if !c.Start.IsZero() {
		fmt.Fprintf(bw, ", first packet at %s", c.Start.UTC().Format("2006-01-02T15:04:05.000000Z"))
	}
	bw.WriteString("\n")
	for _, n := range c.Notes {
		fmt.Fprintf(bw, "capture: note: %s\n", n)
	}
	if c.Tail != nil {
		fmt.Fprintf(bw, "capture: reading stopped early: %v\n", c.Tail)
	}
	for _, conn := range conns {
		writeConn(bw, c, &conn, opts)
	}
	s := summarize(conns)
	fmt.Fprintf(bw, "summary: %s shown, %s, %s\n", plural(s.Conns, "connection"), plural(s.Packets, "packet"), plural(s.Errors, "error"))
	if len(s.UnknownTypes) > 0 {
		fmt.Fprintf(bw, "summary: unknown user types %s: declare them with --gadget (see above)\n", strings.Join(s.UnknownTypes, ", "))
	}
	return bw.Flush()
}

func writeConn(bw *bufio.Writer, c *capture.Capture, conn *Conn, opts Options) {
	fmt.Fprintf(bw, "\nconnection %d:", conn.ID)
	if conn.Host != "" {
		fmt.Fprintf(bw, " host %s, client %s,", conn.Host, conn.Client)
	}
	if conn.Dialect.Valid() {
		fmt.Fprintf(bw, " %s %q (dialect: %s)\n", conn.Dialect, conn.Dialect.ProtocolVersion(), conn.DialectBy)
	} else {
		fmt.Fprintf(bw, " dialect %s\n", conn.DialectBy)
	}
	fmt.Fprintf(bw, "  host side: %s\n", conn.HostBy)
	for _, n := range conn.Notes {
		fmt.Fprintf(bw, "  note: %s\n", n)
	}
	fmt.Fprintf(bw, headerFormat, "time", "dir", "offset", "len", "packet")
	packets, errs := 0, 0
	var num [32]byte
	for i := range conn.Items {
		it := &conn.Items[i]
		ts := "-"
		if c.Timed {
			ts = string(strconv.AppendFloat(num[:0], it.Time.Seconds(), 'f', 6, 64))
		}
		size := "-"
		if it.Size > 0 || len(it.Frame) >= 4 {
			size = strconv.FormatUint(uint64(it.Size), 10)
		}
		if it.Err == nil {
			packets++
			desc := wire.Describe(it.Packet)
			if it.Model != nil {
				desc = modelText(it, desc)
			}
			desc = strings.ReplaceAll(desc, "\n", descIndent)
			writeLine(bw, ts, it.Dir, it.Offset, size, desc)
			if it.ModelNote != "" {
				fmt.Fprintf(bw, "%*snote: %s\n", descColumn, "", it.ModelNote)
			}
			if opts.Hex {
				writeHex(bw, it.Frame, -1)
			}
			continue
		}
		errs++
		line, more := faultText(it)
		writeLine(bw, ts, it.Dir, it.Offset, size, line)
		for _, m := range more {
			fmt.Fprintf(bw, "%*s%s\n", descColumn, "", m)
		}
		limit := maxErrorHex
		if opts.Hex {
			limit = -1
		}
		writeHex(bw, it.Frame, limit)
	}
	closed := func(d capture.Direction) string {
		if s := conn.Closed[d]; s != "" {
			return s
		}
		return "open"
	}
	bw.WriteString("  end: ")
	if conn.Host != "" { // transcripts do not record how connections ended
		fmt.Fprintf(bw, "%s %s, %s %s; ", capture.HostToClient, closed(capture.HostToClient), capture.ClientToHost, closed(capture.ClientToHost))
	}
	fmt.Fprintf(bw, "%s, %s\n", plural(packets, "packet"), plural(errs, "error"))
}

// descIndent is what a packet's multi-line description has after each of
// its newlines: the indentation of the packet column.
var descIndent = "\n" + strings.Repeat(" ", descColumn)

// writeLine writes a packet line as fmt.Fprintf(bw, lineFormat, ...) does,
// without fmt's per-call work.
func writeLine(bw *bufio.Writer, ts string, dir capture.Direction, offset int64, size, desc string) {
	var num [20]byte
	bw.WriteString("  ")
	padLeft(bw, ts, 10)
	bw.WriteString("  ")
	d := dir.String()
	bw.WriteString(d)
	writeSpaces(bw, 4-utf8.RuneCountInString(d))
	bw.WriteString("  ")
	padLeft(bw, string(strconv.AppendInt(num[:0], offset, 10)), 8)
	bw.WriteString("  ")
	padLeft(bw, size, 6)
	bw.WriteString("  ")
	bw.WriteString(desc)
	bw.WriteByte('\n')
}

// padLeft writes s right-aligned in width runes, as fmt's %<width>s does.
func padLeft(bw *bufio.Writer, s string, width int) {
	writeSpaces(bw, width-utf8.RuneCountInString(s))
	bw.WriteString(s)
}

func writeSpaces(bw *bufio.Writer, n int) {
	for ; n > 0; n-- {
		bw.WriteByte(' ')
	}
}

// modelText is the line of a model operation; a class definition that
// came with it (InitDynamic) stays under it, as for other packets.
func modelText(it *Item, desc string) string {
	line := fmt.Sprintf("model %q: %s", it.Model.Object, it.Model.Text)
	if _, ok := it.Packet.(*wire.InitDynamic); ok {
		if i := strings.IndexByte(desc, '\n'); i >= 0 {
			line += desc[i:]
		}
	}
	return line
}

// faultText describes an item whose frame could not be decoded: the line
// itself, and indented lines with the cause and a hint.
func faultText(it *Item) (line string, more []string) {
	prefix := ""
	if len(it.Frame) >= 6 {
		prefix = it.Type.String() + ": "
	}
	if name, ok := UnknownUserType(it.Err); ok && name != "" {
		line = fmt.Sprintf("%sERROR: unknown user type %s", prefix, name)
		more = append(more, "cause: "+it.Err.Error())
	} else {
		line = prefix + "ERROR: " + it.Err.Error()
	}
	if it.Hint != "" {
		more = append(more, "hint: "+it.Hint)
	}
	return line, more
}

const hexDigits = "0123456789abcdef"

// writeHex prints b as hex, 32 bytes a line, under the packet column; limit
// < 0 prints everything.
func writeHex(bw *bufio.Writer, b []byte, limit int) {
	if len(b) == 0 {
		return
	}
	shown := b
	if limit >= 0 && len(b) > limit {
		shown = b[:limit]
	}
	pad := strings.Repeat(" ", descColumn)
	var line [32 * 3]byte
	for i := 0; i < len(shown); i += 32 {
		bw.WriteString(pad)
		if i == 0 {
			bw.WriteString("hex: ")
		} else {
			bw.WriteString("     ")
		}
		// "xx xx ... xx\n": each byte as two lower-case hex digits and a
		// space, the last space replaced by the newline.
		n := 0
		for _, c := range shown[i:min(i+32, len(shown))] {
			line[n], line[n+1], line[n+2] = hexDigits[c>>4], hexDigits[c&0xf], ' '
			n += 3
		}
		line[n-1] = '\n'
		bw.Write(line[:n])
	}
	if len(shown) < len(b) {
		fmt.Fprintf(bw, "%s     ... %d more bytes (all of them with --hex)\n", pad, len(b)-len(shown))
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
