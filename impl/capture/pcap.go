package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Link types as the files spell them. gopacket v1.1.19 keeps a link type in a
// uint8, which cannot hold LINKTYPE_LINUX_SLL2 (276), so this package reads
// the link type from the file itself.
const (
	ltNull      = uint32(layers.LinkTypeNull)
	ltEthernet  = uint32(layers.LinkTypeEthernet)
	ltRawAlt    = 12 // DLT_RAW as some systems write it
	ltRawBSD    = 14 // DLT_RAW on OpenBSD
	ltRaw       = uint32(layers.LinkTypeRaw)
	ltLoop      = uint32(layers.LinkTypeLoop)
	ltLinuxSLL  = uint32(layers.LinkTypeLinuxSLL)
	ltIPv4      = uint32(layers.LinkTypeIPv4)
	ltIPv6      = uint32(layers.LinkTypeIPv6)
	ltLinuxSLL2 = 276 // tcpdump -i any, libpcap >= 1.10
)

// ReadPcap reads a pcap or pcapng file (either may be gzip-compressed) and
// reassembles its TCP connections: per 4-tuple and direction, in sequence
// order, with retransmissions and overlaps dropped, out-of-order segments put
// back in place, and holes the capture lacks recorded as Gaps. Link types:
// Ethernet (with 802.1Q tags), Linux cooked (SLL and SLL2), raw IPv4/IPv6,
// and BSD loopback (null/loop); IPv4 and IPv6 (extension headers skipped).
//
// A file that ends inside a record, or holds a corrupt one, still yields the
// streams read so far; Capture.Tail says what stopped the reading. The error
// is non-nil only when the input is not a pcap or pcapng at all, or exceeds
// lim.MaxInput.
func ReadPcap(r io.Reader, lim Limits) (*Capture, error) {
	lim = lim.withDefaults()
	data, err := readAll(r, lim.MaxInput, "pcap")
	if err != nil {
		return nil, err
	}
	return parsePcap(data, lim)
}

// packetSource is what pcapgo's two readers have in common.
type packetSource interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

func parsePcap(data []byte, lim Limits) (*Capture, error) {
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		var err error
		if data, err = gunzip(data, lim.MaxInput); err != nil {
			return nil, err
		}
	}
	if len(data) < 4 {
		return nil, &FormatError{Format: "pcap", Err: fmt.Errorf("%w: %d bytes", ErrFormat, len(data))}
	}
	c := &Capture{Timed: true}
	var (
		src      packetSource
		linkType func(gopacket.CaptureInfo) uint32
		valid    []byte
	)
	if binary.LittleEndian.Uint32(data) == pcapngSHB {
		c.Format = "pcapng"
		var full map[uint8]uint32
		valid, full, c.Tail = validatePcapng(data, lim)
		var ng *pcapgo.NgReader
		err := guard(func() error {
			var err error
			ng, err = pcapgo.NewNgReader(bytes.NewReader(valid), pcapgo.NgReaderOptions{WantMixedLinkType: true})
			return err
		})
		if err != nil {
			if c.Tail == nil {
				c.Tail = &FormatError{Format: c.Format, Err: fmt.Errorf("%w: %v", ErrCorrupt, err)}
			}
			return c, nil
		}
		src = ng
		linkType = func(ci gopacket.CaptureInfo) uint32 {
			if len(ci.AncillaryData) > 0 {
				if lt, ok := ci.AncillaryData[0].(layers.LinkType); ok {
					return full[uint8(lt)]
				}
			}
			return ltNull
		}
	} else {
		c.Format = "pcap"
		var err error
		valid, c.Tail, err = validatePcap(data, lim)
		if err != nil {
			return nil, err
		}
		var pr *pcapgo.Reader
		if err := guard(func() error {
			var err error
			pr, err = pcapgo.NewReader(bytes.NewReader(valid))
			return err
		}); err != nil {
			return nil, &FormatError{Format: c.Format, Err: fmt.Errorf("%w: %v", ErrFormat, err)}
		}
		// validatePcap bounded every record; the header's snap length is
		// advice only (tools ignore it, and some writers set it too low).
		pr.SetSnaplen(uint32(lim.MaxPacket))
		src = pr
		lt := binary.LittleEndian.Uint32(valid[20:])
		if binary.LittleEndian.Uint32(valid) != pcapMicroLE && binary.LittleEndian.Uint32(valid) != pcapNanoLE {
			lt = binary.BigEndian.Uint32(valid[20:])
		}
		lt &= 0x0fffffff // the top bits carry FCS information
		linkType = func(gopacket.CaptureInfo) uint32 { return lt }
	}
	d := newDecoder(lim)
	for {
		var (
			pkt []byte
			ci  gopacket.CaptureInfo
		)
		err := guard(func() error {
			var err error
			pkt, ci, err = src.ReadPacketData()
			return err
		})
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if c.Tail == nil {
				c.Tail = &FormatError{Format: c.Format, Offset: -1, Err: fmt.Errorf("%w: packet %d: %v", ErrCorrupt, d.order+1, err)}
			}
			break
		}
		if d.order == 0 {
			c.Start = ci.Timestamp
		}
		d.packet(linkType(ci), pkt, ci.Timestamp.Sub(c.Start))
	}
	c.Streams = d.asm.streams()
	c.Notes = d.notes()
	return c, nil
}

