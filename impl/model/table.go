package model

import (
	"fmt"
	"maps"
	"sync"

	"github.com/qtro/qtro/impl/node"
	"github.com/qtro/qtro/impl/qds"
)

// Cell is the data of one item of a TableModel: a value per role.
type Cell map[int]any

// TableModel is an in-memory list or table model (rows of a fixed number
// of columns under the root, no children), ready to be remoted. Its
// changes are told to observers as QAbstractItemModel signals them. All
// methods are safe for concurrent use; changes are applied and observed
// one at a time.
//
// Observers are called with the model locked, before any reader can see
// the change, so that a remoted model's signal is queued before any
// reply that reflects the change (a reader that saw the new state and
// answered before the signal went out would make a replica count a row
// twice). An observer must therefore not call the model.
type TableModel struct {
	mu      sync.RWMutex
	columns int
	rows    [][]cellData
	roles   map[int]string
	headers map[Orientation]map[int]map[int]node.Variant // orientation -> section -> role -> value
	flags   ItemFlags
	obs     observers
}

type cellData map[int]node.Variant

// DefaultFlags are a TableModel item's flags: selectable, editable, enabled, no children.
const DefaultFlags = ItemIsSelectable | ItemIsEditable | ItemIsEnabled | ItemNeverHasChildren

// NewTableModel returns an empty model of the given number of columns (1
// for a list) whose roles are named by roleNames (nil: Qt's default
// names of the display, decoration, edit, tool tip, status tip and
// "what's this" roles).
func NewTableModel(columns int, roleNames map[int]string) *TableModel {
	if columns < 1 {
		columns = 1
	}
	if roleNames == nil {
		roleNames = map[int]string{DisplayRole: "display", DecorationRole: "decoration", EditRole: "edit",
			ToolTipRole: "toolTip", StatusTipRole: "statusTip", WhatsThisRole: "whatsThis"}
	}
	return &TableModel{columns: columns, roles: maps.Clone(roleNames), flags: DefaultFlags,
		headers: map[Orientation]map[int]map[int]node.Variant{}}
}

// convertRows converts rows of cells for a model of columns columns.
func convertRows(rows [][]Cell, columns int) ([][]cellData, error) {
	conv := make([][]cellData, len(rows))
	for i, r := range rows {
		c, err := convertRow(r, columns)
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", i, err)
		}
		conv[i] = c
	}
	return conv, nil
}

func convertRow(row []Cell, columns int) ([]cellData, error) {
	out := make([]cellData, columns)
	for c := range out {
		out[c] = cellData{}
		if c >= len(row) {
			continue
		}
		for role, x := range row[c] {
			v, err := node.ValueOf(x)
			if err != nil {
				return nil, fmt.Errorf("column %d role %d: %w", c, role, err)
			}
			out[c][role] = v
		}
	}
	return out, nil
}

// notifyLocked calls the observers; m.mu is held for writing.
func (m *TableModel) notifyLocked(ch Change) {
	for _, fn := range m.obs.list {
		fn(ch)
	}
}

// Observe implements ItemModel.
func (m *TableModel) Observe(fn func(Change)) (cancel func()) {
	m.mu.Lock()
	id := m.obs.add(fn)
	m.mu.Unlock()
	return func() {
		m.mu.Lock()
		m.obs.remove(id)
		m.mu.Unlock()
	}
}

// InsertRows inserts rows before row at (0 <= at <= RowCount), each a
// Cell per column (missing columns are empty), and signals RowsInserted.
func (m *TableModel) InsertRows(at int, rows ...[]Cell) error {
	return m.insertRows(at, false, rows)
}

func (m *TableModel) insertRows(at int, atEnd bool, rows [][]Cell) error {
	if len(rows) == 0 {
		return nil
	}
	m.mu.Lock()
	if atEnd {
		at = len(m.rows)
	}
	if at < 0 || at > len(m.rows) {
		n := len(m.rows)
		m.mu.Unlock()
		return fmt.Errorf("qtro model: insert at row %d of %d", at, n)
	}
	conv, err := convertRows(rows, m.columns)
	if err != nil {
		m.mu.Unlock()
		return err
	}
	m.rows = append(m.rows[:at:at], append(conv, m.rows[at:]...)...)
	m.notifyLocked(Change{Kind: RowsInserted, Parent: Path{}, First: at, Last: at + len(rows) - 1})
	m.mu.Unlock()
	return nil
}

