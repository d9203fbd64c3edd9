package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

// Wire indices of Plain (specs/ADAPTER.md §10, QTRO-PROTOCOL.md §5.1: a
// plain QObject remoted through the dynamic API).
const (
	propNumber = 0
	propText   = 1
	propRatio  = 2 // CONSTANT: no notify signal
	propColor  = 3

	sigNumberChanged = 0
	sigTextChanged   = 1
	sigColorChanged  = 2
	sigPulsed        = 3

	methodAdd   = 0
	methodEcho  = 1
	methodReset = 2
)

// ratioValue is Plain's CONSTANT ratio.
const ratioValue = 0.25

// kind is a declared Qt type of Plain's members.
type kind int

const (
	kindInt kind = iota
	kindString
	kindDouble
	kindColor // enum Color, an int on the wire
)

// propDef is one property of Plain.
type propDef struct {
	name   string
	kind   kind
	notify int // signal index; -1 for none
}

var plainProps = []propDef{
	{"number", kindInt, sigNumberChanged},
	{"text", kindString, sigTextChanged},
	{"ratio", kindDouble, -1},
	{"color", kindColor, sigColorChanged},
}

// sigDef is one signal of Plain.
type sigDef struct {
	name   string
	params []kind
	prop   int // the property it notifies, else -1
}

var plainSignals = []sigDef{
	{"numberChanged", []kind{kindInt}, propNumber},
	{"textChanged", []kind{kindString}, propText},
	{"colorChanged", []kind{kindColor}, propColor},
	{"pulsed", []kind{kindInt, kindString}, -1},
}

// signature returns the normalised signature, e.g. "pulsed(int,QString)".
func (s sigDef) signature() string {
	names := make([]string, len(s.params))
	for i, k := range s.params {
		names[i] = k.typeName()
	}
	return s.name + "(" + strings.Join(names, ",") + ")"
}

// methodNames are Plain's slots in wire order.
var methodNames = []string{"add", "echo", "reset"}

// typeName is the normalised type name in signatures.
func (k kind) typeName() string {
	switch k {
	case kindInt:
		return "int"
	case kindString:
		return "QString"
	case kindDouble:
		return "double"
	}
	return "Color"
}

// plainClass returns the class definition a Qt host sends for PlainObject
// (fixtures/peer/plain.h) in an InitDynamicPacket: type name null, the
// Color enum, the notify signals first, then pulsed; the enum property's
// type as moc records it (Qt 5 "Color", Qt 6 "PlainObject::Color").
func plainClass(d wire.Dialect) wire.ClassDef {
	colorType := "Color"
	if d == wire.Qt6 {
		colorType = "PlainObject::Color"
	}
	return wire.ClassDef{
		TypeName: qds.NullString{}, // a plain QObject has no classinfo: null
		Enums: []wire.EnumDef{{Name: "Color", Size: 4, Keys: []wire.EnumKey{
			{Name: "Red", Value: 0}, {Name: "Green", Value: 1}, {Name: "Blue", Value: 7}}}},
		Signals: []wire.SignalDef{
			{Signature: "numberChanged(int)", ParamNames: []string{"number"}},
			{Signature: "textChanged(QString)", ParamNames: []string{"text"}},
			{Signature: "colorChanged(Color)", ParamNames: []string{"color"}},
			{Signature: "pulsed(int,QString)", ParamNames: []string{"n", "msg"}},
		},
		Methods: []wire.MethodDef{
			{Signature: "add(int,int)", ReturnType: "int", ParamNames: []string{"a", "b"}},
			{Signature: "echo(QString)", ReturnType: "QString", ParamNames: []string{"s"}},
			{Signature: "reset()", ReturnType: "void", ParamNames: []string{}},
		},
		Properties: []wire.PropertyDef{
			{Name: "number", Type: "int", Notify: "numberChanged(int)"},
			{Name: "text", Type: "QString", Notify: "textChanged(QString)"},
			{Name: "ratio", Type: "double"},
			{Name: "color", Type: colorType, Notify: "colorChanged(Color)"},
		},
	}
}

// plainState holds Plain's writable properties. text keeps Qt's null
// string apart from the empty one.
type plainState struct {
	number int32
	text   qds.NullString
	color  int32
}

func initialState() plainState {
	return plainState{number: 3, text: qds.Str("plain"), color: 1}
}

