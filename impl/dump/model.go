package dump

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/qtro/qtro/impl/capture"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// A remoted QAbstractItemModel is an ordinary QtRO source of class
// "QAbstractItemModelAdapter" (Qt's QAbstractItemModelSourceAdapter, in
// qtremoteobjects' src/remoteobjects/qremoteobjectabstractitemmodeladapter_p.h,
// the same member order in 5.15 and 6.x). Its packets are generic Invokes
// whose arguments are Qt's private model types; the dump reads them back as
// the model operations they carry, so that a person sees "rowRequest rows
// [0,0]..[9,1]" instead of nested lists of {Row Column} structs.

// ModelAdapterType is the class name Qt's item model adapter announces in
// ObjectList and in class definitions.
const ModelAdapterType = "QAbstractItemModelAdapter"

// ModelOp is a packet of an item model's traffic read as the model operation
// it carries. Item.Model holds one for every packet the dump recognised.
type ModelOp struct {
	Object string // the adapter's source name
	// Op names the operation: a signal of the adapter ("dataChanged",
	// "rowsInserted", ...), a request of the replica without Qt's "replica"
	// prefix ("rowRequest", "sizeRequest", ...), "reply" for an
	// InvokeReply, "init" for the adapter's Init, "availableRoles" for a
	// change of that property.
	Op string
	// Text is the one-line rendering the text output shows after
	// `model "<Object>": `.
	Text string
	// Fields holds the operation's arguments for the JSON output, values
	// as the JSON output renders QVariants.
	Fields map[string]any
}

// Qt's member order (QAbstractItemAdapterSourceAPI): the signal and slot
// indices that Invokes carry when the replica is static, as Qt's
// QAbstractItemModelReplica always is.
var (
	modelSignals = []string{"availableRolesChanged", "dataChanged", "rowsInserted", "rowsRemoved",
		"rowsMoved", "currentChanged", "resetModel", "headerDataChanged", "columnsInserted", "layoutChanged"}
	modelMethods = []string{"replicaSizeRequest", "replicaRowRequest", "replicaHeaderRequest",
		"replicaSetCurrentIndex", "replicaSetData", "replicaCacheRequest"}
	modelProperties = []string{"availableRoles", "roleNames"}
)

// argKind is what one argument of an adapter member must be.
type argKind int

const (
	argIndexList argKind = iota // QtPrivate::IndexList in any spelling
	argInt                      // an integer QVariant
	argIntList                  // QList<int> / QVector<int>
	argEnum                     // an enum (Qt::Orientation, selection flags, layout hint) or an int
	argEnumList                 // QList<Qt::Orientation>
	argAny                      // a QVariant of any type
)

// modelArgs gives each member's argument kinds, by Qt's member name.
var modelArgs = map[string][]argKind{
	"availableRolesChanged":  {},
	"dataChanged":            {argIndexList, argIndexList, argIntList},
	"rowsInserted":           {argIndexList, argInt, argInt},
	"rowsRemoved":            {argIndexList, argInt, argInt},
	"rowsMoved":              {argIndexList, argInt, argInt, argIndexList, argInt},
	"currentChanged":         {argIndexList, argIndexList},
	"resetModel":             {},
	"headerDataChanged":      {argEnum, argInt, argInt},
	"columnsInserted":        {argIndexList, argInt, argInt},
	"layoutChanged":          {argIndexList, argEnum},
	"replicaSizeRequest":     {argIndexList},
	"replicaRowRequest":      {argIndexList, argIndexList, argIntList},
	"replicaHeaderRequest":   {argEnumList, argIntList, argIntList},
	"replicaSetCurrentIndex": {argIndexList, argEnum},
	"replicaSetData":         {argIndexList, argAny, argInt},
	"replicaCacheRequest":    {argInt, argIntList},
}

// modelObj is what a connection has told about one model adapter.
type modelObj struct {
	signals, methods, props []string       // member names by index
	roles                   []int          // availableRoles, as last seen
	pending                 map[int32]call // requests awaiting a reply, by serial
}

