package contract

import (
	_ "embed"
	"fmt"
	"sync"

	"github.com/qtro/qtro/impl/meta"
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
	TypeTestObject = "testobject"
	TypeTick       = "tick"
	TypePlain      = "plain"
)

// ClassName is the default object name of a --type.
func ClassName(typ string) string {
	switch typ {
	case TypeTick:
		return "Tick"
	case TypePlain:
		return "Plain"
	}
	return "TestObject"
}

// RepClass builds the static API of a .rep class per dialect, once.
type RepClass struct {
	name  string
	src   []byte
	class string

	mu    sync.Mutex
	cache map[wire.Dialect]*meta.Class
}

// ForDialect builds the class as repc of dialect d does (it is an
// impl/node ClassProvider): Qt 5 and Qt 6 repc give the class different
// signatures (and Qt 6 qualifies enum property types).
func (r *RepClass) ForDialect(d wire.Dialect) (*meta.Class, error) {
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
	testObjectClass = &RepClass{name: "testobject.rep", src: testObjectRep, class: "TestObject"}
	tickClass       = &RepClass{name: "tick.rep", src: tickRep, class: "Tick"}
)

// StaticClass returns the class of a static replica of typ (ok false: the
// type has no static form).
func StaticClass(typ string) (*RepClass, bool) {
	switch typ {
	case TypeTestObject:
		return testObjectClass, true
	case TypeTick:
		return tickClass, true
	}
	return nil, false
}

// RepSource returns the embedded .rep file of typ (nil for plain).
func RepSource(typ string) []byte {
	if c, ok := StaticClass(typ); ok {
		return c.src
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

// SourceClass returns the class a host of typ remotes in dialect d.
func SourceClass(typ string, d wire.Dialect) (*meta.Class, error) {
	switch typ {
	case TypeTestObject:
		return testObjectClass.ForDialect(d)
	case TypeTick:
		return tickClass.ForDialect(d)
	case TypePlain:
		return plainClass(d), nil
	}
	return nil, fmt.Errorf("unknown type %q", typ)
}
