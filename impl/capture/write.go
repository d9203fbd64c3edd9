package capture

import (
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Link types the writers frame packets in (LINKTYPE_* values as files carry
// them); the readers take these and more.
const (
	LinkNull      uint32 = 0   // BSD loopback: 4-byte address family
	LinkEthernet  uint32 = 1   // Ethernet II
	LinkRaw       uint32 = 101 // bare IPv4/IPv6
	LinkLinuxSLL  uint32 = 113 // Linux cooked capture v1 (tcpdump -i any, older libpcap)
	LinkLinuxSLL2 uint32 = 276 // Linux cooked capture v2 (tcpdump -i any, libpcap >= 1.10)
)

// Segment is one TCP segment of a connection, for the writers.
type Segment struct {
	Dir  Direction
	Seq  uint32
	Ack  uint32 // sent when ACK is set
	Data []byte
	SYN  bool
	ACK  bool
	FIN  bool
	RST  bool
}

// EncodePacket returns seg, sent between client and host, as one IPv4 or
// IPv6 (by the addresses) TCP packet framed for linkType. Ethernet frames
// are padded to 60 bytes, as on the wire.
func EncodePacket(linkType uint32, client, host netip.AddrPort, seg Segment) ([]byte, error) {
	src, dst := client, host
	if seg.Dir == HostToClient {
		src, dst = host, client
	}
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()),
		Seq: seg.Seq, SYN: seg.SYN, ACK: seg.ACK, FIN: seg.FIN, RST: seg.RST, PSH: len(seg.Data) > 0, Window: 65535,
	}
	if seg.ACK {
		tcp.Ack = seg.Ack
	}
	var (
		ipLayer gopacket.SerializableLayer
		etype   layers.EthernetType
	)
	if src.Addr().Is4() {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, Flags: layers.IPv4DontFragment,
			SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
		_ = tcp.SetNetworkLayerForChecksum(ip)
		ipLayer, etype = ip, layers.EthernetTypeIPv4
	} else {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP,
			SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
		_ = tcp.SetNetworkLayerForChecksum(ip)
		ipLayer, etype = ip, layers.EthernetTypeIPv6
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ipLayer, tcp, gopacket.Payload(seg.Data)); err != nil {
		return nil, fmt.Errorf("capture: encode a segment of %d bytes: %w", len(seg.Data), err)
	}
	ip := buf.Bytes()
	var pkt []byte
	switch linkType {
	case LinkEthernet:
		pkt = append(pkt, 0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02)
		pkt = binary.BigEndian.AppendUint16(pkt, uint16(etype))
		pkt = append(pkt, ip...)
		for len(pkt) < 60 { // Ethernet pads short frames; readers must trim by the IP length
			pkt = append(pkt, 0)
		}
	case LinkLinuxSLL:
		pkt = binary.BigEndian.AppendUint16(pkt, 0)   // packet type: to us
		pkt = binary.BigEndian.AppendUint16(pkt, 772) // ARPHRD_LOOPBACK
		pkt = binary.BigEndian.AppendUint16(pkt, 6)
		pkt = append(pkt, 0, 0, 0, 0, 0, 0, 0, 0)
		pkt = binary.BigEndian.AppendUint16(pkt, uint16(etype))
		pkt = append(pkt, ip...)
	case LinkLinuxSLL2:
		pkt = binary.BigEndian.AppendUint16(pkt, uint16(etype))
		pkt = append(pkt, 0, 0)                         // reserved
		pkt = binary.BigEndian.AppendUint32(pkt, 1)     // interface index
		pkt = binary.BigEndian.AppendUint16(pkt, 772)   // ARPHRD_LOOPBACK
		pkt = append(pkt, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0) // packet type, address length, address
		pkt = append(pkt, ip...)
	case LinkNull:
		family := uint32(2) // AF_INET
		if etype == layers.EthernetTypeIPv6 {
			family = 30 // AF_INET6 on macOS; readers go by the IP version
		}
		pkt = binary.LittleEndian.AppendUint32(pkt, family)
		pkt = append(pkt, ip...)
	default:
		pkt = append(pkt, ip...)
	}
	return pkt, nil
}

// SnapLen is the snapshot length the writers declare: no packet they write
// is longer.
const SnapLen = 262144

// AppendPcapHeader appends a classic pcap file header (microsecond
// timestamps) in byte order bo.
func AppendPcapHeader(b []byte, bo binary.AppendByteOrder, linkType uint32) []byte {
	b = bo.AppendUint32(b, pcapMicroLE)
	b = bo.AppendUint16(b, 2)
	b = bo.AppendUint16(b, 4)
	b = bo.AppendUint32(b, 0) // thiszone
	b = bo.AppendUint32(b, 0) // sigfigs
	b = bo.AppendUint32(b, SnapLen)
	return bo.AppendUint32(b, linkType)
}

