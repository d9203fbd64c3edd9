package model

import (
	"slices"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/wire"
)

// Qt's item data roles (Qt::ItemDataRole) that models commonly use.
const (
	DisplayRole    = 0
	DecorationRole = 1
	EditRole       = 2
	ToolTipRole    = 3
	StatusTipRole  = 4
	WhatsThisRole  = 5
	// UserRole is the first role for application data (Qt::UserRole).
	UserRole = 0x0100
)

// Orientation is Qt::Orientation: which header a section belongs to.
type Orientation int

// Header orientations, with Qt's values.
const (
	Horizontal Orientation = 1 // column headers
	Vertical   Orientation = 2 // row headers
)

// ItemFlags is Qt::ItemFlags.
type ItemFlags int32

// Item flags, with Qt's values.
const (
	ItemIsSelectable     ItemFlags = 1
	ItemIsEditable       ItemFlags = 2
	ItemIsDragEnabled    ItemFlags = 4
	ItemIsDropEnabled    ItemFlags = 8
	ItemIsUserCheckable  ItemFlags = 16
	ItemIsEnabled        ItemFlags = 32
	ItemNeverHasChildren ItemFlags = 128
)

// Index is one step of a path from the root of a model: a row and a
// column under the parent the previous steps name (QtRO's ModelIndex).
type Index struct{ Row, Column int }

// Path names an item by the indices from the root down to it; an empty
// Path is the root (an invalid QModelIndex). A list or table item is
// Path{{row, column}}.
type Path []Index

// Item returns the path of the item at row, column under the root.
func Item(row, column int) Path { return Path{{row, column}} }

// toWire converts a Path to QtRO's index list.
func (p Path) toWire() []wire.ModelIndex {
	l := make([]wire.ModelIndex, len(p))
	for i, x := range p {
		l[i] = wire.ModelIndex{Row: int32(x.Row), Column: int32(x.Column)}
	}
	return l
}

func pathOf(l []wire.ModelIndex) Path {
	p := make(Path, len(l))
	for i, x := range l {
		p[i] = Index{int(x.Row), int(x.Column)}
	}
	return p
}

// ItemModel is what Remote needs of a model, in the spirit of
// QAbstractItemModel. A model without trees answers 0 for the row count
// of any item.
//
// Reading methods may be called from any goroutine at any time; a model
// must be safe for that. Arguments come from replicas, which may send
// any path: a model answers 0, an invalid Variant or no flags for items
// it does not have, and never panics.
type ItemModel interface {
	// RowCount is the number of rows under parent.
	RowCount(parent Path) int
	// ColumnCount is the number of columns under parent.
	ColumnCount(parent Path) int
	// Data is the value of an item for a role; an invalid Variant if none.
	Data(index Path, role int) node.Variant
	// Flags are the item's flags.
	Flags(index Path) ItemFlags
	// HasChildren says whether an item has rows under it.
	HasChildren(index Path) bool
	// HeaderData is a header section's value for a role; invalid if none.
	HeaderData(section int, o Orientation, role int) node.Variant
	// RoleNames names the roles (QAbstractItemModel::roleNames).
	RoleNames() map[int]string
	// Observe calls fn after each change, in order, until cancel is
	// called. fn runs before the model applies its next change, and
	// should run before any reader can see the change (TableModel calls
	// it with the model locked): a remoted model's signal must not go out
	// after a reply that already reflects the change, or the replica
	// applies the change twice. fn must not change the model.
	Observe(fn func(Change)) (cancel func())
}

// Editable is a model whose items replicas may change
// (QAbstractItemModel::setData, which Qt's replica calls through
// replicaSetData).
type Editable interface {
	SetData(index Path, value node.Variant, role int) bool
}

// ChangeKind says what a Change is.
type ChangeKind int

// Change kinds, named as QAbstractItemModel's signals.
const (
	DataChanged       ChangeKind = iota // TopLeft..BottomRight, Roles (empty: all)
	RowsInserted                        // Parent, First..Last
	RowsRemoved                         // Parent, First..Last
	RowsMoved                           // Parent, First..Last moved to Dest before DestRow
	ColumnsInserted                     // Parent, First..Last
	ModelReset                          // everything
	HeaderDataChanged                   // Orientation, First..Last
	LayoutChanged                       // Parents (empty: all)
	CurrentChanged                      // Current, Previous (a replica's view of the source's current index)
)

var kindNames = [...]string{"DataChanged", "RowsInserted", "RowsRemoved", "RowsMoved", "ColumnsInserted",
	"ModelReset", "HeaderDataChanged", "LayoutChanged", "CurrentChanged"}

// String returns the kind's name, as QAbstractItemModel's signal.
func (k ChangeKind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "ChangeKind(?)"
}

// Change is one change of a model, as QAbstractItemModel signals it.
type Change struct {
	Kind                 ChangeKind
	Parent               Path // rows and columns: the parent they are under
	First, Last          int  // rows, columns or header sections, inclusive
	TopLeft, BottomRight Path // DataChanged
	Roles                []int
	Dest                 Path // RowsMoved: the destination parent
	DestRow              int  // RowsMoved: the row they are moved before
	Orientation          Orientation
	Parents              []Path // LayoutChanged
	Current, Previous    Path   // CurrentChanged
}

// observers is a copy-on-write list of change callbacks.
type observers struct {
	list []func(Change)
	ids  []int
	next int
}

func (o *observers) add(fn func(Change)) int {
	id := o.next
	o.next++
	o.list = append(slices.Clip(o.list), fn)
	o.ids = append(slices.Clip(o.ids), id)
	return id
}

func (o *observers) remove(id int) {
	if i := slices.Index(o.ids, id); i >= 0 {
		o.list = slices.Delete(slices.Clone(o.list), i, i+1)
		o.ids = slices.Delete(slices.Clone(o.ids), i, i+1)
	}
}
