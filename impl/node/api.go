package node

import (
	"fmt"
	"sync"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/rep"
	"github.com/qtro/qtro/impl/transport"
	"github.com/qtro/qtro/impl/wire"
)

// The types of the packages below node that its exported signatures use,
// so that hosting a source and using a replica need only this package.
// They are aliases: a node.Variant is a qds.Variant, and so on.
type (
	// Variant is a QVariant: a property value, a signal or slot argument,
	// a slot's return value. Read it with its accessors (Int, Str, ...).
	Variant = qds.Variant
	// Gadget is the value of a POD (Q_GADGET) type.
	Gadget = qds.Gadget
	// MapEntry is one entry of a QVariantMap or QVariantHash (Variant.Map).
	MapEntry = qds.MapEntry
	// Types is a set of user types (PODs, enums) a program knows (Config.Types).
	Types = qds.Types
	// Class describes a remoted class: properties, signals, slots, enums
	// and PODs, in wire order. Build one from .rep text with
	// ClassFromRep, or get a dynamic replica's from Replica.Class.
	Class = meta.Class
	// Dialect is a QtRO wire dialect: Qt5 (Qt 5.15) or Qt6 (Qt 6.4).
	Dialect = wire.Dialect
	// SourceLocation is a registry entry (Node.Locations).
	SourceLocation = wire.SourceLocation
	// Limits bounds what a connection accepts (Config.Limits).
	Limits = wire.Limits
	// Schemes maps URL schemes to transports (Config.Schemes).
	Schemes = transport.Schemes
)

// The dialects.
const (
	Qt5 = wire.Qt5 // Qt 5.15, protocol QtRO 1.3
	Qt6 = wire.Qt6 // Qt 6.4 and later, protocol QtRO 2.0
)

// ValueOf converts a Go value to a Variant (bool, the integer and float
// types, string, []byte, []string, time.Time, a Variant, ...; nil gives an
// invalid Variant). A slot handler returns its result with it:
//
//	return node.ValueOf(a + b)
//
// The source converts the result to the slot's return type. Property
// setters, Emit, Invoke and Call take Go values directly and need no
// conversion.
func ValueOf(x any) (Variant, error) { return qds.FromAny(x) }

// RepClass is one class of a .rep file as each dialect's repc sees it
// (Qt 5.15 and Qt 6.4 repc give a class different signatures). It is a
// ClassProvider, so Node.Acquire checks the source's signature as Qt's
// acquire<T>() does; ForDialect gives the *Class for NewSource.
type RepClass struct {
	f    *rep.File
	name string

	mu    sync.Mutex
	cache wire.ByDialect[*meta.Class]
}

// ClassFromRep parses .rep text and returns its class named className.
// It fails if the text does not parse or the class is missing in the Qt 6
// view; a Qt 6 only file fails only when asked for its Qt 5 class.
func ClassFromRep(repText, className string) (*RepClass, error) {
	f, err := rep.Parse(className+".rep", []byte(repText))
	if err != nil {
		return nil, err
	}
	c := &RepClass{f: f, name: className}
	if _, err := c.ForDialect(Qt6); err != nil {
		return nil, err
	}
	return c, nil
}

var _ ClassProvider = (*RepClass)(nil)

// ForDialect implements ClassProvider: the class as dialect d's repc builds it.
func (c *RepClass) ForDialect(d Dialect) (*Class, error) {
	if !d.Valid() {
		return nil, fmt.Errorf("%w: dialect %d", qds.ErrBadValue, int(d))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if m := c.cache.Get(d); m != nil {
		return m, nil
	}
	m, err := meta.FromRep(c.f, c.name, d)
	if err != nil {
		return nil, fmt.Errorf("class %s for %s: %w", c.name, d, err)
	}
	c.cache.Set(d, m)
	return m, nil
}
