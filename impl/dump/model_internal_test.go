package dump

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/qtro/qtro/impl/capture"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// spelling is how one Qt version names the adapter's types on the wire
// (fixtures/captures/qt*_model_proxy.txt, docs/evidence/qt-versions.md).
type spelling struct {
	name                                       string
	dialect                                    wire.Dialect
	indexList, intList, orientList, data, meta string
}

var spellings = []spelling{
	{"Qt 5.15", wire.Qt5, "IndexList", "QVector<int>", "QVector<Qt::Orientation>", "DataEntries", "MetaAndDataEntries"},
	{"Qt 6.4", wire.Qt6, "QList<ModelIndex>", "QList<int>", "QList<Qt::Orientation>", "DataEntries", "MetaAndDataEntries"},
	{"Qt 6.8", wire.Qt6, "QList<QtPrivate::ModelIndex>", "QList<int>", "QList<Qt::Orientation>", "QtPrivate::DataEntries", "QtPrivate::MetaAndDataEntries"},
}

func (s spelling) path(steps ...int32) qds.Variant {
	l := []wire.ModelIndex{}
	for i := 0; i+1 < len(steps); i += 2 {
		l = append(l, wire.ModelIndex{Row: steps[i], Column: steps[i+1]})
	}
	return qds.UserOf(s.indexList, l)
}

func (s spelling) ints(l ...int32) qds.Variant {
	vs := make([]qds.Variant, len(l))
	for i, x := range l {
		vs[i] = qds.IntOf(x)
	}
	return qds.UserOf(s.intList, vs)
}

func (s spelling) orients(l ...int64) qds.Variant {
	vs := make([]qds.Variant, len(l))
	for i, x := range l {
		vs[i] = qds.UserOf("Qt::Orientation", x)
	}
	return qds.UserOf(s.orientList, vs)
}

func cell(text string, n int32, steps ...int32) wire.IndexValuePair {
	var idx []wire.ModelIndex
	for i := 0; i+1 < len(steps); i += 2 {
		idx = append(idx, wire.ModelIndex{Row: steps[i], Column: steps[i+1]})
	}
	return wire.IndexValuePair{Index: idx, Data: []qds.Variant{qds.StringOf(text), qds.IntOf(n)}, Flags: 0x2f, Size: qds.Size{W: -1, H: -1}}
}

func invoke(index int32, serial int32, args ...qds.Variant) *wire.Invoke {
	return &wire.Invoke{Name: "Sheet", Call: wire.CallInvokeMethod, Index: index, Args: args, Serial: serial, PropertyIndex: -1}
}

func reply(serial int32, v qds.Variant) *wire.InvokeReply {
	return &wire.InvokeReply{Name: "Sheet", Serial: serial, Value: v}
}

// step is one packet of a conversation and the model line it must show
// ("" for a packet left generic; note, if set, is in its ModelNote).
type step struct {
	dir  capture.Direction
	p    func(s spelling) wire.Packet
	want string
	note string
}

const (
	s2c = capture.HostToClient
	c2s = capture.ClientToHost
)

