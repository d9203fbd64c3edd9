package contract

import (
	"errors"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/qds"
)

// Object is what a test object's slot acts on: the source's own property
// setter (which notifies as a source's setter does) and its signals.
type Object interface {
	Set(property string, v qds.Variant) error
	Emit(signal string, args ...any)
}

// Slot is one slot of a test object's source behaviour (§10, as
// fixtures/peer/sources.h implements it), apart from the push slots, which
// set their property.
type Slot struct {
	Signature string
	// Quiet slots are not reported with an invoked event: Tick's echo,
	// the hot path of the calls load (§9.4).
	Quiet bool
	// Run is called with as many arguments as the signature has.
	Run func(o Object, args []qds.Variant) (qds.Variant, error)
}

// Slots are the slots of the test object of --type typ, whose class (as
// SourceClass gives it) is cls.
func Slots(typ string, cls *meta.Class) []Slot {
	add := Slot{Signature: "add(int,int)", Run: func(_ Object, args []qds.Variant) (qds.Variant, error) {
		return qds.IntOf(int32(uint32(args[0].Int()) + uint32(args[1].Int()))), nil
	}}
	echo := Slot{Signature: "echo(QString)", Run: func(_ Object, args []qds.Variant) (qds.Variant, error) {
		return args[0], nil
	}}
	switch typ {
	case TypeTestObject:
		return []Slot{
			{Signature: "reset()", Run: func(o Object, _ []qds.Variant) (qds.Variant, error) {
				err := errors.Join(o.Set("intProp", qds.IntOf(0)), o.Set("stringProp", qds.NullStringOf()))
				o.Emit("pulse")
				return qds.Variant{}, err
			}},
			{Signature: "fire(int)", Run: func(o Object, args []qds.Variant) (qds.Variant, error) {
				n := int32(args[0].Int())
				o.Emit("multi", qds.IntOf(n), qds.StringOf("fire"), qds.DoubleOf(float64(n)/2.0), qds.BoolOf(n%2 == 1),
					qds.ByteArrayOf([]byte("fire")))
				o.Emit("pulse")
				return qds.Variant{}, nil
			}},
			add, echo,
			{Signature: "makePod(int,QString)", Run: func(_ Object, args []qds.Variant) (qds.Variant, error) {
				id := int32(args[0].Int())
				g := cls.Gadget("TestPod")
				names := make([]string, len(g.Properties))
				for i, p := range g.Properties {
					names[i] = p.Name
				}
				return qds.UserOf(g.Name, qds.Gadget{Names: names,
					Fields: []qds.Variant{qds.IntOf(id), args[1], qds.DoubleOf(float64(id) * 0.5)}}), nil
			}},
			// Its parameter is the class's enum: the signature as the class spells it.
			{Signature: cls.Methods[cls.MethodIndex("nextColor")].Signature,
				Run: func(_ Object, args []qds.Variant) (qds.Variant, error) {
					switch args[0].Int() {
					case 0: // Red
						return qds.IntOf(1), nil
					case 1: // Green
						return qds.IntOf(7), nil
					}
					return qds.IntOf(0), nil
				}},
			{Signature: "echoVariant(QVariant)", Run: func(_ Object, args []qds.Variant) (qds.Variant, error) {
				return args[0], nil
			}},
		}
	case TypeTick:
		return []Slot{{Signature: "echo(qint64)", Quiet: true, Run: func(_ Object, args []qds.Variant) (qds.Variant, error) {
			return qds.LongLongOf(args[0].Int()), nil
		}}}
	case TypePlain:
		return []Slot{add, echo, {Signature: "reset()", Run: func(o Object, _ []qds.Variant) (qds.Variant, error) {
			err := o.Set("number", qds.IntOf(0))
			o.Emit("pulsed", qds.IntOf(0), qds.StringOf("reset"))
			return qds.Variant{}, err
		}}}
	}
	return nil
}