// guard runs a gopacket call, turning a panic into an error: gopacket
// v1.1.19 panics on some malformed input (a pcapng if_tsresol of 2^-64 or
// finer divides by zero), and a capture file is untrusted input.
func guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("gopacket: %v", r)
		}
	}()
	return f()
}

// validatePcap checks the record structure of a classic pcap and returns the
// prefix that is sound, so pcapgo never allocates more than the file holds.
func validatePcap(data []byte, lim Limits) (valid []byte, tail, err error) {
	if len(data) < 24 {
		return nil, nil, &FormatError{Format: "pcap", Err: fmt.Errorf("%w: file header needs 24 bytes, have %d", ErrFormat, len(data))}
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if m := binary.LittleEndian.Uint32(data); m != pcapMicroLE && m != pcapNanoLE {
		bo = binary.BigEndian
	}
	off := 24
	for off < len(data) {
		fail := func(sentinel error, format string, args ...any) {
			tail = &FormatError{Format: "pcap", Offset: int64(off), Err: fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)}
		}
		if len(data)-off < 16 {
			fail(ErrTruncated, "record header cut after %d bytes", len(data)-off)
			break
		}
		capLen, origLen := bo.Uint32(data[off+8:]), bo.Uint32(data[off+12:])
		if capLen > origLen {
			fail(ErrCorrupt, "captured length %d exceeds original length %d", capLen, origLen)
			break
		}
		if int64(capLen) > int64(lim.MaxPacket) {
			fail(ErrLimit, "packet of %d bytes (Limits.MaxPacket %d)", capLen, lim.MaxPacket)
			break
		}
		if int64(capLen) > int64(len(data)-off-16) {
			fail(ErrTruncated, "packet of %d bytes cut after %d", capLen, len(data)-off-16)
			break
		}
		off += 16 + int(capLen)
	}
	return data[:off], tail, nil
}

// pcapng block types.
const (
	ngIDB = 1
	ngPB  = 2
	ngSPB = 3
	ngISB = 5
	ngEPB = 6
	ngSHB = pcapngSHB
)

// validatePcapng checks the block structure of a pcapng (lengths, packet
// sizes, options, timestamp resolutions) and returns the sound prefix, and the
// interfaces' link types keyed by the byte gopacket keeps of them.
func validatePcapng(data []byte, lim Limits) (valid []byte, linkTypes map[uint8]uint32, tail error) {
	linkTypes = map[uint8]uint32{}
	var (
		bo    binary.ByteOrder
		off   int
		snap0 uint32 // snap length of the section's first interface
		nIf   int
	)
	for off < len(data) {
		fail := func(sentinel error, format string, args ...any) {
			tail = &FormatError{Format: "pcapng", Offset: int64(off), Err: fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)}
		}
		if len(data)-off < 12 {
			fail(ErrTruncated, "block header cut after %d bytes", len(data)-off)
			break
		}
		typ := binary.LittleEndian.Uint32(data[off:])
		if typ == ngSHB {
			switch binary.BigEndian.Uint32(data[off+8:]) {
			case 0x1a2b3c4d:
				bo = binary.BigEndian
			case 0x4d3c2b1a:
				bo = binary.LittleEndian
			default:
				fail(ErrCorrupt, "section header with a bad byte-order magic")
				return data[:off], linkTypes, tail
			}
			snap0, nIf = 0, 0
		} else if bo == nil {
			fail(ErrCorrupt, "no section header")
			break
		} else {
			typ = bo.Uint32(data[off:])
		}
		blen := bo.Uint32(data[off+4:])
		if blen < 12 || blen%4 != 0 {
			fail(ErrCorrupt, "block length %d", blen)
			break
		}
		if int64(blen) > int64(len(data)-off) {
			fail(ErrTruncated, "block of %d bytes cut after %d", blen, len(data)-off)
			break
		}
		if bo.Uint32(data[off+int(blen)-4:]) != blen {
			fail(ErrCorrupt, "trailing block length differs from %d", blen)
			break
		}
		body := data[off+8 : off+int(blen)-4]
		var bad string
		switch typ {
		case ngSHB:
			bad = checkOptions(body, 16, bo, nil)
		case ngIDB:
			if len(body) >= 8 {
				if nIf == 0 {
					snap0 = bo.Uint32(body[4:])
				}
				lt := uint32(bo.Uint16(body))
				if old, ok := linkTypes[uint8(lt)]; ok && old != lt {
					bad = fmt.Sprintf("link types %d and %d in one file", old, lt)
					break
				}
				linkTypes[uint8(lt)] = lt
			}
			nIf++
			bad = checkOptions(body, 8, bo, checkIDBOption)
		case ngISB:
			bad = checkOptions(body, 12, bo, nil)
		case ngEPB, ngPB:
			if len(body) < 20 {
				bad = "packet block too short"
				break
			}
			capLen := bo.Uint32(body[12:])
			if int64(capLen) > int64(len(body)-20) {
				bad = fmt.Sprintf("captured length %d exceeds the block", capLen)
			} else if int64(capLen) > int64(lim.MaxPacket) {
				fail(ErrLimit, "packet of %d bytes (Limits.MaxPacket %d)", capLen, lim.MaxPacket)
				return data[:off], linkTypes, tail
			}
		case ngSPB:
			if len(body) < 4 {
				bad = "simple packet block too short"
				break
			}
			capLen := bo.Uint32(body)
			if snap0 != 0 && capLen > snap0 {
				capLen = snap0
			}
			if int64(capLen) > int64(len(body)-4) || int64(capLen) > int64(lim.MaxPacket) {
				bad = fmt.Sprintf("simple packet of %d bytes does not fit its block", capLen)
			}
		}
		if bad != "" {
			fail(ErrCorrupt, "%s", bad)
			break
		}
		off += int(blen)
	}
	return data[:off], linkTypes, tail
}

