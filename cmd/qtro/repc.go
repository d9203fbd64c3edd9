package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/qtro/qtro/impl/repc"
	"github.com/spf13/cobra"
)

// newRepcCmd is `qtro repc`: a thin wrapper over package repc.
func newRepcCmd() *cobra.Command {
	var pkg, out string
	cmd := &cobra.Command{
		Use:   "repc FILE.rep",
		Short: "Generate typed Go sources and replicas from a .rep file",
		Long: `repc generates one Go file from a .rep file, as Qt's repc generates C++:
per class a typed <Class>Source (New<Class>Source, property getters and
setters, Emit<Signal>, Handle<Slot>) and a typed <Class>Replica
(Acquire<Class>, getters, On<Prop>Changed, On<Signal>, slot calls, state),
PODs as Go structs and ENUMs as Go types. The .rep text is embedded, and the
class signatures are Qt 5.15's and Qt 6.4's repc signatures, so a generated
replica is a static replica with Qt's signature check.

Use it from go generate:
  //go:generate go run github.com/qtro/qtro/cmd/qtro repc -o lamp.go lamp.rep`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := args[0]
			src, err := os.ReadFile(in)
			if err != nil {
				return err
			}
			base := strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))
			if out == "" {
				out = base + "_rep.go"
			}
			if pkg == "" {
				pkg = defaultPackage(out, base)
			}
			line := "qtro repc " + filepath.Base(in)
			code, err := repc.Generate(src, repc.Options{Package: pkg, Source: in, Command: line})
			if err != nil {
				return err
			}
			if out == "-" {
				_, err = cmd.OutOrStdout().Write(code)
				return err
			}
			if err := os.WriteFile(out, code, 0o644); err != nil {
				return fmt.Errorf("repc: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&pkg, "package", "", "Go package name (default: the output directory's name if not the current one, else $GOPACKAGE, else the .rep's base name)")
	cmd.Flags().StringVarP(&out, "output", "o", "", `output file ("-" for standard output; default <base>_rep.go)`)
	return cmd
}

// defaultPackage is the package of the output file: its directory's name
// when it is written elsewhere, else go generate's $GOPACKAGE, else the .rep
// file's base name.
func defaultPackage(out, base string) string {
	if dir := filepath.Dir(out); out != "-" && dir != "." {
		if abs, err := filepath.Abs(dir); err == nil {
			return packageName(filepath.Base(abs))
		}
	}
	if p := os.Getenv("GOPACKAGE"); p != "" {
		return p
	}
	return packageName(base)
}

// packageName makes a Go package name of a file's base name.
func packageName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		}
	}
	p := b.String()
	if p == "" || unicode.IsDigit(rune(p[0])) {
		p = "rep" + p
	}
	return p
}
