package nodeadapter

import (
	_ "embed"
	"fmt"
	"sync"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// The test objects of specs/ADAPTER.md §10. The .rep files are copies of
// fixtures/rep (a test keeps them identical) so that the qtro binary does not
// need the checkout.
var (
	//go:embed rep/testobject.rep
	testObjectRep []byte
	//go:embed rep/tick.rep
	tickRep []byte
)

// Object types (--type).
const (
	typeTestObject = "testobject"
	typeTick       = "tick"
	typePlain      = "plain"
)

// className is the default object name of a --type.
func className(typ string) string {
	switch typ {
	case typeTick:
		return "Tick"
	case typePlain:
		return "Plain"
	}
	return "TestObject"
}

// repClass builds the static API of a .rep class per dialect, once.
type repClass struct {
	name  string
	src   []byte
	class string

	mu    sync.Mutex
	cache map[wire.Dialect]*meta.Class
}

// ForDialect implements node.ClassProvider: Qt 5 and Qt 6 repc give the
// class different signatures (and Qt 6 qualifies enum property types).
func (r *repClass) ForDialect(d wire.Dialect) (*meta.Class, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.cache[d]; c != nil {
		return c, nil
	}
	c, err := meta.ParseRep(r.name, r.src, r.class, d)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.name, err)
	}
	if r.cache == nil {
		r.cache = map[wire.Dialect]*meta.Class{}
	}
	r.cache[d] = c
	return c, nil
}

var (
	testObjectClass = &repClass{name: "testobject.rep", src: testObjectRep, class: "TestObject"}
	tickClass       = &repClass{name: "tick.rep", src: tickRep, class: "Tick"}
)

var _ node.ClassProvider = (*repClass)(nil)

// staticClass returns the class provider of a static replica of typ (nil:
// the type has no static form).
func staticClass(typ string) node.ClassProvider {
	switch typ {
	case typeTestObject:
		return testObjectClass
	case typeTick:
		return tickClass
	}
	return nil
}

// plainClass is the API Qt's dynamic source API gives fixtures/peer/plain.h
// (QTRO-PROTOCOL.md §5.1): no type name, no signature; notify signals first;
// the enum property type as moc records it (Qt 5 "Color", Qt 6
// "PlainObject::Color"); signal signatures keep the unqualified enum.
func plainClass(d wire.Dialect) *meta.Class {
	colorType := "Color"
	if d == wire.Qt6 {
		colorType = "PlainObject::Color"
	}
	one := func(name, typ string) []meta.Param { return []meta.Param{{Name: name, Type: typ}} }
	return &meta.Class{
		Enums: []wire.EnumDef{{Name: "Color", Keys: []wire.EnumKey{{Name: "Red", Value: 0}, {Name: "Green", Value: 1}, {Name: "Blue", Value: 7}}}},
		Properties: []meta.Property{
			{Name: "number", Type: "int", Modifier: meta.ReadWrite, Notify: 0, Push: -1, Default: qds.IntOf(3)},
			{Name: "text", Type: "QString", Modifier: meta.ReadWrite, Notify: 1, Push: -1, Default: qds.StringOf("plain")},
			{Name: "ratio", Type: "double", Modifier: meta.Constant, Notify: -1, Push: -1, Default: qds.DoubleOf(0.25)},
			{Name: "color", Type: colorType, Modifier: meta.ReadWrite, Notify: 2, Push: -1, Enum: "Color", Default: qds.IntOf(1)},
		},
		Signals: []meta.Method{
			{Name: "numberChanged", Signature: "numberChanged(int)", ReturnType: "void", Params: one("number", "int"), Property: 0},
			{Name: "textChanged", Signature: "textChanged(QString)", ReturnType: "void", Params: one("text", "QString"), Property: 1},
			{Name: "colorChanged", Signature: "colorChanged(Color)", ReturnType: "void", Params: one("color", "Color"), Property: 3},
			{Name: "pulsed", Signature: "pulsed(int,QString)", ReturnType: "void", Params: []meta.Param{{Name: "n", Type: "int"}, {Name: "msg", Type: "QString"}}, Property: -1},
		},
		Methods: []meta.Method{
			{Name: "add", Signature: "add(int,int)", ReturnType: "int", Params: []meta.Param{{Name: "a", Type: "int"}, {Name: "b", Type: "int"}}, Property: -1},
			{Name: "echo", Signature: "echo(QString)", ReturnType: "QString", Params: one("s", "QString"), Property: -1},
			{Name: "reset", Signature: "reset()", ReturnType: "void", Property: -1},
		},
	}
}

// sourceClass returns the class a host of typ remotes in dialect d.
func sourceClass(typ string, d wire.Dialect) (*meta.Class, error) {
	switch typ {
	case typeTestObject:
		return testObjectClass.ForDialect(d)
	case typeTick:
		return tickClass.ForDialect(d)
	case typePlain:
		return plainClass(d), nil
	}
	return nil, fmt.Errorf("unknown type %q", typ)
}
