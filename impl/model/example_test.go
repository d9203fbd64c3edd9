package model_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestReadmeExample keeps README.md's item-model program equal to
// example/main.go, which `go build ./...` compiles.
func TestReadmeExample(t *testing.T) {
	prog, err := os.ReadFile(filepath.Join("example", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, append(append([]byte("```go\n"), prog...), "```\n"...)) {
		t.Error("README.md does not show impl/model/example/main.go as it is")
	}
}
