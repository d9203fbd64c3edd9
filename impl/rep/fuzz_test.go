package rep

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary text to the parser and, when it parses, to
// both signature algorithms and the API builder. Nothing may panic, every
// error must be an *Error wrapping a sentinel, and results must be well
// formed. Seeds are every fixture and every snippet.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.rep"))
	for _, fn := range files {
		src, err := os.ReadFile(fn)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, s := range snippets {
		f.Add([]byte(s.src))
	}
	sentinels := []error{ErrSyntax, ErrSemantic, ErrLimit, ErrNoClass, ErrQt6Only, ErrUndefined}
	checkErr := func(t *testing.T, err error) {
		t.Helper()
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v (%T) is not an *Error", err, err)
		}
		for _, s := range sentinels {
			if errors.Is(err, s) {
				return
			}
		}
		t.Fatalf("error %v wraps no sentinel", err)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := ParseWithLimits("fuzz.rep", src, Limits{MaxBytes: 64 << 10})
		if err != nil {
			checkErr(t, err)
			return
		}
		for _, c := range file.Classes {
			for _, sig := range []func(*File, string) (string, error){SignatureV1, SignatureV2} {
				s, err := sig(file, c.Name)
				if err != nil {
					checkErr(t, err)
					continue
				}
				if b, err := hex.DecodeString(s); err != nil || len(b) != 20 {
					t.Fatalf("signature %q is not 40 hex digits", s)
				}
			}
			for _, d := range dialects {
				a, err := file.API(c.Name, d)
				if err != nil {
					checkErr(t, err)
					continue
				}
				notify, push := 0, 0
				for i, p := range a.Properties {
					if p.Notify >= 0 {
						if a.Signals[p.Notify].Property != i {
							t.Fatalf("property %d notify %d points back to %d", i, p.Notify, a.Signals[p.Notify].Property)
						}
						notify++
					}
					if p.Push >= 0 {
						if a.Methods[p.Push].Property != i {
							t.Fatalf("property %d push %d points back to %d", i, p.Push, a.Methods[p.Push].Property)
						}
						push++
					}
				}
				// With duplicate class names the first one is meant.
				first := file.Class(c.Name)
				if len(a.Signals) != notify+len(first.Signals) || len(a.Methods) != push+len(first.Slots) {
					t.Fatalf("API sizes: %d signals (%d notify + %d), %d methods (%d push + %d)",
						len(a.Signals), notify, len(first.Signals), len(a.Methods), push, len(first.Slots))
				}
			}
		}
	})
}