// checkOptions checks that the options after skip bytes of body fit the
// block, as pcapgo reads them without looking at the block's length.
func checkOptions(body []byte, skip int, bo binary.ByteOrder, check func(code uint16, val []byte) string) string {
	if len(body) < skip {
		return "block too short"
	}
	o := body[skip:]
	for len(o) > 0 {
		if len(o) < 4 {
			return "option header cut"
		}
		code, n := bo.Uint16(o), int(bo.Uint16(o[2:]))
		if code == 0 {
			if n != 0 {
				return "end-of-options with a length"
			}
			return ""
		}
		padded := (n + 3) &^ 3
		if 4+padded > len(o) {
			return fmt.Sprintf("option %d of %d bytes overruns the block", code, n)
		}
		if check != nil {
			if bad := check(code, o[4:4+n]); bad != "" {
				return bad
			}
		}
		o = o[4+padded:]
	}
	return ""
}

// checkIDBOption rejects interface options pcapgo would mis-handle.
func checkIDBOption(code uint16, val []byte) string {
	switch code {
	case 9: // if_tsresol
		if len(val) < 1 {
			return "empty if_tsresol"
		}
		e := val[0] & 0x7f
		if (val[0]&0x80 != 0 && e > 62) || (val[0]&0x80 == 0 && e > 18) {
			return fmt.Sprintf("timestamp resolution 0x%02x out of range", val[0])
		}
	case 14: // if_tsoffset
		if len(val) < 8 {
			return "short if_tsoffset"
		}
	case 11: // if_filter: pcapgo drops its first byte
		if len(val) < 1 {
			return "empty if_filter"
		}
	}
	return ""
}

// decoder turns captured packets into TCP segments for the assembler and
// counts what it skips.
type decoder struct {
	asm       *assembler
	order     int
	nonIP     int
	nonTCP    int
	fragments int
	malformed int
	unknownLT map[uint32]int
	eth       layers.Ethernet
	sll       layers.LinuxSLL
	ip4       layers.IPv4
	ip6       layers.IPv6
	tcp       layers.TCP
}

func newDecoder(lim Limits) *decoder {
	return &decoder{asm: newAssembler(lim), unknownLT: map[uint32]int{}}
}

// packet decodes one captured packet of link type lt.
func (d *decoder) packet(lt uint32, data []byte, at time.Duration) {
	d.order++
	var (
		etype layers.EthernetType
		ip    []byte
	)
	df := gopacket.NilDecodeFeedback
	switch lt {
	case ltEthernet:
		if d.eth.DecodeFromBytes(data, df) != nil {
			d.malformed++
			return
		}
		etype, ip = d.eth.EthernetType, d.eth.Payload
		for (etype == layers.EthernetTypeDot1Q || etype == layers.EthernetTypeQinQ) && len(ip) >= 4 {
			etype, ip = layers.EthernetType(binary.BigEndian.Uint16(ip[2:])), ip[4:]
		}
	case ltLinuxSLL:
		// gopacket slices the address by its length field unchecked; the
		// field holds 8 bytes at most.
		if len(data) < 16 || binary.BigEndian.Uint16(data[4:]) > 8 || d.sll.DecodeFromBytes(data, df) != nil {
			d.malformed++
			return
		}
		etype, ip = d.sll.EthernetType, d.sll.Payload
	case ltLinuxSLL2:
		if len(data) < 20 {
			d.malformed++
			return
		}
		etype, ip = layers.EthernetType(binary.BigEndian.Uint16(data)), data[20:]
	case ltNull, ltLoop:
		if len(data) < 4 {
			d.malformed++
			return
		}
		ip = data[4:] // the address family's byte order varies; the IP version says enough
	case ltRaw, ltRawAlt, ltRawBSD, ltIPv4, ltIPv6:
		ip = data
	default:
		d.unknownLT[lt]++
		return
	}
	switch etype {
	case 0, layers.EthernetTypeIPv4, layers.EthernetTypeIPv6:
	default:
		d.nonIP++
		return
	}
	d.ipPacket(ip, at)
}