// AppendPcapRecord appends one classic pcap record: data captured at at,
// from a packet of origLen bytes.
func AppendPcapRecord(b []byte, bo binary.AppendByteOrder, at time.Time, data []byte, origLen int) []byte {
	b = bo.AppendUint32(b, uint32(at.Unix()))
	b = bo.AppendUint32(b, uint32(at.Nanosecond()/1000))
	b = bo.AppendUint32(b, uint32(len(data)))
	b = bo.AppendUint32(b, uint32(origLen))
	return append(b, data...)
}

// Addresses of the connections a Recorder synthesizes: the listening side
// is always recHost:port, each connection gets its own client port from
// recClientBasePort up.
var (
	recHost   = netip.AddrFrom4([4]byte{10, 0, 0, 1})
	recClient = netip.AddrFrom4([4]byte{10, 0, 0, 2})
)

const (
	recClientBasePort = 40000
	// maxSegment keeps every synthesized IPv4 packet under the 65535-byte
	// total-length limit (20-byte IPv4 + 20-byte TCP headers).
	maxSegment = 65000
)

// Recorder writes byte streams, as they happen, as a pcap of synthesized
// Ethernet/IPv4/TCP connections: a three-way handshake per connection, one
// PSH|ACK segment per chunk of data with consistent sequence numbers, and a
// FIN per direction. It lets a capture of a Unix-domain socket be read with
// the same tools as a TCP capture (this package's readers, Wireshark). It is
// safe for concurrent use.
type Recorder struct {
	mu       sync.Mutex
	w        io.Writer
	hostPort uint16
	next     uint16
	buf      []byte
	err      error
	closed   bool
}

// NewRecorder writes a pcap header to w and returns a Recorder whose
// listening side is 10.0.0.1:hostPort. Close closes w if it is an
// io.Closer.
func NewRecorder(w io.Writer, hostPort uint16) (*Recorder, error) {
	if _, err := w.Write(AppendPcapHeader(nil, binary.LittleEndian, LinkEthernet)); err != nil {
		return nil, fmt.Errorf("capture: pcap header: %w", err)
	}
	return &Recorder{w: w, hostPort: hostPort}, nil
}

// Close closes the output (if it is an io.Closer) and returns the first
// error the Recorder met; connections still open are left without FINs.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return r.err
	}
	r.closed = true
	if c, ok := r.w.(io.Closer); ok {
		r.keep(c.Close())
	}
	return r.err
}

// RecordedConn is one synthesized TCP connection of a Recorder.
type RecordedConn struct {
	r            *Recorder
	client, host netip.AddrPort
	seq          [2]uint32 // next sequence number, per Direction
	fin          [2]bool
}

// NewConn records a new connection (SYN, SYN|ACK, ACK) and returns it.
func (r *Recorder) NewConn() *RecordedConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	port := recClientBasePort + r.next
	r.next++
	c := &RecordedConn{r: r, client: netip.AddrPortFrom(recClient, port), host: netip.AddrPortFrom(recHost, r.hostPort)}
	c.seq[ClientToHost], c.seq[HostToClient] = 1000, 5000
	c.packet(Segment{Dir: ClientToHost, SYN: true})
	c.seq[ClientToHost]++
	c.packet(Segment{Dir: HostToClient, SYN: true, ACK: true})
	c.seq[HostToClient]++
	c.packet(Segment{Dir: ClientToHost, ACK: true})
	return c
}

// Data records bytes sent in direction d, split into segments.
func (c *RecordedConn) Data(d Direction, b []byte) {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	for len(b) > 0 {
		n := min(len(b), maxSegment)
		c.packet(Segment{Dir: d, ACK: true, Data: b[:n]})
		c.seq[d] += uint32(n)
		b = b[n:]
	}
}

// Fin records that direction d closed its side of the connection.
func (c *RecordedConn) Fin(d Direction) {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	if c.fin[d] {
		return
	}
	c.fin[d] = true
	c.packet(Segment{Dir: d, FIN: true, ACK: true})
	c.seq[d]++
}

// packet writes one segment at the connection's sequence numbers; an error
// is kept and reported by Close. The caller holds r.mu.
func (c *RecordedConn) packet(seg Segment) {
	r := c.r
	if r.closed || r.err != nil {
		return
	}
	seg.Seq, seg.Ack = c.seq[seg.Dir], c.seq[1-seg.Dir]
	pkt, err := EncodePacket(LinkEthernet, c.client, c.host, seg)
	if err != nil {
		r.keep(err)
		return
	}
	r.buf = AppendPcapRecord(r.buf[:0], binary.LittleEndian, time.Now(), pkt, len(pkt))
	_, err = r.w.Write(r.buf)
	r.keep(err)
}

// keep records the first error; the caller holds r.mu.
func (r *Recorder) keep(err error) {
	if r.err == nil {
		r.err = err
	}
}
