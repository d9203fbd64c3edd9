package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/qtro/qtro/loadgen/result"
)

// Paths says where a summary's files go; empty fields are not written.
type Paths struct {
	JSON, HTML string
}

// DefaultPaths names a run's files in dir: NAME-YYYYMMDD-HHMMSS.{json,html}.
func DefaultPaths(dir, name string) Paths {
	stamp := time.Now().Format("20060102-150405")
	base := filepath.Join(dir, fmt.Sprintf("%s-%s", sanitize(name), stamp))
	return Paths{JSON: base + ".json", HTML: base + ".html"}
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
	for _, path := range []string{p.JSON, p.HTML} {
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
		f, err := os.Create(p.HTML)
		if err != nil {
			return err
		}
		if err := HTML(f, s); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	return nil
}