// ipPacket decodes an IPv4 or IPv6 packet carrying TCP.
func (d *decoder) ipPacket(b []byte, at time.Duration) {
	if len(b) == 0 {
		d.malformed++
		return
	}
	df := gopacket.NilDecodeFeedback
	var (
		src, dst netip.Addr
		seg      []byte
		missing  int // bytes of the IP packet the capture cut off
	)
	switch b[0] >> 4 {
	case 4:
		if d.ip4.DecodeFromBytes(b, df) != nil {
			d.malformed++
			return
		}
		if d.ip4.Protocol != layers.IPProtocolTCP {
			d.nonTCP++
			return
		}
		if d.ip4.Flags&layers.IPv4MoreFragments != 0 || d.ip4.FragOffset != 0 {
			d.fragments++
			return
		}
		src, _ = netip.AddrFromSlice(d.ip4.SrcIP)
		dst, _ = netip.AddrFromSlice(d.ip4.DstIP)
		seg = d.ip4.Payload
		missing = int(d.ip4.Length) - len(b)
	case 6:
		if d.ip6.DecodeFromBytes(b, df) != nil {
			d.malformed++
			return
		}
		next, payload := d.ip6.NextHeader, d.ip6.Payload
		if d.ip6.HopByHop != nil {
			next = d.ip6.HopByHop.NextHeader
		}
		if d.ip6.Length != 0 {
			missing = 40 + int(d.ip6.Length) - len(b)
		}
		for hops := 0; next != layers.IPProtocolTCP; hops++ {
			var n int
			switch {
			case hops > 8 || len(payload) < 8:
				d.malformed++
				return
			case next == layers.IPProtocolIPv6Routing || next == layers.IPProtocolIPv6Destination:
				n = (int(payload[1]) + 1) * 8
			case next == layers.IPProtocolAH:
				n = (int(payload[1]) + 2) * 4
			case next == layers.IPProtocolIPv6Fragment:
				d.fragments++
				return
			default:
				d.nonTCP++
				return
			}
			if n > len(payload) {
				d.malformed++
				return
			}
			next, payload = layers.IPProtocol(payload[0]), payload[n:]
		}
		src, _ = netip.AddrFromSlice(d.ip6.SrcIP)
		dst, _ = netip.AddrFromSlice(d.ip6.DstIP)
		seg = payload
	default:
		d.nonIP++
		return
	}
	if d.tcp.DecodeFromBytes(seg, df) != nil {
		d.malformed++
		return
	}
	d.asm.add(segment{
		src:     netip.AddrPortFrom(src.Unmap(), uint16(d.tcp.SrcPort)),
		dst:     netip.AddrPortFrom(dst.Unmap(), uint16(d.tcp.DstPort)),
		seq:     d.tcp.Seq,
		syn:     d.tcp.SYN,
		ack:     d.tcp.ACK,
		fin:     d.tcp.FIN,
		rst:     d.tcp.RST,
		payload: d.tcp.Payload,
		missing: max(missing, 0),
		time:    at,
		order:   d.order,
	})
}

// notes describes what the decoder skipped.
func (d *decoder) notes() []string {
	var out []string
	add := func(n int, format string) {
		if n > 0 {
			out = append(out, fmt.Sprintf(format, n))
		}
	}
	add(d.nonIP, "%d packets that are not IP skipped")
	add(d.nonTCP, "%d IP packets that are not TCP skipped")
	add(d.fragments, "%d IP fragments skipped (fragments are not reassembled)")
	add(d.malformed, "%d malformed packets skipped")
	add(d.asm.dropped, "%d TCP segments skipped: more connections than Limits.MaxStreams")
	if len(d.unknownLT) > 0 {
		var lts []string
		for lt, n := range d.unknownLT {
			lts = append(lts, fmt.Sprintf("%d packets of link type %d", n, lt))
		}
		sort.Strings(lts)
		out = append(out, "unsupported link types skipped: "+strings.Join(lts, ", "))
	}
	return out
}