type call struct {
	member string
	args   []qds.Variant
}

// annotateModels finds the item model adapters of a connection and sets
// Item.Model (or Item.ModelNote) on their packets. It returns notes that
// say which objects it took for models and why.
func annotateModels(items []Item) (notes []string) {
	objs := map[string]*modelObj{}
	learn := func(name, why string, o *modelObj) {
		if old, ok := objs[name]; ok {
			if o.signals == nil {
				return // known already; only a class definition tells more
			}
			o.roles, o.pending = old.roles, old.pending
		} else {
			notes = append(notes, fmt.Sprintf("object %q is an item model (%s): its packets are shown as model operations", name, why))
		}
		objs[name] = o
	}
	for i := range items {
		it := &items[i]
		if it.Packet == nil {
			continue
		}
		switch p := it.Packet.(type) {
		case *wire.ObjectListPacket:
			for _, o := range p.Objects {
				if o.TypeName.Valid && o.TypeName.Text == ModelAdapterType {
					learn(o.Name, "ObjectList type "+ModelAdapterType, &modelObj{})
				}
			}
		case *wire.InitDynamic:
			if o, why := classModel(&p.Class); o != nil {
				learn(p.Name, why, o)
			}
		case *wire.Invoke:
			if _, known := objs[p.Name]; !known && p.Call == wire.CallInvokeMethod {
				if name, ok := inferMember(it.Dir, p); ok {
					learn(p.Name, "inferred from its traffic: "+name+" with Qt's model types", &modelObj{})
				}
			}
		}
		o := objs[it.Packet.ObjectName()]
		if o == nil {
			continue
		}
		it.Model, it.ModelNote = o.read(it.Dir, it.Packet)
		if it.Model != nil {
			it.Model.Object = it.Packet.ObjectName()
		}
	}
	return notes
}

// classModel recognises an adapter by its class definition: its type name,
// or Qt's slot names. The member names come from the definition.
func classModel(c *wire.ClassDef) (*modelObj, string) {
	// Non-nil lists: the class's members, even none, replace Qt's order.
	o := &modelObj{signals: []string{}, methods: []string{}, props: []string{}}
	for _, s := range c.Signals {
		o.signals = append(o.signals, memberName(s.Signature))
	}
	for _, m := range c.Methods {
		o.methods = append(o.methods, memberName(m.Signature))
	}
	for _, p := range c.Properties {
		o.props = append(o.props, p.Name)
	}
	if c.TypeName.Valid && c.TypeName.Text == ModelAdapterType {
		return o, "class definition type " + ModelAdapterType
	}
	for _, m := range modelMethods {
		if !slices.Contains(o.methods, m) {
			return nil, ""
		}
	}
	return o, "its class definition has the slots of " + ModelAdapterType
}

func memberName(sig string) string {
	if i := strings.IndexByte(sig, '('); i >= 0 {
		return sig[:i]
	}
	return sig
}

// inferMember says whether an Invoke of an object nobody announced is,
// exactly, a member of Qt's adapter: its index names a member whose
// arguments it has, and one of them is a model index list, a type only the
// adapter sends.
func inferMember(dir capture.Direction, p *wire.Invoke) (string, bool) {
	names := modelMethods
	if dir == capture.HostToClient {
		names = modelSignals
	}
	if p.Index < 0 || int(p.Index) >= len(names) {
		return "", false
	}
	name := names[p.Index]
	kinds := modelArgs[name]
	if !argsMatch(kinds, p.Args, dir == capture.HostToClient) || !slices.Contains(kinds, argIndexList) {
		return "", false
	}
	return opName(name), true
}