// modelConversation covers every operation of Qt's adapter, in each
// version's spelling.
var modelConversation = []step{
	{s2c, func(s spelling) wire.Packet {
		return &wire.ObjectListPacket{Objects: []wire.ObjectInfo{{Name: "Sheet", TypeName: qds.NullString{Text: ModelAdapterType, Valid: true}}}}
	}, "", ""},
	{s2c, func(s spelling) wire.Packet {
		names := []qds.Pair{{First: qds.IntOf(256), Second: qds.ByteArrayOf([]byte("count"))}, {First: qds.IntOf(0), Second: qds.ByteArrayOf([]byte("display"))}}
		hash := "QIntHash"
		if s.dialect == wire.Qt6 {
			hash = "QHash<int,QByteArray>"
		}
		return &wire.Init{Name: "Sheet", Values: []qds.Variant{s.ints(0, 256), qds.UserOf(hash, names)}}
	}, "init availableRoles [0,256] roleNames {0=display 256=count}", ""},
	{c2s, func(s spelling) wire.Packet { return invoke(0, 1, s.path()) }, "sizeRequest parent=root (serial 1)", ""},
	{s2c, func(s spelling) wire.Packet { return reply(1, qds.SizeOf(qds.Size{W: 2, H: 5})) }, "reply to sizeRequest (serial 1): parent=root 5 rows x 2 columns", ""},
	{c2s, func(s spelling) wire.Packet { return invoke(1, 2, s.path(0, 0), s.path(9, 1), s.ints(0, 256)) }, "rowRequest rows [0,0]..[9,1] roles [0,256] (serial 2)", ""},
	{s2c, func(s spelling) wire.Packet {
		var cells []wire.IndexValuePair
		for r := int32(0); r < 10; r++ {
			for c := int32(0); c < 2; c++ {
				cells = append(cells, cell(string(rune('a'+2*r+c)), 7+2*r+c, r, c))
			}
		}
		return reply(2, qds.UserOf(s.data, wire.DataEntries{Data: cells}))
	}, `reply to rowRequest (serial 2): DataEntries 20 cells: [0,0] 0="a" 256=7, [0,1] 0="b" 256=8, [1,0] 0="c" 256=9, [1,1] 0="d" 256=10, [2,0] 0="e" 256=11, [2,1] 0="f" 256=12, [3,0] 0="g" 256=13, [3,1] 0="h" 256=14, … 12 more; flags 0x2f`, ""},
	{c2s, func(s spelling) wire.Packet { return invoke(1, 3, s.path(0, 0, 2, 0), s.path(0, 0, 3, 1), s.ints()) }, "rowRequest rows [2,0]..[3,1] under [0,0] roles [] (available roles [0,256]) (serial 3)", ""},
	{s2c, func(s spelling) wire.Packet {
		long := strings.Repeat("x", 50)
		c := wire.IndexValuePair{Index: []wire.ModelIndex{{Row: 0, Column: 0}, {Row: 2, Column: 0}}, Data: []qds.Variant{qds.StringOf(long), qds.Variant{}}, HasChildren: true, Flags: 0x21, Size: qds.Size{W: -1, H: -1}}
		return reply(3, qds.UserOf(s.data, wire.DataEntries{Data: []wire.IndexValuePair{c, cell("q", 1, 0, 0, 2, 1)}}))
	}, `reply to rowRequest (serial 3): DataEntries 2 cells: [0,0]/[2,0] 0="xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…" 256=invalid +children, [0,0]/[2,1] 0="q" 256=1; flags differ`, ""},
	{c2s, func(s spelling) wire.Packet {
		return invoke(2, 4, s.orients(1, 2), s.ints(0, 3), s.ints(0, 0))
	}, "headerRequest horizontal 0 role 0, vertical 3 role 0 (serial 4)", ""},
	{s2c, func(s spelling) wire.Packet {
		return reply(4, qds.ListOf([]qds.Variant{qds.StringOf("Name"), qds.IntOf(4)}))
	}, `reply to headerRequest (serial 4): horizontal 0 role 0="Name", vertical 3 role 0=4`, ""},
	{c2s, func(s spelling) wire.Packet {
		return invoke(3, -1, s.path(3, 0), qds.UserOf("QItemSelectionModel::SelectionFlags", int64(0x13)))
	}, "setCurrentIndex [3,0] command=Clear|Select|Current", ""},
	{c2s, func(s spelling) wire.Packet { return invoke(4, -1, s.path(1, 1), qds.StringOf("new"), qds.IntOf(2)) }, `setData [1,1] role 2 = "new"`, ""},
	{c2s, func(s spelling) wire.Packet {
		return invoke(5, 5, qds.IntegerOf(qds.ULong, 1000), s.ints())
	}, "cacheRequest size=1000 roles [] (available roles [0,256]) (serial 5)", ""},
	{s2c, func(s spelling) wire.Packet {
		parent := cell("p", 1, 0, 0)
		parent.HasChildren, parent.Size = true, qds.Size{W: 1, H: 1}
		parent.Children = []wire.IndexValuePair{cell("c", 2, 0, 0, 0, 0)}
		return reply(5, qds.UserOf(s.meta, wire.MetaAndDataEntries{Data: []wire.IndexValuePair{parent}, Roles: []int32{0, 256}, Size: qds.Size{W: 1, H: 1}}))
	}, `reply to cacheRequest (serial 5): MetaAndDataEntries roles [0,256] root 1 row x 1 column, 2 cells: [0,0] 0="p" 256=1 +children(1x1), [0,0]/[0,0] 0="c" 256=2; flags 0x2f`, ""},
	{s2c, func(s spelling) wire.Packet { return invoke(1, -1, s.path(2, 0), s.path(2, 1), s.ints(0)) }, "dataChanged [2,0]..[2,1] roles [0]", ""},
	{s2c, func(s spelling) wire.Packet { return invoke(2, -1, s.path(), qds.IntOf(3), qds.IntOf(4)) }, "rowsInserted parent=root first=3 last=4", ""},
	{s2c, func(s spelling) wire.Packet { return invoke(3, -1, s.path(0, 0), qds.IntOf(0), qds.IntOf(0)) }, "rowsRemoved parent=[0,0] first=0 last=0", ""},
	{s2c, func(s spelling) wire.Packet {
		return invoke(4, -1, s.path(), qds.IntOf(1), qds.IntOf(2), s.path(), qds.IntOf(5))
	}, "rowsMoved parent=root first=1 last=2 to parent=root row=5", ""},
	{s2c, func(s spelling) wire.Packet { return invoke(5, -1, s.path(3, 0), s.path()) }, "currentChanged [3,0] previous=none", ""},
	{s2c, func(s spelling) wire.Packet { return invoke(6, -1) }, "resetModel", ""},
	{s2c, func(s spelling) wire.Packet {
		return invoke(7, -1, qds.UserOf("Qt::Orientation", int64(1)), qds.IntOf(0), qds.IntOf(1))
	}, "headerDataChanged horizontal first=0 last=1", ""},
	{s2c, func(s spelling) wire.Packet { return invoke(8, -1, s.path(), qds.IntOf(2), qds.IntOf(2)) }, "columnsInserted parent=root first=2 last=2", ""},
	{s2c, func(s spelling) wire.Packet {
		return invoke(9, -1, s.path(), qds.UserOf("QAbstractItemModel::LayoutChangeHint", int64(1)))
	}, "layoutChanged parents=root hint=VerticalSortHint", ""},
	{s2c, func(s spelling) wire.Packet {
		return &wire.PropertyChangePacket{Name: "Sheet", Index: 0, Value: s.ints(0)}
	}, "availableRoles [0]", ""},
	{s2c, func(s spelling) wire.Packet { return invoke(0, -1) }, "availableRolesChanged", ""},
	// Qt's source sends stale trailing arguments after a longer signal
	// (docs/PROTOCOL-ERRATA.md); a replica reads the declared ones.
	{s2c, func(s spelling) wire.Packet { return invoke(6, -1, s.path(1, 1)) }, "resetModel (+1 stale trailing argument)", ""},
	// Malformed or unknown: generic, with a note.
	{c2s, func(s spelling) wire.Packet { return invoke(3, -1, s.path(3, 0), qds.IntOf(3), qds.IntOf(0)) }, "",
		"not a model operation: the adapter's slot 3 is replicaSetCurrentIndex(IndexList, enum), which these arguments do not fit"},
	{s2c, func(s spelling) wire.Packet { return invoke(1, -1, qds.IntOf(1)) }, "",
		"not a model operation: the adapter's signal 1 is dataChanged(IndexList, IndexList, QList<int>), which these arguments do not fit"},
	{s2c, func(s spelling) wire.Packet { return invoke(10, -1) }, "", "not a model operation: the adapter has no signal 10"},
	{c2s, func(s spelling) wire.Packet { return invoke(0, 6, qds.IntOf(0)) }, "",
		"not a model operation: the adapter's slot 0 is replicaSizeRequest(IndexList), which these arguments do not fit"},
	{s2c, func(s spelling) wire.Packet { return reply(99, qds.IntOf(1)) }, "", "not a model reply: no request with serial 99 in the capture"},
	{s2c, func(s spelling) wire.Packet { return reply(99, qds.SizeOf(qds.Size{W: 1, H: 0})) }, "reply to sizeRequest (serial 99, request not in the capture): 0 rows x 1 column", ""},
	{c2s, func(s spelling) wire.Packet { return invoke(0, 7, s.path()) }, "sizeRequest parent=root (serial 7)", ""},
	{s2c, func(s spelling) wire.Packet { return reply(7, qds.StringOf("no")) }, "", "not a model reply: a size request is answered with a QSize"},
	{s2c, func(s spelling) wire.Packet { return &wire.PingPacket{Name: "Sheet"} }, "", ""},
}

