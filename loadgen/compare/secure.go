package compare

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"slices"

	"github.com/qtro/qtro/impl/transport"
	"github.com/qtro/qtro/impl/transport/pki"
	"github.com/qtro/qtro/loadgen/target/peer"
)

// Transports of a workload (Workload.Transport): the URL scheme its
// adapter pair listens and connects on (specs/ADAPTER.md §2.2).
const (
	TransportTCP = ""    // tcp:// (every row without a transport)
	TransportTLS = "tls" // tls+tcp://: TLS over TCP, server certificate only
	TransportWS  = "ws"  // ws://: binary WebSocket messages over TCP
	TransportWSS = "wss" // wss://: binary WebSocket messages over TLS
)

// listenURL is the host's listen URL for a transport.
func listenURL(transport string) (string, error) {
	switch transport {
	case TransportTCP:
		return "tcp://127.0.0.1:0", nil
	case TransportTLS:
		return "tls+tcp://127.0.0.1:0", nil
	case TransportWS:
		return "ws://127.0.0.1:0", nil
	case TransportWSS:
		return "wss://127.0.0.1:0", nil
	}
	return "", fmt.Errorf("compare: unknown transport %q (tls, ws, wss)", transport)
}

// secure reports whether a transport needs certificates.
func secure(transport string) bool { return transport == TransportTLS || transport == TransportWSS }

// certs are the throwaway CA and certificates of a run (impl/transport/pki)
// as PEM files, made the first time a secure row needs them.
type certs struct {
	dir     string // where the files are (Options.CertDir or a temporary directory)
	tempDir bool   // dir was made here: removed at the end of the run
	files   pki.Files
}