// argsMatch says whether args fit kinds. A signal (extra) may carry more
// arguments than it declares: Qt's source reuses its argument list and
// shrinks it by only half the surplus (docs/PROTOCOL-ERRATA.md, "Signals
// carry stale trailing arguments"), and Qt's replica reads the declared ones.
func argsMatch(kinds []argKind, args []qds.Variant, extra bool) bool {
	if len(args) < len(kinds) || (!extra && len(args) > len(kinds)) {
		return false
	}
	for i, k := range kinds {
		if !argIs(k, args[i]) {
			return false
		}
	}
	return true
}

func argIs(k argKind, v qds.Variant) bool {
	switch k {
	case argIndexList:
		_, ok := indexListOf(v)
		return ok
	case argInt:
		return isInteger(v.Type())
	case argEnum:
		_, ok := enumOf(v)
		return ok
	case argIntList, argEnumList:
		_, ok := intsOf(v)
		return ok
	}
	return true
}

func isInteger(t qds.TypeID) bool {
	switch t {
	case qds.Int, qds.UInt, qds.LongLong, qds.ULongLong, qds.Long, qds.ULong,
		qds.Short, qds.UShort, qds.Char, qds.SChar, qds.UChar:
		return true
	}
	return false
}

func indexListOf(v qds.Variant) ([]wire.ModelIndex, bool) {
	if v.Type() != qds.User {
		return nil, false
	}
	l, ok := v.Value().([]wire.ModelIndex)
	return l, ok
}

// enumOf reads an enum value (a user type decoded to an int64) or an int.
func enumOf(v qds.Variant) (int64, bool) {
	if isInteger(v.Type()) {
		return v.Int(), true
	}
	if v.Type() == qds.User {
		i, ok := v.Value().(int64)
		return i, ok
	}
	return 0, false
}

// intsOf reads a QList<int>, QVector<int> or list of enums.
func intsOf(v qds.Variant) ([]int64, bool) {
	if v.Type() != qds.User && v.Type() != qds.QVariantList {
		return nil, false
	}
	l, ok := v.Value().([]qds.Variant)
	if !ok {
		return nil, false
	}
	out := make([]int64, len(l))
	for i, e := range l {
		n, ok := enumOf(e)
		if !ok {
			return nil, false
		}
		out[i] = n
	}
	return out, true
}

func memberAt(names, qt []string, i int32) string {
	if names == nil {
		names = qt
	}
	if i < 0 || int(i) >= len(names) {
		return ""
	}
	return names[i]
}

// read renders one packet of a model adapter; nil and a note when the
// packet is not the model operation its index says.
func (o *modelObj) read(dir capture.Direction, p wire.Packet) (*ModelOp, string) {
	switch p := p.(type) {
	case *wire.Init:
		return o.init(p.Values)
	case *wire.InitDynamic:
		return o.init(p.Values)
	case *wire.PropertyChangePacket:
		if memberAt(o.props, modelProperties, p.Index) != "availableRoles" {
			return nil, ""
		}
		roles, ok := intsOf(p.Value)
		if !ok {
			return nil, "availableRoles is not a list of ints"
		}
		o.roles = toInts(roles)
		return &ModelOp{Op: "availableRoles", Text: "availableRoles " + intList(roles),
			Fields: map[string]any{"roles": roles}}, ""
	case *wire.Invoke:
		if p.Call != wire.CallInvokeMethod {
			return nil, ""
		}
		names, qt, what := o.methods, modelMethods, "slot"
		if dir == capture.HostToClient {
			names, qt, what = o.signals, modelSignals, "signal"
		}
		name := memberAt(names, qt, p.Index)
		kinds, known := modelArgs[name]
		if !known {
			return nil, fmt.Sprintf("not a model operation: the adapter has no %s %d", what, p.Index)
		}
		signal := dir == capture.HostToClient
		if !argsMatch(kinds, p.Args, signal) {
			return nil, fmt.Sprintf("not a model operation: the adapter's %s %d is %s(%s), which these arguments do not fit", what, p.Index, name, kindNames(kinds))
		}
		op := invokeOp(name, p.Args[:len(kinds)], o.roles)
		if stale := len(p.Args) - len(kinds); stale > 0 {
			op.Text += fmt.Sprintf(" (+%s)", plural(stale, "stale trailing argument"))
			op.Fields["staleArguments"] = variants(p.Args[len(kinds):])
		}
		if dir == capture.ClientToHost && p.Serial >= 0 {
			if o.pending == nil {
				o.pending = map[int32]call{}
			}
			if len(o.pending) < maxPending {
				o.pending[p.Serial] = call{member: name, args: p.Args}
			}
			op.Text += fmt.Sprintf(" (serial %d)", p.Serial)
			op.Fields["serial"] = p.Serial
		}
		return op, ""
	case *wire.InvokeReply:
		c, ok := o.pending[p.Serial]
		delete(o.pending, p.Serial)
		return o.reply(p, c, ok)
	}
	return nil, ""
}

