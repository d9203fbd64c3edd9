package contract

import (
	"errors"
	"fmt"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/qds"
)

// Members and arguments (§6): a method or signal is named by its plain name
// together with the number of args, or by its full normalized signature;
// arguments are converted by the parameter types (§7).

// FindMethod finds a signal or method by full signature, or by name with
// the argument count (the last same-named one with another count is
// returned when no count matches, so that the caller can say badArgs).
func FindMethod(list []meta.Method, name string, argc int) int {
	found := -1
	for i := range list {
		if list[i].Signature == name {
			return i
		}
	}
	for i := range list {
		if list[i].Name != name {
			continue
		}
		if argc < 0 || len(list[i].Params) == argc {
			return i
		}
		found = i
	}
	return found
}

// Args converts JSON args to the parameter types of m.
func Args(cls *meta.Class, m *meta.Method, raw any) ([]qds.Variant, error) {
	var args []any
	switch x := raw.(type) {
	case nil:
	case []any:
		args = x
	default:
		return nil, errors.New("args must be an array")
	}
	if len(args) != len(m.Params) {
		return nil, fmt.Errorf("%s takes %d arguments, got %d", m.Signature, len(m.Params), len(args))
	}
	out := make([]qds.Variant, len(args))
	for i, x := range args {
		v, err := FromJSON(cls, m.Params[i].Type, x)
		if err != nil {
			return nil, fmt.Errorf("argument %d (%s): %w", i, m.Params[i].Type, err)
		}
		out[i] = v
	}
	return out, nil
}

// ArgCount is the length of an "args" field (0 when it is not an array).
func ArgCount(raw any) int {
	if l, ok := raw.([]any); ok {
		return len(l)
	}
	return 0
}

// ArgsJSON renders arguments by the parameter types of m.
func ArgsJSON(cls *meta.Class, m *meta.Method, args []qds.Variant) []any {
	out := make([]any, len(args))
	for i, v := range args {
		typ := ""
		if i < len(m.Params) {
			typ = m.Params[i].Type
		}
		out[i] = ToJSON(cls, typ, v)
	}
	return out
}
