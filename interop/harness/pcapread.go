package harness

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// TCPFlow is the payload one side of a TCP connection sent, as seen in a pcap.
type TCPFlow struct {
	Src, Dst string // "ip:port"
	Data     []byte
}

// ReadTCPFlows reads a pcap (any link type gopacket decodes: Ethernet, Linux
// SLL, ...) and returns each direction of each TCP connection with its payload
// in sequence order; retransmitted bytes are dropped. It exists so tests can
// check that a capture holds the traffic they caused.
func ReadTCPFlows(path string) ([]TCPFlow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	type state struct {
		i       int
		next    uint32
		started bool
	}
	var flows []TCPFlow
	seen := map[string]*state{}
	for {
		data, _, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return flows, nil
		}
		if err != nil {
			return flows, fmt.Errorf("%s: %w", path, err)
		}
		pkt := gopacket.NewPacket(data, r.LinkType(), gopacket.Default)
		ip, _ := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		tcp, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if ip == nil || tcp == nil {
			continue
		}
		src := fmt.Sprintf("%s:%d", ip.SrcIP, tcp.SrcPort)
		dst := fmt.Sprintf("%s:%d", ip.DstIP, tcp.DstPort)
		key := src + ">" + dst
		st := seen[key]
		if st == nil || tcp.SYN {
			st = &state{i: len(flows)}
			seen[key] = st
			flows = append(flows, TCPFlow{Src: src, Dst: dst})
		}
		seq := tcp.Seq
		if tcp.SYN {
			seq++
		}
		payload := tcp.Payload
		if !st.started {
			st.started, st.next = true, seq
		}
		if d := int32(st.next - seq); d > 0 { // some or all already seen
			if int(d) >= len(payload) {
				continue
			}
			payload = payload[d:]
			seq = st.next
		}
		if seq != st.next {
			continue // a gap: a packet was lost from the capture
		}
		flows[st.i].Data = append(flows[st.i].Data, payload...)
		st.next += uint32(len(payload))
	}
}