// maxPending bounds the requests remembered per model, so that a capture
// of requests never answered cannot grow the dump without bound.
const maxPending = 1 << 16

func (o *modelObj) init(values []qds.Variant) (*ModelOp, string) {
	var text []string
	fields := map[string]any{}
	for i, v := range values {
		switch memberAt(o.props, modelProperties, int32(i)) {
		case "availableRoles":
			roles, ok := intsOf(v)
			if !ok {
				return nil, "availableRoles is not a list of ints"
			}
			o.roles = toInts(roles)
			text = append(text, "availableRoles "+intList(roles))
			fields["availableRoles"] = roles
		case "roleNames":
			names, ok := roleNamesOf(v)
			if !ok {
				return nil, "roleNames is not a hash of int to QByteArray"
			}
			keys := make([]int64, 0, len(names))
			for k := range names {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			parts := make([]string, len(keys))
			jn := map[string]any{}
			for j, k := range keys {
				parts[j] = fmt.Sprintf("%d=%s", k, names[k])
				jn[strconv.FormatInt(k, 10)] = names[k]
			}
			text = append(text, "roleNames {"+strings.Join(parts, " ")+"}")
			fields["roleNames"] = jn
		}
	}
	return &ModelOp{Op: "init", Text: strings.TrimSpace("init " + strings.Join(text, " ")), Fields: fields}, ""
}

func roleNamesOf(v qds.Variant) (map[int64]string, bool) {
	ps, ok := v.Value().([]qds.Pair)
	if !ok {
		return nil, false
	}
	out := make(map[int64]string, len(ps))
	for _, p := range ps {
		k, ok := enumOf(p.First)
		if !ok || p.Second.Type() != qds.QByteArray {
			return nil, false
		}
		out[k] = clipString(string(p.Second.Bytes()))
	}
	return out, true
}

// invokeOp renders a signal or request whose arguments fit its member.
func invokeOp(member string, args []qds.Variant, avail []int) *ModelOp {
	op := &ModelOp{Op: opName(member), Fields: map[string]any{}}
	f := op.Fields
	il := func(i int) []wire.ModelIndex { l, _ := indexListOf(args[i]); return l }
	in := func(i int) int64 { n, _ := enumOf(args[i]); return n }
	ints := func(i int) []int64 { l, _ := intsOf(args[i]); return l }
	var t string
	switch member {
	case "dataChanged":
		t = rangeText(il(0), il(1)) + " roles " + intList(ints(2))
		f["topLeft"], f["bottomRight"], f["roles"] = pathJSON(il(0)), pathJSON(il(1)), ints(2)
	case "rowsInserted", "rowsRemoved", "columnsInserted":
		t = fmt.Sprintf("parent=%s first=%d last=%d", parentText(il(0)), in(1), in(2))
		f["parent"], f["first"], f["last"] = pathJSON(il(0)), in(1), in(2)
	case "rowsMoved":
		// Qt connects QAbstractItemModel::rowsMoved(parent, start, end,
		// destination, row): the third argument is the last row moved,
		// whatever the adapter's parameter name says.
		t = fmt.Sprintf("parent=%s first=%d last=%d to parent=%s row=%d", parentText(il(0)), in(1), in(2), parentText(il(3)), in(4))
		f["parent"], f["first"], f["last"], f["destParent"], f["destRow"] = pathJSON(il(0)), in(1), in(2), pathJSON(il(3)), in(4)
	case "currentChanged":
		t = fmt.Sprintf("%s previous=%s", indexText(il(0)), indexText(il(1)))
		f["current"], f["previous"] = pathJSON(il(0)), pathJSON(il(1))
	case "headerDataChanged":
		t = fmt.Sprintf("%s first=%d last=%d", orientation(in(0)), in(1), in(2))
		f["orientation"], f["first"], f["last"] = orientation(in(0)), in(1), in(2)
	case "layoutChanged":
		t = fmt.Sprintf("parents=%s hint=%s", parentText(il(0)), layoutHint(in(1)))
		f["parents"], f["hint"] = pathJSON(il(0)), in(1)
	case "replicaSizeRequest":
		t = "parent=" + parentText(il(0))
		f["parent"] = pathJSON(il(0))
	case "replicaRowRequest":
		t = "rows " + rangeText(il(0), il(1)) + " roles " + rolesText(ints(2), avail)
		f["start"], f["end"], f["roles"] = pathJSON(il(0)), pathJSON(il(1)), ints(2)
	case "replicaHeaderRequest":
		t, f["sections"] = headerSections(ints(0), ints(1), ints(2), nil)
	case "replicaSetCurrentIndex":
		t = fmt.Sprintf("%s command=%s", indexText(il(0)), selectionFlags(in(1)))
		f["index"], f["command"] = pathJSON(il(0)), in(1)
	case "replicaSetData":
		t = fmt.Sprintf("%s role %d = %s", indexText(il(0)), in(2), valueText(args[1]))
		f["index"], f["role"], f["value"] = pathJSON(il(0)), in(2), variantJSON(args[1], 0)
	case "replicaCacheRequest":
		t = fmt.Sprintf("size=%d roles %s", in(0), rolesText(ints(1), avail))
		f["size"], f["roles"] = in(0), ints(1)
	}
	op.Text = strings.TrimSpace(op.Op + " " + t)
	return op
}

// reply renders an InvokeReply to a request seen (ok) or not seen in the
// capture; its value says what it answers in the latter case.
func (o *modelObj) reply(p *wire.InvokeReply, c call, ok bool) (*ModelOp, string) {
	v := p.Value
	member := c.member
	if !ok {
		switch v.Value().(type) {
		case wire.DataEntries:
			member = "replicaRowRequest"
		case wire.MetaAndDataEntries:
			member = "replicaCacheRequest"
		default:
			if v.Type() != qds.QSize {
				return nil, fmt.Sprintf("not a model reply: no request with serial %d in the capture", p.Serial)
			}
			member = "replicaSizeRequest"
		}
	}
	to := opName(member)
	op := &ModelOp{Op: "reply", Fields: map[string]any{"to": to, "serial": p.Serial}}
	head := fmt.Sprintf("reply to %s (serial %d", to, p.Serial)
	if !ok {
		head += ", request not in the capture"
		op.Fields["requestSeen"] = false
	}
	head += "): "
	var t string
	switch member {
	case "replicaSizeRequest":
		s, isSize := v.Value().(qds.Size)
		if v.Type() != qds.QSize || !isSize {
			return nil, "not a model reply: a size request is answered with a QSize"
		}
		if ok {
			if l, isList := indexListOf(c.args[0]); isList {
				op.Fields["parent"] = pathJSON(l)
				t = "parent=" + parentText(l) + " "
			}
		}
		// Qt's replicaSizeRequest returns QSize(columnCount, rowCount).
		t += rowsCols(s)
		op.Fields["rows"], op.Fields["columns"] = s.H, s.W
	case "replicaRowRequest":
		d, isData := v.Value().(wire.DataEntries)
		if !isData {
			return nil, "not a model reply: a row request is answered with DataEntries"
		}
		roles := o.roles
		if ok {
			if r, _ := intsOf(c.args[2]); len(r) > 0 {
				roles = toInts(r) // Qt's adapter answers an empty role list with availableRoles
			}
		}
		t = "DataEntries " + cellsText(d.Data, roles)
		op.Fields["cells"] = cellsJSON(d.Data, roles, 0)
	case "replicaCacheRequest":
		m, isMeta := v.Value().(wire.MetaAndDataEntries)
		if !isMeta {
			return nil, "not a model reply: a cache request is answered with MetaAndDataEntries"
		}
		roles := make([]int, len(m.Roles))
		r64 := make([]int64, len(m.Roles))
		for i, r := range m.Roles {
			roles[i], r64[i] = int(r), int64(r)
		}
		t = fmt.Sprintf("MetaAndDataEntries roles %s root %s, %s", intList(r64), rowsCols(m.Size), cellsText(m.Data, roles))
		op.Fields["roles"], op.Fields["rows"], op.Fields["columns"] = r64, m.Size.H, m.Size.W
		op.Fields["cells"] = cellsJSON(m.Data, roles, 0)
	case "replicaHeaderRequest":
		l, isList := v.Value().([]qds.Variant)
		if v.Type() != qds.QVariantList || !isList {
			return nil, "not a model reply: a header request is answered with a QVariantList"
		}
		or, _ := intsOf(c.args[0])
		sec, _ := intsOf(c.args[1])
		rl, _ := intsOf(c.args[2])
		t, op.Fields["sections"] = headerSections(or, sec, rl, l)
	default:
		t = valueText(v)
		op.Fields["value"] = variantJSON(v, 0)
	}
	op.Text = head + t
	return op, ""
}

// opName is a member's operation name: a slot without Qt's "replica"
// prefix ("replicaRowRequest" -> "rowRequest"), a signal as it is.
func opName(member string) string {
	op, ok := strings.CutPrefix(member, "replica")
	if !ok || op == "" {
		return member
	}
	return strings.ToLower(op[:1]) + op[1:]
}

func toInts(l []int64) []int {
	out := make([]int, len(l))
	for i, x := range l {
		out[i] = int(x)
	}
	return out
}

func kindNames(kinds []argKind) string {
	names := [...]string{"IndexList", "int", "QList<int>", "enum", "QList<enum>", "QVariant"}
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = names[k]
	}
	return strings.Join(parts, ", ")
}