// makeCerts writes a fresh PKI into dir ("" : a new temporary directory).
func makeCerts(dir string) (*certs, error) {
	c := &certs{dir: dir}
	if dir == "" {
		d, err := os.MkdirTemp("", "qtro-compare-tls-")
		if err != nil {
			return nil, err
		}
		c.dir, c.tempDir = d, true
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	p, err := pki.New()
	if err != nil {
		c.remove()
		return nil, fmt.Errorf("compare: certificates: %w", err)
	}
	if c.files, err = p.WriteFiles(c.dir); err != nil {
		c.remove()
		return nil, fmt.Errorf("compare: certificates: %w", err)
	}
	return c, nil
}

func (c *certs) remove() {
	if c != nil && c.tempDir {
		_ = os.RemoveAll(c.dir)
	}
}

// hostEnv is a host adapter's §11 environment: its server certificate
// and key (no CA: no client certificates asked, as a TLS web server).
func (c *certs) hostEnv() []string {
	return []string{"QTRO_TLS_CERT=" + c.files.ServerCert, "QTRO_TLS_KEY=" + c.files.ServerKey}
}

// nodeEnv is a node adapter's §11 environment: the CA, the only one it
// trusts (it verifies the host's certificate for 127.0.0.1).
func (c *certs) nodeEnv() []string { return []string{"QTRO_TLS_CA=" + c.files.CA} }

// notApplicable reports why a workload kind cannot run over a transport
// ("" : it can). The adapter rows run in the adapters' own processes,
// which speak every transport of the contract, and so do loadgen's Go
// replicas (impl/node with transport.WithSecure); loadgen's epoll replicas
// are raw non-blocking sockets with a hand-written QtRO handshake (no TLS,
// no WebSocket framing).
func notApplicable(kind, transport string) string {
	if transport == TransportTCP {
		return ""
	}
	switch kind {
	case KindEpollStorm:
		return "not applicable: loadgen's epoll replicas (loadgen/stormclient) are raw sockets with their own QtRO handshake and no TLS or WebSocket layer"
	}
	if isModel(kind) {
		return "not applicable: the model load programs (loadgen/modelload) listen on tcp:// only"
	}
	return ""
}

// NotApplicable is the outcome of a cell that a row's transport rules
// out (see the cell's note); it has no value and no ratio.
const NotApplicable = "not applicable"

// transportRatios fills, for every row over another transport with a
// Plain row in the report, each target's cost of that transport against
// its own plain tcp:// cell of the same run: Ratios["T tls/tcp"] (value
// over the transport ÷ value over tcp: throughput kept, or latency or
// storm time multiplied) and Ratios["cpu T tls/tcp"] (CPU per operation ÷), and the
// cell's CPUExtraNs (CPU per operation over the transport − over tcp).
func transportRatios(rep *Report) {
	for i := range rep.Rows {
		row := &rep.Rows[i]
		if row.Workload.Transport == TransportTCP || row.Workload.Plain == "" {
			continue
		}
		plain := rep.row(row.Workload.Plain)
		if plain == nil {
			continue
		}
		key := row.Workload.Transport + "/tcp"
		for _, c := range row.Cells {
			p := plain.cell(c.Target)
			if p == nil || c.Error != "" || c.Outcome == NotApplicable {
				continue
			}
			if isStorm(row.Workload.Kind) && (c.Outcome != "complete" || p.Outcome != "complete") {
				continue
			}
			if c.Value > 0 && p.Value > 0 {
				row.Ratios[c.Target+" "+key] = c.Value / p.Value
			}
			if c.CPUPerOp > 0 && p.CPUPerOp > 0 {
				row.Ratios["cpu "+c.Target+" "+key] = c.CPUPerOp / p.CPUPerOp
				c.CPUExtraNs = c.CPUPerOp - p.CPUPerOp
			}
		}
	}
}

// TLSWorkloads are the rows of issue 14 item 5, each with its plain
// tcp:// counterpart (a row of DefaultWorkloads, run in the same
// comparison): single property changes and signals over tls+tcp, ws and
// wss (the cost of encryption and of WebSocket framing per change, under
// a flood, where writes carry many changes), signals at a fixed 5,000/s
// over tls+tcp (each change a write, a TLS record, of its own: latency
// and CPU per change), and
// a 1,000-replica storm over tls+tcp and wss (the cost per connection:
// a TLS handshake each), from the adapters' node processes; and the same
// over tls+tcp with loadgen's Go replicas (one receiver; a 1,000-replica
// storm, with its plain row).
func TLSWorkloads() []Workload {
	return []Workload{
		{Name: "props-b1-tls", Title: "property changes/s, 1 per batch, over tls+tcp", Kind: KindThroughput, Mode: "props", Batch: 1, Count: 20_000,
			Transport: TransportTLS, Plain: "props-b1"},
		{Name: "signals-b1-tls", Title: "signals/s, 1 per batch, over tls+tcp", Kind: KindThroughput, Mode: "signals", Batch: 1, Count: 20_000,
			Transport: TransportTLS, Plain: "signals-b1"},
		{Name: "signals-latency-tls", Title: "signal latency at 5,000/s (one-way) over tls+tcp", Kind: KindLatency, Mode: "signals", Batch: 1, Rate: 5000,
			Transport: TransportTLS, Plain: "signals-latency"},
		{Name: "props-b1-ws", Title: "property changes/s, 1 per batch, over ws", Kind: KindThroughput, Mode: "props", Batch: 1, Count: 20_000,
			Transport: TransportWS, Plain: "props-b1"},
		{Name: "props-b1-wss", Title: "property changes/s, 1 per batch, over wss", Kind: KindThroughput, Mode: "props", Batch: 1, Count: 20_000,
			Transport: TransportWSS, Plain: "props-b1"},
		{Name: "replicas-1k-tls", Title: "1,000 replicas over tls+tcp: all Valid after", Kind: KindReplicas, Count: 1000,
			Transport: TransportTLS, Plain: "replicas-1k"},
		{Name: "replicas-1k-wss", Title: "1,000 replicas over wss: all Valid after", Kind: KindReplicas, Count: 1000,
			Transport: TransportWSS, Plain: "replicas-1k"},
		{Name: "props-b1-loadgen-tls", Title: "property changes/s, 1 per batch, into loadgen's Go replica over tls+tcp", Kind: KindLoadgen, Mode: "props", Batch: 1, Count: 200_000,
			Transport: TransportTLS, Plain: "props-b1-loadgen"},
		{Name: "replicas-1k-loadgen", Title: "1,000 of loadgen's Go replicas: all Valid after", Kind: KindLoadgenStorm, Count: 1000},
		{Name: "replicas-1k-loadgen-tls", Title: "1,000 of loadgen's Go replicas over tls+tcp: all Valid after", Kind: KindLoadgenStorm, Count: 1000,
			Transport: TransportTLS, Plain: "replicas-1k-loadgen"},
	}
}

// secureTarget sets up a loadgen run over transport: the host adapter's
// environment (its certificate) and the schemes loadgen's Go replicas
// dial with (the run's CA as their only root).
func secureTarget(pt *peer.Target, t Target, tr string) error {
	if tr == TransportTCP {
		return nil
	}
	var cfg *tls.Config
	if secure(tr) {
		if t.certs == nil {
			return fmt.Errorf("compare: %s over %s without certificates", t.Name, tr)
		}
		pt.Env = append(slices.Clip(pt.Env), t.certs.hostEnv()...)
		var err error
		if cfg, err = transport.LoadTLSConfig("", "", t.certs.files.CA, false); err != nil {
			return err
		}
	}
	pt.Schemes = transport.WithSecure(cfg)
	return nil
}

// startFor starts the adapter pair of a target for a transport.
func startFor(ctx context.Context, t Target, transport string, cs *certs, opts Options) (*pair, error) {
	url, err := listenURL(transport)
	if err != nil {
		return nil, err
	}
	var hostEnv, nodeEnv []string
	if secure(transport) {
		hostEnv, nodeEnv = cs.hostEnv(), cs.nodeEnv()
	}
	p, err := start(ctx, t, url, hostEnv, nodeEnv, opts.Log)
	if err != nil && transport != TransportTCP {
		return nil, fmt.Errorf("over %s: %w", url, err)
	}
	return p, err
}
