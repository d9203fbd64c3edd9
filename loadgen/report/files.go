package report

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/qtro/qtro/loadgen/result"
)

// Paths says where a summary's files go; empty fields are not written.
type Paths struct {
	JSON, HTML string
	HdrLog     string // per-second latency histograms in HdrHistogram's log format
}

// DefaultPaths names a run's files in dir: NAME-YYYYMMDD-HHMMSS.{json,html}.
func DefaultPaths(dir, name string) Paths {
	stamp := time.Now().Format("20060102-150405")
	base := filepath.Join(dir, fmt.Sprintf("%s-%s", sanitize(name), stamp))
	return Paths{JSON: base + ".json", HTML: base + ".html", HdrLog: base + ".hlog"}
}

func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
	if s == "" {
		return "run"
	}
	return s
}

// Write writes the summary's JSON and HTML files, creating directories.
func Write(s *result.Summary, p Paths) error {
	for _, path := range []string{p.JSON, p.HTML, p.HdrLog} {
		if path != "" {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
		}
	}
	if p.JSON != "" {
		if err := s.Write(p.JSON); err != nil {
			return err
		}
	}
	if p.HTML != "" {
		if err := writeFile(p.HTML, func(w io.Writer) error { return HTML(w, s) }); err != nil {
			return err
		}
	}
	if p.HdrLog != "" && s.LatencyKind != "" {
		if err := writeFile(p.HdrLog, func(w io.Writer) error { return HdrLog(w, s) }); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, fn func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