// Clipping of long renderings, as a person reads them (JSON has it all).
const (
	maxShownCells   = 8  // cells of a data reply
	maxShownItems   = 16 // roles, header sections, path steps
	maxShownRunes   = 40 // characters of a string value
	maxShownVariant = 80 // characters of another value's rendering
)

func clipString(s string) string {
	if utf8.RuneCountInString(s) <= maxShownRunes {
		return s
	}
	r := []rune(s)
	return string(r[:maxShownRunes]) + "…"
}

func intList(l []int64) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, x := range l {
		if i == maxShownItems {
			fmt.Fprintf(&b, ",… %d more", len(l)-i)
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(x, 10))
	}
	b.WriteByte(']')
	return b.String()
}

// rolesText shows a request's roles; an empty list means the adapter's
// availableRoles, which are shown when known.
func rolesText(roles []int64, avail []int) string {
	if len(roles) > 0 {
		return intList(roles)
	}
	if avail == nil {
		return "[] (available roles)"
	}
	a := make([]int64, len(avail))
	for i, r := range avail {
		a[i] = int64(r)
	}
	return "[] (available roles " + intList(a) + ")"
}

// pathText shows an index path from the root: "[1,0]", or for a child
// "[0,0]/[2,1]".
func pathText(l []wire.ModelIndex) string {
	var b strings.Builder
	for i, x := range l {
		if i == maxShownItems {
			fmt.Fprintf(&b, "/… %d more", len(l)-i)
			break
		}
		if i > 0 {
			b.WriteByte('/')
		}
		fmt.Fprintf(&b, "[%d,%d]", x.Row, x.Column)
	}
	return b.String()
}