// TestModelOperations renders a conversation with every operation of Qt's
// adapter, each packet marshalled in a Qt version's spelling and decoded
// back as the dump decodes it.
func TestModelOperations(t *testing.T) {
	for _, s := range spellings {
		t.Run(s.name, func(t *testing.T) {
			items := make([]Item, len(modelConversation))
			for i, st := range modelConversation {
				p := st.p(s)
				frame, err := wire.Marshal(s.dialect, s.dialect.Types(), p)
				if err != nil {
					t.Fatalf("step %d: marshal %s: %v", i, wire.Describe(p), err)
				}
				got, err := wire.Decode(s.dialect, s.dialect.Types(), qds.Limits{}, wire.Frame{Type: p.Type(), Body: frame[6:]})
				if err != nil {
					t.Fatalf("step %d: decode: %v", i, err)
				}
				items[i] = Item{Dir: st.dir, Packet: got}
			}
			notes := annotateModels(items)
			if len(notes) != 1 || !strings.Contains(notes[0], `object "Sheet" is an item model (ObjectList type QAbstractItemModelAdapter)`) {
				t.Errorf("notes %q", notes)
			}
			for i, st := range modelConversation {
				it := items[i]
				got := ""
				if it.Model != nil {
					got = it.Model.Text
					if it.Model.Object != "Sheet" {
						t.Errorf("step %d: object %q", i, it.Model.Object)
					}
					if _, err := json.Marshal(it.Model.Fields); err != nil {
						t.Errorf("step %d: fields do not marshal: %v", i, err)
					}
				}
				if got != st.want || it.ModelNote != st.note {
					t.Errorf("step %d (%s):\n got  %q note %q\n want %q note %q", i, wire.Describe(it.Packet), got, it.ModelNote, st.want, st.note)
				}
			}
		})
	}
}

