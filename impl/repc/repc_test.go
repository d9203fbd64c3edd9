package repc_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/qtro/qtro/impl/rep"
	"github.com/qtro/qtro/impl/repc"
)

// TestGenerateErrors: bad options and bad .rep text are errors, not code.
func TestGenerateErrors(t *testing.T) {
	src := []byte("class A { PROP(int x) };")
	if _, err := repc.Generate(src, repc.Options{Package: "not a name"}); !errors.Is(err, repc.ErrOptions) {
		t.Errorf("bad package name: %v", err)
	}
	if _, err := repc.Generate([]byte("class A { PROP(int }"), repc.Options{Package: "p"}); !errors.Is(err, rep.ErrSyntax) && !errors.Is(err, rep.ErrSemantic) {
		t.Errorf("bad .rep: %v", err)
	}
}

// TestGenerateNames: .rep names that are not Go identifiers, or that
// collide with each other or with the generated API, still give code that
// the golden test compiles; here the names themselves are checked.
func TestGenerateNames(t *testing.T) {
	src := []byte(`
ENUM Mode { Off, On }
POD state(int type, QString func, int Func)
class lamp
{
    ENUM Mode { Dim, Bright }
    PROP(int state)
    PROP(Mode mode)
    SIGNAL(range(int ctx, int fn))
    SLOT(int release(int err))
};
`)
	code, err := repc.Generate(src, repc.Options{Package: "p", Source: "dir/x-y.rep"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"type Mode int32", "type LampMode int32", // a class enum is scoped by its class
		"type State struct", "Type int32", "Func string", "Func_ int32", // fields exported, deduplicated
		"func (r *LampReplica) State_() int32", // a property named like the replica's State()
		"func (r *LampReplica) Release_(ctx context.Context, err_ int32) (int32, error)",
		"func (r *LampReplica) OnRange(fn func(ctx_ int32, fn_ int32)) func()",
		"const x_yRep = ", "// source: x-y.rep",
	} {
		// gofmt aligns struct fields: compare with runs of spaces collapsed.
		if !strings.Contains(strings.Join(strings.Fields(string(code)), " "), want) {
			t.Errorf("generated code lacks %q", want)
		}
	}
}