// AppendRows inserts rows at the end.
func (m *TableModel) AppendRows(rows ...[]Cell) error {
	return m.insertRows(0, true, rows)
}

// RemoveRows removes count rows from row first and signals RowsRemoved.
func (m *TableModel) RemoveRows(first, count int) error {
	if count <= 0 {
		return nil
	}
	m.mu.Lock()
	if first < 0 || first+count > len(m.rows) {
		n := len(m.rows)
		m.mu.Unlock()
		return fmt.Errorf("qtro model: remove rows %d..%d of %d", first, first+count-1, n)
	}
	m.rows = append(m.rows[:first:first], m.rows[first+count:]...)
	m.notifyLocked(Change{Kind: RowsRemoved, Parent: Path{}, First: first, Last: first + count - 1})
	m.mu.Unlock()
	return nil
}

// MoveRows moves count rows from row first to before row dest (in the
// numbering before the move, as QAbstractItemModel::beginMoveRows) and
// signals RowsMoved.
func (m *TableModel) MoveRows(first, count, dest int) error {
	if count <= 0 {
		return nil
	}
	m.mu.Lock()
	n := len(m.rows)
	if first < 0 || first+count > n || dest < 0 || dest > n || (dest >= first && dest <= first+count) {
		m.mu.Unlock()
		return fmt.Errorf("qtro model: move rows %d..%d before %d of %d", first, first+count-1, dest, n)
	}
	moved := append([][]cellData(nil), m.rows[first:first+count]...)
	rest := append(m.rows[:first:first], m.rows[first+count:]...)
	at := dest
	if dest > first {
		at = dest - count
	}
	m.rows = append(rest[:at:at], append(moved, rest[at:]...)...)
	m.notifyLocked(Change{Kind: RowsMoved, Parent: Path{}, First: first, Last: first + count - 1, Dest: Path{}, DestRow: dest})
	m.mu.Unlock()
	return nil
}

// InsertColumns inserts count empty columns before column at
// (0 <= at <= ColumnCount) and signals ColumnsInserted
// (QAbstractItemModel::insertColumns). There is no RemoveColumns: Qt's
// adapter does not remote columnsRemoved (docs/PROTOCOL-ERRATA.md, Item
// models), so no replica could follow one.
func (m *TableModel) InsertColumns(at, count int) error {
	if count <= 0 {
		return nil
	}
	m.mu.Lock()
	if at < 0 || at > m.columns {
		n := m.columns
		m.mu.Unlock()
		return fmt.Errorf("qtro model: insert at column %d of %d", at, n)
	}
	for i, r := range m.rows {
		nr := make([]cellData, 0, len(r)+count)
		nr = append(nr, r[:at]...)
		for range count {
			nr = append(nr, cellData{})
		}
		m.rows[i] = append(nr, r[at:]...)
	}
	m.columns += count
	m.notifyLocked(Change{Kind: ColumnsInserted, Parent: Path{}, First: at, Last: at + count - 1})
	m.mu.Unlock()
	return nil
}

// ReorderRows puts the rows in a new order, row i becoming the row that
// was at order[i] (order is a permutation of the rows), and signals
// LayoutChanged, as a sort does (layoutAboutToBeChanged/layoutChanged).
func (m *TableModel) ReorderRows(order []int) error {
	m.mu.Lock()
	n := len(m.rows)
	seen := make([]bool, n)
	ok := len(order) == n
	for _, o := range order {
		if !ok || o < 0 || o >= n || seen[o] {
			ok = false
			break
		}
		seen[o] = true
	}
	if !ok {
		m.mu.Unlock()
		return fmt.Errorf("qtro model: %v is not an order of %d rows", order, n)
	}
	rows := make([][]cellData, n)
	for i, o := range order {
		rows[i] = m.rows[o]
	}
	m.rows = rows
	m.notifyLocked(Change{Kind: LayoutChanged})
	m.mu.Unlock()
	return nil
}