// TestModelFromClassDefinition: a dynamic replica's class definition names
// the members, so the indices it gives win over Qt's order (here the
// signals are listed in another order); a class of another type name with
// the adapter's slots is a model too, and one without is not.
func TestModelFromClassDefinition(t *testing.T) {
	s := spellings[1]
	class := wire.ClassDef{
		TypeName:   qds.NullString{Text: ModelAdapterType, Valid: true},
		Signals:    []wire.SignalDef{{Signature: "rowsInserted(QList<ModelIndex>,int,int)"}, {Signature: "dataChanged(QList<ModelIndex>,QList<ModelIndex>,QList<int>)"}},
		Properties: []wire.PropertyDef{{Name: "roleNames", Type: "QHash<int,QByteArray>"}, {Name: "availableRoles", Type: "QList<int>"}},
	}
	for _, m := range modelMethods {
		class.Methods = append(class.Methods, wire.MethodDef{Signature: m + "()"})
	}
	items := []Item{
		{Dir: s2c, Packet: &wire.InitDynamic{Name: "Sheet", Class: class, Values: []qds.Variant{qds.UserOf("QHash<int,QByteArray>", []qds.Pair{}), s.ints(3)}}},
		{Dir: s2c, Packet: invoke(0, -1, s.path(), qds.IntOf(1), qds.IntOf(1))},
		{Dir: c2s, Packet: invoke(1, 8, s.path(0, 0), s.path(0, 0), s.ints())},
		{Dir: s2c, Packet: reply(8, qds.UserOf(s.data, wire.DataEntries{Data: []wire.IndexValuePair{{Index: []wire.ModelIndex{{}}, Data: []qds.Variant{qds.IntOf(5)}, Size: qds.Size{W: -1, H: -1}}}}))},
	}
	notes := annotateModels(items)
	want := []string{"init roleNames {} availableRoles [3]", "rowsInserted parent=root first=1 last=1",
		"rowRequest rows [0,0]..[0,0] roles [] (available roles [3]) (serial 8)", "reply to rowRequest (serial 8): DataEntries 1 cell: [0,0] 3=5; flags 0x0"}
	for i, w := range want {
		if items[i].Model == nil || items[i].Model.Text != w {
			t.Errorf("item %d: %+v, want %q", i, items[i].Model, w)
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "class definition type QAbstractItemModelAdapter") {
		t.Errorf("notes %q", notes)
	}

	class.TypeName = qds.NullString{Text: "MyAdapter", Valid: true}
	if o, why := classModel(&class); o == nil || !strings.Contains(why, "slots") {
		t.Errorf("a class with the adapter's slots: %v %q", o, why)
	}
	class.Methods = class.Methods[1:]
	if o, _ := classModel(&class); o != nil {
		t.Error("a class without replicaSizeRequest taken for a model")
	}
}

// TestModelInferred: without ObjectList or class definition (a capture
// begun mid-connection), an Invoke that fits one of the adapter's members
// exactly, with a model index list among its arguments, makes its object a
// model; ints alone do not.
func TestModelInferred(t *testing.T) {
	s := spellings[2]
	items := []Item{
		{Dir: s2c, Packet: &wire.Invoke{Name: "Plain", Call: wire.CallInvokeMethod, Index: 2, Args: []qds.Variant{qds.IntOf(1), qds.IntOf(2), qds.IntOf(3)}, PropertyIndex: -1}},
		{Dir: s2c, Packet: invoke(2, -1, s.path(), qds.IntOf(0), qds.IntOf(1))},
		{Dir: s2c, Packet: invoke(6, -1)},
	}
	notes := annotateModels(items)
	if items[0].Model != nil || items[0].ModelNote != "" {
		t.Errorf("plain object read as a model: %+v", items[0].Model)
	}
	if items[1].Model == nil || items[1].Model.Text != "rowsInserted parent=root first=0 last=1" || items[2].Model == nil || items[2].Model.Text != "resetModel" {
		t.Errorf("inferred model: %+v %+v", items[1].Model, items[2].Model)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], `object "Sheet" is an item model (inferred from its traffic: rowsInserted`) {
		t.Errorf("notes %q", notes)
	}
}

