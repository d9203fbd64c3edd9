package rep

import (
	"errors"
	"reflect"
	"testing"
)

func methodSigs(ms []APIMethod) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Signature)
	}
	return out
}

// TestAPISimple is the worked example of QTRO-PROTOCOL.md §5.2.
func TestAPISimple(t *testing.T) {
	f, err := Parse("simple.rep", readFixture(t, "simple.rep"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dialects {
		a, err := f.API("Simple", d)
		if err != nil {
			t.Fatal(err)
		}
		var props []string
		for _, p := range a.Properties {
			props = append(props, p.Name)
		}
		if want := []string{"count", "label", "mode", "pod"}; !reflect.DeepEqual(props, want) {
			t.Errorf("properties = %q, want %q", props, want)
		}
		wantSignals := []string{"countChanged(int)", "labelChanged(QString)", "modeChanged(Simple::Mode)", "podChanged(MyPOD)", "fired(int,QString)"}
		if got := methodSigs(a.Signals); !reflect.DeepEqual(got, wantSignals) {
			t.Errorf("signals = %q, want %q", got, wantSignals)
		}
		// pushmode: repc does not capitalise the property name for enum types.
		wantMethods := []string{"pushCount(int)", "pushmode(Simple::Mode)", "pushPod(MyPOD)", "add(int,int)", "ping()"}
		if got := methodSigs(a.Methods); !reflect.DeepEqual(got, wantMethods) {
			t.Errorf("methods = %q, want %q", got, wantMethods)
		}
		if a.Methods[1].Name != "pushMode" {
			t.Errorf("push slot name = %q, want pushMode", a.Methods[1].Name)
		}
		var rets []string
		for _, m := range a.Methods {
			rets = append(rets, m.ReturnType)
		}
		if want := []string{"void", "void", "void", "int", "void"}; !reflect.DeepEqual(rets, want) {
			t.Errorf("return types = %q, want %q", rets, want)
		}
		fired := a.Signals[4]
		if want := []APIParam{{"int", "code"}, {"QString", "why"}}; !reflect.DeepEqual(fired.Params, want) || fired.Property != -1 {
			t.Errorf("fired = %+v", fired)
		}
		// label is READONLY: a notify signal but no push slot.
		wantIdx := [][2]int{{0, 0}, {1, -1}, {2, 1}, {3, 2}}
		for i, p := range a.Properties {
			if [2]int{p.Notify, p.Push} != wantIdx[i] {
				t.Errorf("property %s notify/push = %d/%d, want %v", p.Name, p.Notify, p.Push, wantIdx[i])
			}
		}
		if len(a.PODs) != 1 || a.PODs[0].Name != "MyPOD" || len(a.Enums) != 1 || a.Enums[0].Name != "Mode" {
			t.Errorf("PODs = %v, Enums = %v", a.PODs, a.Enums)
		}
	}
	if _, err := f.API("Nope", Qt6); !errors.Is(err, ErrNoClass) {
		t.Errorf("unknown class: err = %v", err)
	}
}

// TestAPIConstantFirst checks §5.2's note: with a CONSTANT property first,
// notify signal 0 belongs to property 1.
func TestAPIConstantFirst(t *testing.T) {
	f := mustParse(t, "class Ab\n{\n    PROP(int c CONSTANT)\n    PROP(int v READWRITE)\n    MODEL mm(a)\n    SIGNAL(s())\n};\n")
	a, err := f.API("Ab", Qt6)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"vChanged(int)", "mmChanged(QAbstractItemModel*)", "s()"}
	if got := methodSigs(a.Signals); !reflect.DeepEqual(got, want) {
		t.Fatalf("signals = %q, want %q", got, want)
	}
	if a.Signals[0].Property != 1 || a.Properties[0].Notify != -1 || a.Properties[1].Notify != 0 || a.Properties[2].Notify != 1 {
		t.Errorf("notify mapping wrong: %+v", a.Properties)
	}
	if len(a.Methods) != 0 {
		t.Errorf("methods = %q, want none (no READPUSH property, no SLOT)", methodSigs(a.Methods))
	}
}

func TestAPIUsedTypes(t *testing.T) {
	f, err := Parse("pods.rep", readFixture(t, "pods.rep"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.API("Drawing", Qt5)
	if err != nil {
		t.Fatal(err)
	}
	var pods []string
	for _, p := range a.PODs {
		pods = append(pods, p.Name)
	}
	// Direct uses in declaration order, then PODs reached through attributes.
	if want := []string{"Point", "Segment", "Path", "Forward", "Multi", "Later"}; !reflect.DeepEqual(pods, want) {
		t.Errorf("PODs = %q, want %q", pods, want)
	}
	if len(a.UsedEnums) != 1 || a.UsedEnums[0].Name != "Kind" {
		t.Errorf("UsedEnums = %v, want [Kind]", a.UsedEnums)
	}
}

func TestNormalizeParam(t *testing.T) {
	// Every row is also exercised against real repc by the snippets
	// "normalization", "normalization_const_pointer", "signal_forms" and
	// the quirks.rep fixture.
	tests := []struct{ in, qt5, qt6 string }{
		{"QList<QList<int>>", "QList<QList<int> >", "QList<QList<int>>"},
		{"QVector<QPair<unsigned int, long long>>", "QVector<QPair<uint,long long> >", "QList<std::pair<uint,qlonglong>>"},
		{"QMap<QString, unsigned char>", "QMap<QString,unsigned char>", "QMap<QString,uchar>"},
		{"const QList<const char *> &", "QList<const char*>", "QList<const char*>"},
		{"QList<unsigned long>", "QList<ulong>", "QList<ulong>"},
		{"QList<signed char>", "QList<signed char>", "QList<signed char>"},
		{"QList<long int>", "QList<long int>", "QList<long>"},
		{"QList<char const *>", "QList<const char*>", "QList<const char*>"},
		{"QList<const char *const>", "QList<const char*const>", "QList<const char*const>"},
		{"QMap<int,QList<int> >", "QMap<int,QList<int> >", "QMap<int,QList<int>>"},
		{"QMap<QString , int>", "QMap<QString,int>", "QMap<QString,int>"},
		{"const QString &", "QString", "QString"},
		{"const int", "int", "int"},
		{"int &", "int&", "int&"},
		{"unsigned", "uint", "uint"},
	}
	for _, tt := range tests {
		if got := normalizeParam(Qt5, tt.in); got != tt.qt5 {
			t.Errorf("Qt5 normalize(%q) = %q, want %q", tt.in, got, tt.qt5)
		}
		if got := normalizeParam(Qt6, tt.in); got != tt.qt6 {
			t.Errorf("Qt6 normalize(%q) = %q, want %q", tt.in, got, tt.qt6)
		}
	}
}
