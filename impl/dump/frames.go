package dump

import (
	"encoding/binary"
	"fmt"
	"unicode"
	"unicode/utf16"

	"github.com/qtro/qtro/impl/capture"
	"github.com/qtro/qtro/impl/wire"
)

// minFrameSize is the smallest size field of a frame Qt sends: the type and
// a QString length (or ObjectList's count).
const minFrameSize = 6

// maxNameBytes bounds the object name a plausible frame starts with.
const maxNameBytes = 4096

// frames cuts one flow into frames. It never decodes; it finds where frames
// are, and reports faults between them as items.
func frames(f *capture.Flow, dir capture.Direction, d wire.Dialect, lim wire.Limits) (items []Item, notes []string) {
	data := f.Data
	n := int64(len(data))
	if n == 0 {
		return nil, nil
	}
	item := func(p, end int64) Item {
		it := Item{Dir: dir, Offset: f.StreamOffset(p)}
		if m, ok := f.MarkAt(min(max(end, p+1), n)); ok {
			it.Time, it.order = m.Time, m.Order
		}
		return it
	}
	var p int64
	if f.MidStream {
		q, ok := resync(f, 0, d, lim)
		switch {
		case !ok:
			notes = append(notes, fmt.Sprintf("%s: the capture starts mid-stream and no plausible %s frame header was found in its %s", dir, d, byteCount(n)))
			it := item(0, n)
			it.Frame, it.Err = clip(data), fmt.Errorf("%w in %d bytes", ErrNoFrame, n)
			return append(items, it), notes
		case q == 0:
			notes = append(notes, fmt.Sprintf("%s: the capture starts mid-stream (offsets count from the first captured byte); a plausible frame header starts at its first byte", dir))
		default:
			notes = append(notes, fmt.Sprintf("%s: the capture starts mid-stream (offsets count from the first captured byte); skipped %s to the first plausible frame header, at offset %d", dir, byteCount(q), f.StreamOffset(q)))
		}
		p = q
	}
	handled := int64(-1) // position of the last gap resynchronised after
	for p < n {
		rem := n - p
		// A hole in the capture right here: what follows need not be a
		// frame boundary.
		if g, ok := f.GapIn(p, p+1); ok && g.At != handled {
			handled = g.At
			q, ok := resync(f, p, d, lim)
			it := item(p, p+1)
			it.Offset -= g.Len // where the missing bytes begin
			if !ok {
				it.Frame, it.Err = clip(data[p:]), fmt.Errorf("%w: %s at offset %d; no plausible frame header after them", ErrCaptureGap, byteCount(g.Len), it.Offset)
				return append(items, it), notes
			}
			it.Err = fmt.Errorf("%w: %s at offset %d; resynchronised at offset %d", ErrCaptureGap, byteCount(g.Len), it.Offset, f.StreamOffset(q))
			items = append(items, it)
			p = q
			continue
		}
		if rem < 6 {
			it := item(p, n)
			it.Frame, it.Err = data[p:], fmt.Errorf("%w: %d bytes of a frame header", ErrTruncatedFrame, rem)
			return append(items, it), notes
		}
		size, typ := frameSize(data[p:], d), frameType(data[p:], d)
		if size < 2 || int64(size) > int64(lim.MaxFrameSize) {
			it := item(p, p+6)
			it.Size, it.Type = size, typ
			q, ok := resync(f, p+1, d, lim)
			if !ok {
				it.Frame, it.Err = clip(data[p:]), fmt.Errorf("%w: size %d; no plausible frame header in the %d bytes after it", ErrBadHeader, size, rem)
				return append(items, it), notes
			}
			it.Frame = clip(data[p:q])
			it.Err = fmt.Errorf("%w: size %d; skipped %d bytes to the next plausible header, at offset %d", ErrBadHeader, size, q-p, f.StreamOffset(q))
			items = append(items, it)
			p = q
			continue
		}
		end := p + 4 + int64(size)
		if g, ok := f.GapIn(p+1, min(end, n)); ok {
			it := item(p, g.At)
			it.Size, it.Type, it.Frame = size, typ, clip(data[p:g.At])
			handled = g.At
			q, ok := resync(f, g.At, d, lim)
			if !ok {
				it.Err = fmt.Errorf("%w: %s at offset %d, inside this frame; no plausible frame header after them", ErrCaptureGap, byteCount(g.Len), f.StreamOffset(g.At)-g.Len)
				return append(items, it), notes
			}
			it.Err = fmt.Errorf("%w: %s at offset %d, inside this frame; resynchronised at offset %d", ErrCaptureGap, byteCount(g.Len), f.StreamOffset(g.At)-g.Len, f.StreamOffset(q))
			items = append(items, it)
			p = q
			continue
		}
		if end > n {
			it := item(p, n)
			it.Size, it.Type, it.Frame = size, typ, clip(data[p:])
			it.Err = fmt.Errorf("%w: %d of its %d bytes captured", ErrTruncatedFrame, rem, 4+int64(size))
			return append(items, it), notes
		}
		it := item(p, end)
		it.Size, it.Type, it.Frame = size, typ, data[p:end]
		items = append(items, it)
		p = end
	}
	// Bytes the capture lacks after the last it holds (a FIN proves them).
	if g, ok := f.GapIn(n, n+1); ok && g.At != handled {
		it := item(n-1, n)
		it.order = int(^uint(0) >> 1) // after everything captured
		it.Offset = f.StreamOffset(n) - g.Len
		it.Err = fmt.Errorf("%w: the last %s the sender sent, at offset %d", ErrCaptureGap, byteCount(g.Len), it.Offset)
		items = append(items, it)
	}
	return items, notes
}