// value is a property value: the int kinds use i, QString s.
type value struct {
	i int32
	s qds.NullString
	f float64
}

func (st *plainState) get(prop int) value {
	switch prop {
	case propNumber:
		return value{i: st.number}
	case propText:
		return value{s: st.text}
	case propRatio:
		return value{f: ratioValue}
	}
	return value{i: st.color}
}

// set stores v and reports whether the property changed (Qt's setters:
// equal values, including a null string for a null one, change nothing).
func (st *plainState) set(prop int, v value) bool {
	switch prop {
	case propNumber:
		if st.number == v.i {
			return false
		}
		st.number = v.i
	case propText:
		if st.text == v.s {
			return false
		}
		st.text = v.s
	case propColor:
		if st.color == v.i {
			return false
		}
		st.color = v.i
	default:
		return false
	}
	return true
}

// variant encodes v of kind k for the wire (an enum as an int, §3.3).
func (v value) variant(k kind) qds.Variant {
	switch k {
	case kindString:
		if !v.s.Valid {
			return qds.NullStringOf()
		}
		return qds.StringOf(v.s.Text)
	case kindDouble:
		return qds.DoubleOf(v.f)
	}
	return qds.IntOf(v.i)
}

// json renders v of kind k in canonical JSON (specs/ADAPTER.md §7.1).
func (v value) json(k kind) any {
	switch k {
	case kindString:
		if !v.s.Valid {
			return nil
		}
		return v.s.Text
	case kindDouble:
		return v.f
	}
	return v.i
}

// fromJSON converts command input of kind k (§7.2: strict).
func fromJSON(k kind, raw json.RawMessage) (value, error) {
	var x any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if len(raw) == 0 {
		return value{}, fmt.Errorf("missing value")
	}
	if err := dec.Decode(&x); err != nil {
		return value{}, err
	}
	switch k {
	case kindString:
		switch s := x.(type) {
		case nil:
			return value{s: qds.NullString{}}, nil
		case string:
			return value{s: qds.Str(s)}, nil
		}
		return value{}, fmt.Errorf("want a string or null for QString, got %s", raw)
	case kindDouble:
		n, ok := x.(json.Number)
		if !ok {
			return value{}, fmt.Errorf("want a number for double, got %s", raw)
		}
		f, err := n.Float64()
		return value{f: f}, err
	}
	n, ok := x.(json.Number)
	if !ok {
		return value{}, fmt.Errorf("want an integer for %s, got %s", k.typeName(), raw)
	}
	i, err := strconv.ParseInt(n.String(), 10, 32)
	if err != nil {
		return value{}, fmt.Errorf("want a 32-bit integer for %s, got %s", k.typeName(), raw)
	}
	return value{i: int32(i)}, nil
}

// fromVariant converts a wire argument to kind k the way QVariant::convert
// would, leniently (a Qt host converts arguments to the parameter types).
func fromVariant(k kind, v qds.Variant) value {
	switch k {
	case kindString:
		switch v.Type() {
		case qds.QString:
			if v.IsNullValue() {
				return value{s: qds.NullString{}}
			}
			return value{s: qds.Str(v.Str())}
		case qds.Int, qds.Short, qds.Char, qds.SChar, qds.Long, qds.LongLong:
			return value{s: qds.Str(strconv.FormatInt(v.Int(), 10))}
		case qds.UInt, qds.UShort, qds.UChar, qds.ULong, qds.ULongLong:
			return value{s: qds.Str(strconv.FormatUint(v.Uint(), 10))}
		case qds.Double, qds.Float:
			return value{s: qds.Str(strconv.FormatFloat(v.Float(), 'g', -1, 64))}
		case qds.QByteArray:
			return value{s: qds.Str(string(v.Bytes()))}
		}
		return value{s: qds.NullString{}}
	case kindDouble:
		return value{f: v.Float()}
	}
	switch v.Type() {
	case qds.Double, qds.Float:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return value{}
		}
		return value{i: int32(int64(f))}
	case qds.QString:
		n, _ := strconv.ParseInt(strings.TrimSpace(v.Str()), 10, 32)
		return value{i: int32(n)}
	case qds.Bool:
		if v.Bool() {
			return value{i: 1}
		}
		return value{}
	}
	return value{i: int32(v.Int())}
}
