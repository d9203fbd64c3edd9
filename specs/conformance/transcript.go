package conformance

import (
	"os"
	"strings"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/onsi/ginkgo/v2"

	"github.com/qtro/qtro/impl/capture"
	"github.com/qtro/qtro/impl/dump"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/wirepeer"
)

// records turns a raw connection's log into capture records. The host side
// is the target unless the suite played the host.
func records(c *wirepeer.Conn) []capture.Record {
	var out []capture.Record
	chunks := c.Transcript()
	if len(chunks) == 0 {
		return nil
	}
	t0 := chunks[0].Time
	for _, ch := range chunks {
		fromHost := ch.FromPeer != c.IsHost
		dir := capture.ClientToHost
		if fromHost {
			dir = capture.HostToClient
		}
		out = append(out, capture.Record{Dir: dir, Time: ch.Time.Sub(t0), Data: ch.Data})
	}
	return out
}

// Transcript renders a raw connection like qtro dump.
func Transcript(c *wirepeer.Conn) string {
	recs := records(c)
	if len(recs) == 0 {
		return "(no traffic)"
	}
	var b strings.Builder
	d := c.Dialect()
	_, _ = dump.Write(&b, capture.FromRecords(recs), dump.Options{Dialect: d, Hex: true,
		BaseTypes: func(d wire.Dialect) *qds.Types {
			t := qds.NewTypes(d.Types())
			registerTestTypes(t, d)
			return t
		}})
	return b.String()
}

func attachTranscript(e *Env, i int, c *wirepeer.Conn) {
	ginkgo.AddReportEntry("wire transcript", Transcript(c))
	if p := pcapPath(e, i); p != "" {
		if err := writePcap(p, records(c)); err == nil {
			ginkgo.AddReportEntry("pcap", p)
		}
	}
}

// writePcap writes records as one synthesized TCP connection (client
// 10.0.0.2:40000, host 10.0.0.1:7000), readable by qtro dump and Wireshark.
func writePcap(path string, recs []capture.Record) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
		return err
	}
	seq := [2]uint32{1000, 5000} // client, host
	ips := [2][]byte{{10, 0, 0, 2}, {10, 0, 0, 1}}
	ports := [2]layers.TCPPort{40000, 7000}
	macs := [2][]byte{{2, 0, 0, 0, 0, 2}, {2, 0, 0, 0, 0, 1}}
	start := int64(1_700_000_000)
	write := func(from int, tcp layers.TCP, payload []byte, at int64) error {
		to := 1 - from
		tcp.SrcPort, tcp.DstPort = ports[from], ports[to]
		tcp.Seq, tcp.Ack, tcp.Window = seq[from], seq[to], 65535
		ip := layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: ips[from], DstIP: ips[to]}
		eth := layers.Ethernet{SrcMAC: macs[from], DstMAC: macs[to], EthernetType: layers.EthernetTypeIPv4}
		_ = tcp.SetNetworkLayerForChecksum(&ip)
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
			&eth, &ip, &tcp, gopacket.Payload(payload)); err != nil {
			return err
		}
		ci := gopacket.CaptureInfo{Length: len(buf.Bytes()), CaptureLength: len(buf.Bytes())}
		ci.Timestamp = timeAt(start, at)
		return w.WritePacket(ci, buf.Bytes())
	}
	if err := write(0, layers.TCP{SYN: true}, nil, 0); err != nil {
		return err
	}
	seq[0]++
	if err := write(1, layers.TCP{SYN: true, ACK: true}, nil, 0); err != nil {
		return err
	}
	seq[1]++
	for _, r := range recs {
		from := 0
		if r.Dir == capture.HostToClient {
			from = 1
		}
		for data := r.Data; len(data) > 0; {
			n := min(len(data), 60000)
			if err := write(from, layers.TCP{PSH: true, ACK: true}, data[:n], int64(r.Time)); err != nil {
				return err
			}
			seq[from] += uint32(n)
			data = data[n:]
		}
	}
	return nil
}
