package loadgen

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/qtro/qtro/impl/transport"
	"github.com/qtro/qtro/loadgen/scenario"
)

// Shard is one process's part of a run: with Count > 1, shard 0 runs the
// registry and every host, shards 1…Count-1 split the replica nodes
// round-robin. A host process then measures host memory alone, and 10,000
// replicas fit under a per-process descriptor limit.
type Shard struct {
	Index, Count int
}

// ParseShard reads "i/n", or "i+k/n" (shard i+k): a Kubernetes Indexed
// Job substitutes $(JOB_COMPLETION_INDEX) for i, counting from 0, while
// replica shards count from 1 (shard 0 runs the hosts).
func ParseShard(s string) (Shard, error) {
	bad := fmt.Errorf("loadgen: bad shard %q: want i/n or i+k/n with 0 ≤ i(+k) < n", s)
	idx, cnt, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Shard{}, bad
	}
	var sh Shard
	base, off, plus := strings.Cut(idx, "+")
	i, err := strconv.Atoi(base)
	if err != nil {
		return Shard{}, bad
	}
	if plus {
		k, err := strconv.Atoi(off)
		if err != nil {
			return Shard{}, bad
		}
		i += k
	}
	n, err := strconv.Atoi(cnt)
	if err != nil {
		return Shard{}, bad
	}
	sh.Index, sh.Count = i, n
	if sh.Count < 1 || sh.Index < 0 || sh.Index >= sh.Count {
		return Shard{}, bad
	}
	return sh, nil
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// runsHosts reports whether this shard runs the registry and hosts.
func (s Shard) runsHosts() bool { return s.Count <= 1 || s.Index == 0 }

// runsNode reports whether this shard runs replica node r.
func (s Shard) runsNode(r int) bool {
	if s.Count <= 1 {
		return true
	}
	return s.Index > 0 && r%(s.Count-1) == s.Index-1
}

// mesh is the run's layout, the same in every shard.
type mesh struct {
	hosts    int
	perHost  int
	objects  []string // run-wide object names
	nodes    int
	registry bool
	listen   []string // per host: URL to listen on
	regURL   string   // registry listen URL
	fixed    bool     // URLs are known in advance (sharded or Listen set)
}

func objectName(o int) string { return "Tick" + strconv.Itoa(o) }

func newMesh(sc *scenario.Scenario, sh Shard) (*mesh, error) {
	m := &mesh{hosts: sc.Hosts, perHost: sc.Objects, nodes: sc.Replicas, registry: sc.Topology == scenario.Mesh}
	for o := 0; o < sc.Hosts*sc.Objects; o++ {
		m.objects = append(m.objects, objectName(o))
	}
	base := sc.Listen
	if base == "" && sh.Count > 1 && sc.Transport != "tcp" && sc.Transport != "local" {
		return nil, fmt.Errorf("loadgen: transport %s runs in one process (no shards)", sc.Transport)
	}
	if base == "" && sh.Count > 1 {
		if sc.Transport == "local" {
			base = "local:" + filepath.Join(os.TempDir(), "qtro-loadgen")
		} else {
			base = "tcp://127.0.0.1:7400"
		}
	}
	if base == "" {
		// One process: free ports, or socket files unique to this process.
		for h := 0; h < m.hosts; h++ {
			m.listen = append(m.listen, m.freeURL(sc.Transport, "h"+strconv.Itoa(h)))
		}
		m.regURL = m.freeURL(sc.Transport, "reg")
		return m, nil
	}
	m.fixed = true
	u, err := transport.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("loadgen: listen %q: %w", base, err)
	}
	switch u.Scheme {
	case transport.TCP:
		if u.Port <= 0 {
			return nil, fmt.Errorf("loadgen: listen %q needs a port", base)
		}
		m.regURL = fmt.Sprintf("tcp://%s:%d", u.Host, u.Port)
		for h := 0; h < m.hosts; h++ {
			m.listen = append(m.listen, fmt.Sprintf("tcp://%s:%d", u.Host, u.Port+1+h))
		}
	default:
		m.regURL = base + "-reg"
		for h := 0; h < m.hosts; h++ {
			m.listen = append(m.listen, base+"-"+strconv.Itoa(h))
		}
	}
	return m, nil
}

func (m *mesh) freeURL(transportName, tag string) string {
	switch transportName {
	case "local":
		return "local:" + filepath.Join(os.TempDir(), fmt.Sprintf("qtro-loadgen-%d-%s", os.Getpid(), tag))
	case "tls":
		return "tls+tcp://127.0.0.1:0"
	case "ws", "wss":
		return transportName + "://127.0.0.1:0"
	}
	return "tcp://127.0.0.1:0"
}

// hostOf returns the host serving object o.
func (m *mesh) hostOf(o int) int { return o / m.perHost }

// hostObjects returns the run-wide indices of host h's objects.
func (m *mesh) hostObjects(h int) []int {
	out := make([]int, m.perHost)
	for j := range out {
		out[j] = h*m.perHost + j
	}
	return out
}

// acquires returns the objects node r acquires: all of them (fan-out,
// fan-in and mesh differ in how many hosts and nodes there are).
func (m *mesh) acquires(int) []int {
	out := make([]int, len(m.objects))
	for o := range out {
		out[o] = o
	}
	return out
}