// maxShownBytes bounds the bytes an Item keeps of a fault (a multi-megabyte
// stretch of garbage is not worth printing in full).
const maxShownBytes = 64 << 10

func clip(b []byte) []byte {
	if len(b) > maxShownBytes {
		return b[:maxShownBytes]
	}
	return b
}

// resync finds the first position at or after from where a plausible frame
// starts.
func resync(f *capture.Flow, from int64, d wire.Dialect, lim wire.Limits) (int64, bool) {
	for q := from; q+6 <= int64(len(f.Data)); q++ {
		if plausible(f.Data, q, d, lim, false) {
			return q, true
		}
	}
	return 0, false
}

// plausible reports whether a frame of dialect d could start at q: a size
// in range, a packet type Qt sends, a sensible name, and (when the frame is
// complete and more follows) a sensible next header. shallow skips the look
// at the next header.
func plausible(b []byte, q int64, d wire.Dialect, lim wire.Limits, shallow bool) bool {
	if q < 0 || q+6 > int64(len(b)) {
		return false
	}
	h := b[q:]
	size, typ := frameSize(h, d), frameType(h, d)
	if size < minFrameSize || int64(size) > int64(lim.MaxFrameSize) || typ < wire.Handshake || typ > wire.Pong {
		return false
	}
	body := h[6:]
	if int64(len(body)) > int64(size)-2 {
		body = body[:size-2]
	}
	if len(body) >= 4 {
		n := u32(body, d)
		if typ == wire.ObjectList {
			if int64(n)*12 > int64(size)-6 {
				return false
			}
		} else if n != 0xFFFFFFFF {
			if n%2 != 0 || n > maxNameBytes || int64(n) > int64(size)-6 {
				return false
			}
			if int(n) <= len(body)-4 && !printableUTF16(body[4:4+n], d) {
				return false
			}
		}
	}
	if shallow {
		return true
	}
	next := q + 4 + int64(size)
	if next+6 <= int64(len(b)) {
		return plausible(b, next, d, lim, true)
	}
	return true
}

func u32(b []byte, d wire.Dialect) uint32 {
	if d == wire.Qt6 {
		return binary.LittleEndian.Uint32(b)
	}
	return binary.BigEndian.Uint32(b)
}

// maxCheckedUnits bounds the UTF-16 units of a name that plausible looks at,
// so scanning garbage for a frame header stays linear.
const maxCheckedUnits = 32

// printableUTF16 reports whether raw starts with UTF-16 text without control
// characters, as object names and version strings are.
func printableUTF16(raw []byte, d wire.Dialect) bool {
	n := min(len(raw)/2, maxCheckedUnits)
	var units [maxCheckedUnits]uint16
	for i := 0; i < n; i++ {
		if d == wire.Qt6 {
			units[i] = binary.LittleEndian.Uint16(raw[2*i:])
		} else {
			units[i] = binary.BigEndian.Uint16(raw[2*i:])
		}
	}
	if n < len(raw)/2 && utf16.IsSurrogate(rune(units[n-1])) {
		n-- // do not judge a pair cut by the bound
	}
	for _, r := range utf16.Decode(units[:n]) {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

func byteCount(n int64) string {
	if n == 1 {
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}