// Set sets the value of the item at row, column for a role (nil removes
// it) and signals DataChanged for that role.
func (m *TableModel) Set(row, column, role int, x any) error {
	v, err := node.ValueOf(x)
	if err != nil {
		return err
	}
	if !m.SetData(Item(row, column), v, role) {
		return fmt.Errorf("qtro model: no item %d,%d", row, column)
	}
	return nil
}

// SetData implements Editable: it sets a value and signals DataChanged;
// false if the item does not exist. Qt's QStandardItemModel changes the
// display and edit roles together; this model keeps roles apart.
func (m *TableModel) SetData(index Path, value node.Variant, role int) bool {
	m.mu.Lock()
	c := m.cellLocked(index)
	if c == nil {
		m.mu.Unlock()
		return false
	}
	if value.IsValid() {
		c[role] = value
	} else {
		delete(c, role)
	}
	m.notifyLocked(Change{Kind: DataChanged, TopLeft: index, BottomRight: index, Roles: []int{role}})
	m.mu.Unlock()
	return true
}

// Reset replaces every row and signals ModelReset.
func (m *TableModel) Reset(rows ...[]Cell) error {
	m.mu.Lock()
	conv, err := convertRows(rows, m.columns)
	if err != nil {
		m.mu.Unlock()
		return err
	}
	m.rows = conv
	m.notifyLocked(Change{Kind: ModelReset})
	m.mu.Unlock()
	return nil
}

// SetHeaderData sets a header section's value for a role and signals HeaderDataChanged.
func (m *TableModel) SetHeaderData(section int, o Orientation, role int, x any) error {
	v, err := node.ValueOf(x)
	if err != nil {
		return err
	}
	m.mu.Lock()
	if m.headers[o] == nil {
		m.headers[o] = map[int]map[int]node.Variant{}
	}
	if m.headers[o][section] == nil {
		m.headers[o][section] = map[int]node.Variant{}
	}
	m.headers[o][section][role] = v
	m.notifyLocked(Change{Kind: HeaderDataChanged, Orientation: o, First: section, Last: section})
	m.mu.Unlock()
	return nil
}

func (m *TableModel) cellLocked(index Path) cellData {
	if len(index) != 1 {
		return nil
	}
	r, c := index[0].Row, index[0].Column
	if r < 0 || r >= len(m.rows) || c < 0 || c >= m.columns {
		return nil
	}
	return m.rows[r][c]
}

// RowCount implements ItemModel.
func (m *TableModel) RowCount(parent Path) int {
	if len(parent) != 0 {
		return 0
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.rows)
}

// ColumnCount implements ItemModel.
func (m *TableModel) ColumnCount(parent Path) int {
	if len(parent) != 0 {
		return 0
	}
	return m.columns
}

// Data implements ItemModel.
func (m *TableModel) Data(index Path, role int) node.Variant {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if c := m.cellLocked(index); c != nil {
		return c[role]
	}
	return node.Variant{}
}

// Flags implements ItemModel.
func (m *TableModel) Flags(index Path) ItemFlags {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.cellLocked(index) == nil {
		return 0
	}
	return m.flags
}

// HasChildren implements ItemModel: only the root has children.
func (m *TableModel) HasChildren(index Path) bool {
	return len(index) == 0 && m.RowCount(nil) > 0
}

// HeaderData implements ItemModel: the value set with SetHeaderData, else
// for the display role the section number counted from 1, as Qt's
// QAbstractItemModel::headerData does.
func (m *TableModel) HeaderData(section int, o Orientation, role int) node.Variant {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if v, ok := m.headers[o][section][role]; ok {
		return v
	}
	if role == DisplayRole && section >= 0 {
		return qds.IntOf(int32(section + 1))
	}
	return node.Variant{}
}

// RoleNames implements ItemModel.
func (m *TableModel) RoleNames() map[int]string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return maps.Clone(m.roles)
}
