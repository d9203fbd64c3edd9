package node

import (
	"sync"

	"github.com/qtro/qtro/impl/qds"
)

// qt6Names maps a user type's Qt 5 name to its Qt 6 name (RegisterQt6TypeName).
var qt6Names sync.Map

// RegisterQt6TypeName declares that a user type which sources and replicas
// keep under its Qt 5 name qt5 is called qt6 on a Qt 6 connection: every
// property value, signal argument, slot argument and reply of that type is
// renamed when it is sent in the Qt 6 dialect (as the registry's types
// are). Qt's QAbstractItemModel adapter needs it: its values travel as
// "IndexList" and "QVector<int>" from Qt 5.15 but as "QList<ModelIndex>"
// and "QList<int>" from Qt 6.4, and a Qt peer loads only its own names.
// Only top-level Variants are renamed, not values nested inside them.
func RegisterQt6TypeName(qt5, qt6 string) {
	if qt5 != "" && qt6 != "" && qt5 != qt6 {
		qt6Names.Store(qt5, qt6)
	}
}

// qt6Name renames v by RegisterQt6TypeName's table; ok is false when v's
// type has no entry.
func qt6Name(v Variant) (Variant, bool) {
	n, ok := qt6Names.Load(v.TypeName())
	if !ok {
		return v, false
	}
	return qds.UserOf(n.(string), v.Value()).WithNullFlag(v.IsNull()), true
}