// FuzzModelTraffic decodes arbitrary frames as packets of a connection
// whose object "Sheet" is a model adapter (directions from a bit mask) and
// renders them as the dump does: no panic, and valid JSON. Seeds are the
// conversation of TestModelOperations in each version's spelling.
// Run: go test ./impl/dump -run '^$' -fuzz FuzzModelTraffic
func FuzzModelTraffic(f *testing.F) {
	for _, s := range spellings {
		var frames []byte
		var dirs uint64
		for i, st := range modelConversation {
			b, err := wire.Marshal(s.dialect, s.dialect.Types(), st.p(s))
			if err != nil {
				f.Fatal(err)
			}
			frames = append(frames, b...)
			if st.dir == c2s {
				dirs |= 1 << (i % 64)
			}
		}
		f.Add(s.dialect == wire.Qt6, dirs, frames)
	}
	f.Fuzz(func(t *testing.T, qt6 bool, dirs uint64, data []byte) {
		d := wire.Qt5
		if qt6 {
			d = wire.Qt6
		}
		items := []Item{{Dir: s2c, Packet: &wire.ObjectListPacket{Objects: []wire.ObjectInfo{{Name: "Sheet", TypeName: qds.NullString{Text: ModelAdapterType, Valid: true}}}}}}
		frame := make([]byte, 6) // every item's stand-in frame: only its length is read
		r := wire.NewReader(bytes.NewReader(data), d, nil, wire.Limits{MaxFrameSize: 1 << 20, Values: qds.Limits{MaxDepth: 32, MaxElements: 1 << 12, MaxBytes: 1 << 20}})
		for i := 0; i < 256; i++ {
			p, err := r.ReadPacket()
			if err != nil {
				break
			}
			dir := s2c
			if dirs&(1<<(i%64)) != 0 {
				dir = c2s
			}
			items = append(items, Item{Dir: dir, Packet: p, Frame: frame, Size: 2})
		}
		conn := Conn{Dialect: d, DialectBy: "fuzz"}
		conn.Items = items
		conn.Notes = annotateModels(items)
		c := &capture.Capture{Format: "fuzz"}
		// The buffers are kept from one input to the next (a fuzz worker
		// runs its inputs one at a time).
		text, js := &modelFuzzBufs[0], &modelFuzzBufs[1]
		text.Reset()
		js.Reset()
		if err := writeText(text, c, []Conn{conn}, Options{}); err != nil {
			t.Fatal(err)
		}
		if err := writeJSON(js, c, []Conn{conn}, Options{JSON: true}); err != nil {
			t.Fatal(err)
		}
		for rest := bytes.TrimSpace(js.Bytes()); ; {
			line, more, found := bytes.Cut(rest, []byte("\n"))
			if !json.Valid(line) {
				t.Fatalf("invalid JSON line: %s", line)
			}
			if !found {
				break
			}
			rest = more
		}
	})
}

var modelFuzzBufs [2]bytes.Buffer
