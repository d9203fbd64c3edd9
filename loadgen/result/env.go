package result

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Env describes where a run ran, so numbers are never quoted without it.
type Env struct {
	Hostname   string   `json:"hostname"`
	OS         string   `json:"os"`
	Arch       string   `json:"arch"`
	Kernel     string   `json:"kernel"`
	CPUModel   string   `json:"cpu_model"`
	CPUs       int      `json:"cpus"`
	GOMAXPROCS int      `json:"gomaxprocs"`
	GoVersion  string   `json:"go_version"`
	MemTotal   int64    `json:"mem_total"`
	FDLimit    int64    `json:"fd_limit"`
	Git        string   `json:"git,omitempty"` // revision (+"-dirty")
	Args       []string `json:"args"`
	Started    string   `json:"started"` // RFC 3339
	LoadAvg    string   `json:"loadavg"` // at the start
}

// Environment collects the current process's Env.
func Environment() Env {
	e := Env{
		OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion: runtime.Version(), Args: os.Args, Started: time.Now().UTC().Format(time.RFC3339),
	}
	e.Hostname, _ = os.Hostname()
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		e.Kernel = strings.TrimSpace(string(b))
	}
	e.CPUModel = procField("/proc/cpuinfo", "model name")
	if kb := procField("/proc/meminfo", "MemTotal"); kb != "" {
		e.MemTotal = parseKB(kb)
	}
	e.FDLimit = fdLimit()
	e.Git = gitRevision()
	e.LoadAvg = LoadAvg()
	return e
}

func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// parseKB reads "1234 kB" as bytes.
func parseKB(s string) int64 { return parseInt(s) << 10 }

// parseInt reads the leading decimal digits of s.
func parseInt(s string) int64 {
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// gitRevision prefers the revision stamped at build time and falls back to
// asking git about the working directory.
func gitRevision() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "-dirty"
				}
			}
		}
		if rev != "" {
			return rev + dirty
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	rev := strings.TrimSpace(string(out))
	if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
		rev += "-dirty"
	}
	return rev
}

// RSS returns the resident set of process pid (0: this process) in bytes,
// from /proc/<pid>/status VmRSS; 0 if unknown.
func RSS(pid int) int64 {
	path := "/proc/self/status"
	if pid > 0 {
		path = "/proc/" + itoa(pid) + "/status"
	}
	if v := procField(path, "VmRSS"); v != "" {
		return parseKB(v)
	}
	return 0
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// MachineCPU returns the CPU time all processes have used since boot (from
// /proc/stat: user+nice+system+irq+softirq+steal), to tell how busy the
// machine was besides this run; 0 if unknown.
func MachineCPU() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	var ticks int64
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 8 { // guest time is already in user
			break
		}
		ticks += parseInt(v)
	}
	return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// LoadAvg returns /proc/loadavg's first three fields.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// CapturingLoopback reports whether the loopback interface is in
// promiscuous mode (a packet capture runs on it: every packet is copied).
func CapturingLoopback() bool {
	b, err := os.ReadFile("/sys/class/net/lo/flags")
	if err != nil {
		return false
	}
	var flags int64
	if _, err := fmt.Sscanf(strings.TrimSpace(string(b)), "0x%x", &flags); err != nil {
		return false
	}
	return flags&0x100 != 0
}
