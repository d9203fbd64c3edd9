package contract

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestRepCopies keeps the embedded .rep files identical to fixtures/rep.
func TestRepCopies(t *testing.T) {
	for name, embedded := range map[string][]byte{"testobject.rep": testObjectRep, "tick.rep": tickRep} {
		want, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "rep", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(embedded, want) {
			t.Errorf("specs/contract/rep/%s differs from fixtures/rep/%s: copy it again", name, name)
		}
	}
}
