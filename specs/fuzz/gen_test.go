package fuzz

import (
	"bytes"
	"testing"

	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

func testModel(d wire.Dialect) Model {
	return Model{Dialect: d, Objects: []Object{{Name: "TestObject", Def: wire.ClassDef{
		Methods:    []wire.MethodDef{{Signature: "add(int,int)", ReturnType: "int", ParamNames: []string{"a", "b"}}, {Signature: "reset()"}},
		Signals:    []wire.SignalDef{{Signature: "ping(QString)", ParamNames: []string{"s"}}},
		Properties: []wire.PropertyDef{{Name: "count", Type: "int"}},
	}}}}
}

func TestGeneratorDeterministic(t *testing.T) {
	for _, d := range wire.Dialects {
		a, b := NewGenerator(testModel(d), 7, nil), NewGenerator(testModel(d), 7, nil)
		c := NewGenerator(testModel(d), 8, nil)
		same, differ := true, false
		for i := 0; i < 200; i++ {
			x, y, z := a.Next(), b.Next(), c.Next()
			if x.Kind != y.Kind || !bytes.Equal(bytes.Join(x.Chunks, nil), bytes.Join(y.Chunks, nil)) {
				same = false
			}
			if !bytes.Equal(bytes.Join(x.Chunks, nil), bytes.Join(z.Chunks, nil)) {
				differ = true
			}
		}
		if !same || !differ {
			t.Errorf("%v: same seed same inputs = %v, other seed other inputs = %v", d, same, differ)
		}
	}
}

func TestEveryKindSendsSomething(t *testing.T) {
	g := NewGenerator(testModel(wire.Qt6), 1, nil)
	g.MaxDepth = 3000
	for _, k := range Kinds {
		for i := 0; i < 30; i++ {
			in := g.Make(k)
			if in.Kind != k || in.Size() == 0 || in.Note == "" {
				t.Fatalf("%s: %+v", k, in)
			}
		}
	}
}

// Inputs the mutators mean to be valid packets with the wrong content
// must decode, so the host reaches the code under attack.
func TestAimedInputsDecode(t *testing.T) {
	for _, d := range wire.Dialects {
		g := NewGenerator(testModel(d), 3, nil)
		for i := 0; i < 50; i++ {
			f := g.invoke("Registry", 0, 0, 0, func(e *qds.Encoder) { e.U32(0) }, 1, -1)
			if !decodes(d, f) {
				t.Fatalf("%v: %x does not decode", d, f)
			}
			if f := g.validFrame(); !decodes(d, f) {
				t.Fatalf("%v: valid frame %x does not decode", d, f)
			}
		}
		for _, k := range Known(d, 0, 1, 50) { // qtro decodes 64 levels at most
			if k.Req == "HI-10" {
				if decodes(d, k.Input.Chunks[0]) {
					t.Errorf("%s decodes", k.Name)
				}
				continue
			}
			if !decodes(d, k.Input.Chunks[0]) {
				t.Errorf("%v %s: %x does not decode", d, k.Name, k.Input.Chunks[0])
			}
		}
	}
}

func TestDeepRegen(t *testing.T) {
	g := NewGenerator(testModel(wire.Qt5), 1, nil)
	in := g.deep(Object{Name: "TestObject"}, 0, 100, false)
	half := in.regen(0.5)
	if got, want := in.Size()-half.Size(), 50*9; got != want {
		t.Errorf("halving 100 levels removed %d bytes, want %d", got, want)
	}
	if !decodes(wire.Qt5, half.Chunks[0]) {
		t.Errorf("regenerated frame does not decode")
	}
}

func TestParamTypes(t *testing.T) {
	for sig, want := range map[string]string{"add(int,int)": "int|int", "reset()": "", "f(QMap<QString,int>,bool)": "QMap<QString,int>|bool", "bad": ""} {
		var got []byte
		for i, p := range paramTypes(sig) {
			if i > 0 {
				got = append(got, '|')
			}
			got = append(got, p...)
		}
		if string(got) != want {
			t.Errorf("paramTypes(%q) = %q, want %q", sig, got, want)
		}
	}
}

func TestFramesHelpers(t *testing.T) {
	for _, d := range wire.Dialects {
		a, b := frame(d, 10, []byte{1, 2}), frame(d, 6, []byte{3})
		parts := splitFrames(d, append(append(append([]byte(nil), a...), b...), 0xff, 0xff))
		if len(parts) != 3 || !bytes.Equal(parts[0], a) || !bytes.Equal(parts[1], b) || len(parts[2]) != 2 {
			t.Errorf("%v: splitFrames = %x", d, parts)
		}
		short := fixSize(d, append([]byte(nil), a[:7]...))
		if !wellFormed(d, short) || wellFormed(d, a[:7]) {
			t.Errorf("%v: fixSize/wellFormed", d)
		}
		g := NewGenerator(Model{Dialect: d}, 1, nil)
		r := g.rename(g.addObject("Demo", true), "X")
		var p wire.Packet
		if !decodes(d, r) {
			t.Fatalf("renamed frame does not decode")
		}
		p, _ = wire.Decode(d, qds.NewTypes(d.Types()), qds.Limits{}, wire.Frame{Type: wire.AddObject, Body: r[6:]})
		if p.ObjectName() != "X" {
			t.Errorf("rename: %s", wire.Describe(p))
		}
	}
}
