package harness

import (
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Addresses of the synthesized TCP/IPv4 flows written for relayed stream
// sockets: the listening side is always streamHostIP:port, each accepted
// connection gets its own client port from streamClientBasePort up.
var (
	streamHostIP   = net.IPv4(10, 0, 0, 1).To4()
	streamClientIP = net.IPv4(10, 0, 0, 2).To4()
	streamHostMAC  = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
	streamClntMAC  = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x02}
)

const (
	streamClientBasePort = 40000
	// maxSegment keeps every synthesized IPv4 packet under the 65535-byte
	// total-length limit (20-byte IPv4 + 20-byte TCP headers).
	maxSegment = 65000
	snapLen    = 262144
)

// StreamPcap writes byte streams as a pcap of synthesized Ethernet/IPv4/TCP
// packets: a three-way handshake per stream, one PSH|ACK segment per chunk of
// data with consistent sequence numbers, and a FIN per direction. It lets a
// capture of a Unix-domain socket be read with the same tools as a TCP capture.
// It is safe for concurrent use.
type StreamPcap struct {
	mu       sync.Mutex
	f        *os.File
	w        *pcapgo.Writer
	hostPort uint16
	next     uint16
	err      error
}

// NewStreamPcap creates (truncating) a pcap file at path whose listening side
// is 10.0.0.1:hostPort.
func NewStreamPcap(path string, hostPort uint16) (*StreamPcap, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(snapLen, layers.LinkTypeEthernet); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("pcap header: %w", err)
	}
	return &StreamPcap{f: f, w: w, hostPort: hostPort}, nil
}

// Close flushes and closes the file; streams still open are left without FINs.
func (p *StreamPcap) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f == nil {
		return p.err
	}
	err := p.f.Close()
	p.f = nil
	if p.err == nil {
		p.err = err
	}
	return p.err
}

// Stream is one synthesized TCP connection in a [StreamPcap].
type Stream struct {
	p          *StreamPcap
	clientPort uint16
	// seq[i] is the next sequence number of side i (0 = client, 1 = host).
	seq [2]uint32
	fin [2]bool
}

// Direction says who sent the bytes of a segment.
type Direction int

// The two directions of a stream.
const (
	FromClient Direction = iota // the side that connected
	FromHost                    // the side that listened
)

// NewStream records a new connection (SYN, SYN|ACK, ACK) and returns it.
func (p *StreamPcap) NewStream() *Stream {
	p.mu.Lock()
	defer p.mu.Unlock()
	port := streamClientBasePort + p.next
	p.next++
	s := &Stream{p: p, clientPort: port, seq: [2]uint32{1000, 5000}}
	s.packet(FromClient, layers.TCP{SYN: true}, nil)
	s.seq[0]++
	s.packet(FromHost, layers.TCP{SYN: true, ACK: true}, nil)
	s.seq[1]++
	s.packet(FromClient, layers.TCP{ACK: true}, nil)
	return s
}

// Data records bytes sent in direction d, split into segments.
func (s *Stream) Data(d Direction, b []byte) {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	for len(b) > 0 {
		n := min(len(b), maxSegment)
		s.packet(d, layers.TCP{PSH: true, ACK: true}, b[:n])
		s.seq[d] += uint32(n)
		b = b[n:]
	}
}

// Fin records that direction d closed its side of the stream.
func (s *Stream) Fin(d Direction) {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	if s.fin[d] {
		return
	}
	s.fin[d] = true
	s.packet(d, layers.TCP{FIN: true, ACK: true}, nil)
	s.seq[d]++
}

// packet serializes one segment; a write error is kept and reported by Close.
// The caller holds p.mu.
func (s *Stream) packet(d Direction, tcp layers.TCP, payload []byte) {
	p := s.p
	other := 1 - d
	eth := layers.Ethernet{EthernetType: layers.EthernetTypeIPv4}
	ip := layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, Flags: layers.IPv4DontFragment}
	tcp.Seq = s.seq[d]
	if tcp.ACK {
		tcp.Ack = s.seq[other]
	}
	tcp.Window = 65535
	if d == FromClient {
		eth.SrcMAC, eth.DstMAC = streamClntMAC, streamHostMAC
		ip.SrcIP, ip.DstIP = streamClientIP, streamHostIP
		tcp.SrcPort, tcp.DstPort = layers.TCPPort(s.clientPort), layers.TCPPort(p.hostPort)
	} else {
		eth.SrcMAC, eth.DstMAC = streamHostMAC, streamClntMAC
		ip.SrcIP, ip.DstIP = streamHostIP, streamClientIP
		tcp.SrcPort, tcp.DstPort = layers.TCPPort(p.hostPort), layers.TCPPort(s.clientPort)
	}
	if err := tcp.SetNetworkLayerForChecksum(&ip); err != nil {
		p.keep(err)
		return
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, &eth, &ip, &tcp, gopacket.Payload(payload)); err != nil {
		p.keep(err)
		return
	}
	if p.f == nil || p.err != nil {
		return
	}
	data := buf.Bytes()
	ci := gopacket.CaptureInfo{Timestamp: time.Now(), CaptureLength: len(data), Length: len(data)}
	p.keep(p.w.WritePacket(ci, data))
}

// keep records the first error; the caller holds p.mu.
func (p *StreamPcap) keep(err error) {
	if p.err == nil {
		p.err = err
	}
}