// parentText shows a parent: the empty path is the root.
func parentText(l []wire.ModelIndex) string {
	if len(l) == 0 {
		return "root"
	}
	return pathText(l)
}

// indexText shows an item: the empty path is no item (an invalid index).
func indexText(l []wire.ModelIndex) string {
	if len(l) == 0 {
		return "none"
	}
	return pathText(l)
}

// rangeText shows a range of items "[0,0]..[9,1]", with " under <parent>"
// when both ends have the same parent below the root.
func rangeText(start, end []wire.ModelIndex) string {
	if len(start) > 0 && len(start) == len(end) && slices.Equal(start[:len(start)-1], end[:len(end)-1]) {
		s := pathText(start[len(start)-1:]) + ".." + pathText(end[len(end)-1:])
		if len(start) > 1 {
			s += " under " + pathText(start[:len(start)-1])
		}
		return s
	}
	return indexText(start) + ".." + indexText(end)
}

func pathJSON(l []wire.ModelIndex) []any {
	out := make([]any, len(l))
	for i, x := range l {
		out[i] = map[string]any{"row": x.Row, "column": x.Column}
	}
	return out
}

func rowsCols(s qds.Size) string {
	return plural(int(s.H), "row") + " x " + plural(int(s.W), "column")
}

func orientation(o int64) string {
	switch o {
	case 1:
		return "horizontal"
	case 2:
		return "vertical"
	}
	return "orientation(" + strconv.FormatInt(o, 10) + ")"
}

