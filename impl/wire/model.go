package wire

import "github.com/qtro/qtro/impl/qds"

// Types of QtRO's QAbstractItemModel adapter (protocol notes, Appendix A).

// ModelIndex is one step of a path from the model's root: row and column.
type ModelIndex struct{ Row, Column int32 }

// IndexValuePair is one item of a model data reply.
type IndexValuePair struct {
	Index       []ModelIndex
	Data        []qds.Variant
	HasChildren bool
	Flags       int32
	Children    []IndexValuePair
	Size        qds.Size
}

// DataEntries is the reply to replicaRowRequest.
type DataEntries struct{ Data []IndexValuePair }

// MetaAndDataEntries is the reply to replicaCacheRequest.
type MetaAndDataEntries struct {
	Data  []IndexValuePair
	Roles []int32
	Size  qds.Size
}

func decodeIndexList(d *qds.Decoder) []ModelIndex {
	n := d.Count("IndexList", 8)
	l := make([]ModelIndex, 0, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		l = append(l, ModelIndex{d.I32(), d.I32()})
	}
	return l
}

func encodeIndexList(e *qds.Encoder, l []ModelIndex) {
	e.U32(uint32(len(l)))
	for _, x := range l {
		e.I32(x.Row)
		e.I32(x.Column)
	}
}

func decodeIVPs(d *qds.Decoder) []IndexValuePair {
	if !d.Enter("IndexValuePair list") {
		return nil
	}
	defer d.Leave()
	n := d.Count("IndexValuePair list", 26)
	l := make([]IndexValuePair, 0, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		p := IndexValuePair{Index: decodeIndexList(d), Data: d.VariantList(), HasChildren: d.Bool(), Flags: d.I32()}
		p.Children = decodeIVPs(d)
		p.Size = qds.Size{W: d.I32(), H: d.I32()}
		l = append(l, p)
	}
	return l
}

func encodeIVPs(e *qds.Encoder, l []IndexValuePair) {
	e.U32(uint32(len(l)))
	for _, p := range l {
		encodeIndexList(e, p.Index)
		e.VariantList(p.Data)
		e.Bool(p.HasChildren)
		e.I32(p.Flags)
		encodeIVPs(e, p.Children)
		e.I32(p.Size.W)
		e.I32(p.Size.H)
	}
}

type modelIndexCodec struct{}

func (modelIndexCodec) Decode(d *qds.Decoder) any { return ModelIndex{d.I32(), d.I32()} }
func (modelIndexCodec) Encode(e *qds.Encoder, v any) {
	m, _ := v.(ModelIndex)
	e.I32(m.Row)
	e.I32(m.Column)
}

type indexListCodec struct{}

func (indexListCodec) Decode(d *qds.Decoder) any { return decodeIndexList(d) }
func (indexListCodec) Encode(e *qds.Encoder, v any) {
	l, _ := v.([]ModelIndex)
	encodeIndexList(e, l)
}

type dataEntriesCodec struct{}

func (dataEntriesCodec) Decode(d *qds.Decoder) any { return DataEntries{decodeIVPs(d)} }
func (dataEntriesCodec) Encode(e *qds.Encoder, v any) {
	x, _ := v.(DataEntries)
	encodeIVPs(e, x.Data)
}

type metaDataCodec struct{}

func (metaDataCodec) Decode(d *qds.Decoder) any {
	m := MetaAndDataEntries{Data: decodeIVPs(d)}
	n := d.Count("roles", 4)
	for i := 0; i < n && d.Err() == nil; i++ {
		m.Roles = append(m.Roles, d.I32())
	}
	m.Size = qds.Size{W: d.I32(), H: d.I32()}
	return m
}

func (metaDataCodec) Encode(e *qds.Encoder, v any) {
	m, _ := v.(MetaAndDataEntries)
	encodeIVPs(e, m.Data)
	e.U32(uint32(len(m.Roles)))
	for _, r := range m.Roles {
		e.I32(r)
	}
	e.I32(m.Size.W)
	e.I32(m.Size.H)
}

// registerModelTypes adds the model adapter's types under the names every Qt version uses.
func registerModelTypes(t *qds.Types) {
	t.Register("ModelIndex", modelIndexCodec{})
	t.Register("IndexList", indexListCodec{})
	t.Register("QList<ModelIndex>", indexListCodec{})
	t.Register("QVector<ModelIndex>", indexListCodec{})
	t.Register("DataEntries", dataEntriesCodec{})
	t.Register("MetaAndDataEntries", metaDataCodec{})
	// Qt 6.8 and later (seen in 6.8.2 and 6.11.2, not in 6.4.2) register these types only under
	// their QtPrivate:: names and send those in QVariants; a Qt 6.4 peer cannot load them, nor
	// can a newer one load the old names (docs/evidence/qt-versions.md). Decode both.
	t.Register("QtPrivate::ModelIndex", modelIndexCodec{})
	t.Register("QtPrivate::IndexList", indexListCodec{})
	t.Register("QList<QtPrivate::ModelIndex>", indexListCodec{})
	t.Register("QtPrivate::DataEntries", dataEntriesCodec{})
	t.Register("QtPrivate::MetaAndDataEntries", metaDataCodec{})
	if el, ok := t.ElementFor("QByteArray"); ok {
		ik, _ := t.ElementFor("int")
		t.Register("QIntHash", &qds.MapCodec{Key: ik, Value: el})
	}
	for _, e := range []string{"Qt::Orientation", "QItemSelectionModel::SelectionFlags",
		"QAbstractItemModel::LayoutChangeHint", "Qt::ItemFlags"} {
		t.Register(e, &qds.EnumCodec{Size: 4})
	}
}
