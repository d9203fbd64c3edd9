package repc_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/qtro/qtro/impl/repc"
)

// TestReadmeExample keeps README.md's `qtro repc` program equal to
// example/main.go (which `go build ./...` compiles), and the package that
// its generate directive writes equal to what the generator gives now.
func TestReadmeExample(t *testing.T) {
	root := repoRoot(t)
	prog, err := os.ReadFile(filepath.Join("example", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, append(append([]byte("```go\n"), prog...), "```\n"...)) {
		t.Error("README.md does not show impl/repc/example/main.go as it is")
	}
	if !bytes.Contains(prog, []byte("//go:generate go run github.com/qtro/qtro/cmd/qtro repc ")) {
		t.Error("the example has no go:generate line for qtro repc")
	}
	src, err := os.ReadFile(filepath.Join(root, "fixtures", "rep", "tick.rep"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := repc.Generate(src, repc.Options{Package: "tick", Source: "tick.rep", Command: "qtro repc tick.rep"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("example", "tick", "tick_rep.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("example/tick/tick_rep.go is stale: run go generate ./impl/repc/example")
	}
}