func layoutHint(h int64) string {
	switch h {
	case 0:
		return "NoLayoutChangeHint"
	case 1:
		return "VerticalSortHint"
	case 2:
		return "HorizontalSortHint"
	}
	return strconv.FormatInt(h, 10)
}

// selectionFlags names QItemSelectionModel::SelectionFlags.
func selectionFlags(f int64) string {
	if f == 0 {
		return "NoUpdate"
	}
	names := []string{"Clear", "Select", "Deselect", "Toggle", "Current", "Rows", "Columns"}
	var parts []string
	for i, n := range names {
		if f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if rest := f &^ (1<<len(names) - 1); rest != 0 {
		parts = append(parts, fmt.Sprintf("0x%x", rest))
	}
	return strings.Join(parts, "|")
}

// valueText shows a cell value briefly: strings quoted, numbers and bools
// bare, anything else as the packet line shows it; all clipped.
func valueText(v qds.Variant) string {
	switch t := v.Type(); {
	case t == qds.QString && !v.IsNullValue():
		return strconv.Quote(clipString(v.Str()))
	case t == qds.Bool || isInteger(t) || t == qds.Double || t == qds.Float:
		s := v.String()
		return s[strings.IndexByte(s, ' ')+1:]
	case t == qds.Invalid:
		return "invalid"
	}
	s := v.String()
	if utf8.RuneCountInString(s) > maxShownVariant {
		s = string([]rune(s)[:maxShownVariant]) + "…"
	}
	return s
}

// countCells counts the cells of a reply, children included.
func countCells(l []wire.IndexValuePair) int {
	n := len(l)
	for _, p := range l {
		n += countCells(p.Children)
	}
	return n
}

// cellsText shows the cells of a data reply, depth first, clipped:
// "2 cells: [0,0] 0="a" 256=7, [0,1] 0="b" 256=8; flags 0x2f".
func cellsText(l []wire.IndexValuePair, roles []int) string {
	n := countCells(l)
	var b strings.Builder
	b.WriteString(plural(n, "cell"))
	if n == 0 {
		return b.String()
	}
	b.WriteString(":")
	flags, same := int32(0), true
	first := true
	shown := 0
	var walk func(l []wire.IndexValuePair)
	walk = func(l []wire.IndexValuePair) {
		for _, p := range l {
			if first {
				flags, first = p.Flags, false
			} else if p.Flags != flags {
				same = false
			}
			if shown < maxShownCells {
				if shown > 0 {
					b.WriteByte(',')
				}
				shown++
				b.WriteByte(' ')
				b.WriteString(indexText(p.Index))
				cellData(&b, p.Data, roles)
				if p.HasChildren {
					fmt.Fprintf(&b, " +children")
					if p.Size.H >= 0 && p.Size.W >= 0 {
						fmt.Fprintf(&b, "(%dx%d)", p.Size.H, p.Size.W)
					}
				}
			}
			walk(p.Children)
		}
	}
	walk(l)
	if shown < n {
		fmt.Fprintf(&b, ", … %d more", n-shown)
	}
	if same {
		fmt.Fprintf(&b, "; flags 0x%x", uint32(flags))
	} else {
		b.WriteString("; flags differ")
	}
	return b.String()
}

// cellData shows a cell's values as role=value when the roles asked for are
// known and as many as the values, else by position.
func cellData(b *strings.Builder, data []qds.Variant, roles []int) {
	byRole := len(roles) == len(data)
	for i, v := range data {
		if i == maxShownItems {
			fmt.Fprintf(b, " … %d more", len(data)-i)
			return
		}
		b.WriteByte(' ')
		if byRole {
			fmt.Fprintf(b, "%d=", roles[i])
		}
		b.WriteString(valueText(v))
	}
}

func cellsJSON(l []wire.IndexValuePair, roles []int, depth int) []any {
	out := make([]any, len(l))
	for i, p := range l {
		c := map[string]any{"index": pathJSON(p.Index), "flags": p.Flags, "hasChildren": p.HasChildren}
		if len(roles) == len(p.Data) {
			data := make([]any, len(p.Data))
			for j, v := range p.Data {
				data[j] = map[string]any{"role": roles[j], "value": variantJSON(v, 0)}
			}
			c["data"] = data
		} else {
			c["values"] = variants(p.Data)
		}
		if p.Size.H >= 0 && p.Size.W >= 0 {
			c["rows"], c["columns"] = p.Size.H, p.Size.W
		}
		if len(p.Children) > 0 && depth < maxJSONDepth {
			c["children"] = cellsJSON(p.Children, roles, depth+1)
		}
		out[i] = c
	}
	return out
}

// headerSections shows a header request's (orientation, section, role)
// triples, with the reply's values when given.
func headerSections(or, sec, roles []int64, values []qds.Variant) (string, []any) {
	n := len(or)
	matched := len(sec) == n && len(roles) == n && (values == nil || len(values) == n)
	if !matched {
		t := fmt.Sprintf("orientations %s sections %s roles %s", intList(or), intList(sec), intList(roles))
		var js []any
		if values != nil {
			vt := make([]string, 0, len(values))
			for i, v := range values {
				if i == maxShownItems {
					vt = append(vt, fmt.Sprintf("… %d more", len(values)-i))
					break
				}
				vt = append(vt, valueText(v))
			}
			t = "values [" + strings.Join(vt, ", ") + "] for " + t
			js = variants(values)
		}
		return t, js
	}
	var parts []string
	js := make([]any, n)
	for i := 0; i < n; i++ {
		s := map[string]any{"orientation": orientation(or[i]), "section": sec[i], "role": roles[i]}
		txt := fmt.Sprintf("%s %d role %d", orientation(or[i]), sec[i], roles[i])
		if values != nil {
			s["value"] = variantJSON(values[i], 0)
			txt += "=" + valueText(values[i])
		}
		js[i] = s
		if i < maxShownItems {
			parts = append(parts, txt)
		} else if i == maxShownItems {
			parts = append(parts, fmt.Sprintf("… %d more", n-i))
		}
	}
	if n == 0 {
		return "no sections", js
	}
	return strings.Join(parts, ", "), js
}
