package model

import (
	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// AdapterTypeName is the class name Qt's model adapter sends in ObjectList.
const AdapterTypeName = "QAbstractItemModelAdapter"

// The adapter's user types, in the Qt 5.15 spelling the sources and
// replicas of this package keep; node renames them on Qt 6 connections
// (see init).
const (
	typeIndexList   = "IndexList"
	typeIntList     = "QVector<int>"
	typeIntHash     = "QIntHash"
	typeOrientList  = "QVector<Qt::Orientation>"
	typeDataEntries = "DataEntries"
	typeMetaAndData = "MetaAndDataEntries"
	typeOrientation = "Qt::Orientation"
	typeSelectFlags = "QItemSelectionModel::SelectionFlags"
	typeLayoutHint  = "QAbstractItemModel::LayoutChangeHint"
)

// Qt 6 names of the adapter's types. Qt names them at compile time from
// __PRETTY_FUNCTION__ of QtPrivate's typenameHelper; GCC leaves out the
// namespace of a template argument from the function's own namespace, so
// a GCC-built Qt 6.4 names QtPrivate::ModelIndex "ModelIndex". Qt 6.8's
// qtbase moved typenameHelper into QtPrivate::TypeNameHelper, and the
// names gained their QtPrivate:: (docs/PROTOCOL-ERRATA.md, Item models).
var (
	// Qt 6.4 built with GCC (fixtures/golden/qt6_model_proxy).
	qt64Names = map[string]string{
		typeIndexList:   "QList<ModelIndex>",
		typeDataEntries: typeDataEntries,
		typeMetaAndData: typeMetaAndData,
		typeIntList:     "QList<int>",
		typeIntHash:     "QHash<int,QByteArray>",
		typeOrientList:  "QList<Qt::Orientation>",
	}
	// Qt 6.8 and later (fixtures/golden/qt68_model_proxy, qt611_model_proxy).
	qt68Names = map[string]string{
		typeIndexList:   "QList<QtPrivate::ModelIndex>",
		typeDataEntries: "QtPrivate::DataEntries",
		typeMetaAndData: "QtPrivate::MetaAndDataEntries",
		typeIntList:     "QList<int>",
		typeIntHash:     "QHash<int,QByteArray>",
		typeOrientList:  "QList<Qt::Orientation>",
	}
)

func init() {
	// A Qt 6 connection starts in Qt 6.4's spelling (or WithQt6Spelling's)
	// and takes the one its peer is seen to use (node.RegisterQt6Spellings),
	// in the order of Qt6Spelling.
	node.RegisterQt6Spellings(qt64Names, qt68Names)
}

// Signal indices of the adapter (Qt's QAbstractItemAdapterSourceAPI).
const (
	sigAvailableRolesChanged = iota
	sigDataChanged
	sigRowsInserted
	sigRowsRemoved
	sigRowsMoved
	sigCurrentChanged
	sigModelReset
	sigHeaderDataChanged
	sigColumnsInserted
	sigLayoutChanged
)

// Slot indices of the adapter.
const (
	methSizeRequest = iota
	methRowRequest
	methHeaderRequest
	methSetCurrentIndex
	methSetData
	methCacheRequest
)

func params(types ...string) []meta.Param {
	ps := make([]meta.Param, len(types))
	for i, t := range types {
		ps[i] = meta.Param{Type: t}
	}
	return ps
}

func method(name, ret string, types ...string) meta.Method {
	sig := name + "("
	for i, t := range types {
		if i > 0 {
			sig += ","
		}
		sig += t
	}
	return meta.Method{Name: name, Signature: sig + ")", ReturnType: ret, Params: params(types...), Property: -1}
}

// adapterClass is the API of Qt's QAbstractItemModelSourceAdapter, in
// Qt 5.15's spelling (the member order is the same in 5.15 and 6.4).
func adapterClass() *meta.Class {
	notify := method("availableRolesChanged", "void")
	notify.Property = 0
	return &meta.Class{
		TypeName: AdapterTypeName,
		// Enum arguments travel as ints: QtRO's encodeVariant converts
		// every enum to the integer of its size before sending (real Qt's
		// headerDataChanged carries an "int"); a Qt replica cannot load
		// "QAbstractItemModel::LayoutChangeHint", which it never
		// registers. Foreign enums are not part of the class definition.
		ForeignEnums: []wire.EnumDef{
			{Name: "Orientation", Size: 4, Keys: []wire.EnumKey{{Name: "Horizontal", Value: 1}, {Name: "Vertical", Value: 2}}},
			{Name: "LayoutChangeHint", Size: 4, Keys: []wire.EnumKey{{Name: "NoLayoutChangeHint", Value: 0},
				{Name: "VerticalSortHint", Value: 1}, {Name: "HorizontalSortHint", Value: 2}}},
		},
		Properties: []meta.Property{
			{Name: "availableRoles", Type: typeIntList, Modifier: meta.ReadOnly, Notify: 0, Push: -1,
				Default: intList(nil)},
			{Name: "roleNames", Type: typeIntHash, Modifier: meta.Constant, Notify: -1, Push: -1,
				Default: qds.UserOf(typeIntHash, []qds.Pair{})},
		},
		Signals: []meta.Method{
			notify,
			method("dataChanged", "void", typeIndexList, typeIndexList, typeIntList),
			method("rowsInserted", "void", typeIndexList, "int", "int"),
			method("rowsRemoved", "void", typeIndexList, "int", "int"),
			method("rowsMoved", "void", typeIndexList, "int", "int", typeIndexList, "int"),
			method("currentChanged", "void", typeIndexList, typeIndexList),
			method("resetModel", "void"),
			method("headerDataChanged", "void", typeOrientation, "int", "int"),
			method("columnsInserted", "void", typeIndexList, "int", "int"),
			method("layoutChanged", "void", typeIndexList, typeLayoutHint),
		},
		Methods: []meta.Method{
			method("replicaSizeRequest", "QSize", typeIndexList),
			method("replicaRowRequest", typeDataEntries, typeIndexList, typeIndexList, typeIntList),
			method("replicaHeaderRequest", "QVariantList", typeOrientList, typeIntList, typeIntList),
			method("replicaSetCurrentIndex", "void", typeIndexList, typeSelectFlags),
			method("replicaSetData", "void", typeIndexList, "QVariant", "int"),
			method("replicaCacheRequest", typeMetaAndData, "size_t", typeIntList),
		},
	}
}

// adapterProvider gives node.Acquire the adapter's class in every dialect.
type adapterProvider struct{ c *meta.Class }

// ForDialect implements node.ClassProvider: one class serves both
// dialects, since node renames the types on Qt 6 connections.
func (p adapterProvider) ForDialect(node.Dialect) (*node.Class, error) { return p.c, nil }

func indexList(p Path) node.Variant { return qds.UserOf(typeIndexList, p.toWire()) }

func intList(l []int) node.Variant {
	vs := make([]node.Variant, len(l))
	for i, x := range l {
		vs[i] = qds.IntOf(int32(x))
	}
	return qds.UserOf(typeIntList, vs)
}

// ints reads a list of ints (QVector<int>, QList<int>, a list of enums,
// a QVariantList); nil for anything else.
func ints(v node.Variant) []int {
	l, _ := v.Value().([]node.Variant)
	out := make([]int, 0, len(l))
	for _, e := range l {
		out = append(out, intOf(e))
	}
	return out
}

// intOf reads an int, or an enum (a user type whose value is an int64).
func intOf(v node.Variant) int {
	if i, ok := v.Value().(int64); ok && v.Type() == qds.User {
		return int(i)
	}
	return int(v.Int())
}

// pathArg reads an index list argument; ok is false for anything else.
func pathArg(v node.Variant) (Path, bool) {
	l, ok := v.Value().([]wire.ModelIndex)
	if !ok {
		return nil, false
	}
	return pathOf(l), true
}

func roleNamesVariant(names map[int]string) node.Variant {
	ps := make([]qds.Pair, 0, len(names))
	for r, n := range names {
		ps = append(ps, qds.Pair{First: qds.IntOf(int32(r)), Second: qds.ByteArrayOf([]byte(n))})
	}
	return qds.UserOf(typeIntHash, ps)
}

func roleNamesOf(v node.Variant) map[int]string {
	ps, _ := v.Value().([]qds.Pair)
	out := make(map[int]string, len(ps))
	for _, p := range ps {
		out[int(p.First.Int())] = string(p.Second.Bytes())
	}
	return out
}
