package conformance

import (
	"slices"
	"strings"
	"testing"

	"github.com/qtro/qtro/impl/meta"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
)

func TestSigParams(t *testing.T) {
	for _, tc := range []struct {
		sig  string
		want []string
		ok   bool
	}{
		{"pulse()", nil, true},
		{"add(int,int)", []string{"int", "int"}, true},
		{"m(QMap<QString,QVariant>,int)", []string{"QMap<QString,QVariant>", "int"}, true},
		{"add(int, int)", nil, false}, // not normalised
		{"add", nil, false},
		{"(int)", nil, false},
		{"", nil, false},
	} {
		got, ok := sigParams(tc.sig)
		if ok != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("sigParams(%q) = %q, %v; want %q, %v", tc.sig, got, ok, tc.want, tc.ok)
		}
	}
}

func TestDefinitionProblems(t *testing.T) {
	good := TestClass(wire.Qt6, "TestObject").Definition()
	if p := definitionProblems(&good); len(p) != 0 {
		t.Fatalf("the test object's definition: %v", p)
	}
	for _, tc := range []struct {
		name   string
		break_ func(d *wire.ClassDef)
		want   string
	}{
		{"notify not a signal", func(d *wire.ClassDef) { d.Properties[1].Notify = "nope(int)" }, "not among the class's signals"},
		{"duplicate property", func(d *wire.ClassDef) { d.Properties[2].Name = d.Properties[1].Name }, "listed twice"},
		{"param names", func(d *wire.ClassDef) { d.Methods[11].ParamNames = []string{"a"} }, "2 parameters but 1 parameter names"},
		{"bad signature", func(d *wire.ClassDef) { d.Signals[21].Signature = "pulse" }, "not a normalised signature"},
		{"no type", func(d *wire.ClassDef) { d.Properties[0].Type = "" }, "has no type"},
	} {
		d := TestClass(wire.Qt6, "TestObject").Definition()
		tc.break_(&d)
		p := definitionProblems(&d)
		if len(p) == 0 || !strings.Contains(strings.Join(p, "; "), tc.want) {
			t.Errorf("%s: problems %v, want one saying %q", tc.name, p, tc.want)
		}
	}
}

func TestTypeMismatch(t *testing.T) {
	def := TestClass(wire.Qt6, "TestObject").Definition()
	s := &source{Name: "TestObject", Def: &def, Class: meta.FromDefinition(&def)}
	colorType := def.Properties[TestClass(wire.Qt6, "TestObject").PropertyIndex("colorProp")].Type
	for _, tc := range []struct {
		declared string
		v        qds.Variant
		fits     bool
		known    bool
	}{
		{"int", qds.IntOf(1), true, true},
		{"int", qds.StringOf("1"), false, true},
		{"QString", qds.StringOf(""), true, true},
		{"qlonglong", qds.LongLongOf(1), true, true},
		{"long long", qds.LongLongOf(1), true, true},
		{"QList<QVariant>", qds.ListOf(nil), true, true},
		{"QVariant", qds.StringOf("any"), true, true},
		{colorType, qds.IntOf(7), true, true},
		{colorType, qds.StringOf("Blue"), false, true},
		{"QObject*", qds.Variant{}, true, true},
		{"SomethingUnknown", qds.IntOf(1), true, false},
	} {
		reason, known := typeMismatch(s, tc.declared, tc.v)
		if (reason == "") != tc.fits || known != tc.known {
			t.Errorf("typeMismatch(%s, %s) = %q, known %v; want fits %v, known %v", tc.declared, tc.v, reason, known, tc.fits, tc.known)
		}
	}
}

func TestNextValueDiffers(t *testing.T) {
	for _, tc := range []struct {
		typ string
		cur qds.Variant
	}{
		{"int", qds.IntOf(41)}, {"int", qds.IntOf(1 << 30)}, {"uint", qds.UIntOf(7)}, {"qlonglong", qds.LongLongOf(-1)},
		{"double", qds.DoubleOf(0.5)}, {"bool", qds.BoolOf(true)}, {"QString", qds.StringOf("x")}, {"qreal", qds.DoubleOf(2e9)},
	} {
		v, _, ok := nextValue(tc.typ, tc.cur)
		if !ok || v.SameValue(tc.cur) {
			t.Errorf("nextValue(%s, %s) = %s, %v: want a different value", tc.typ, tc.cur, v, ok)
		}
	}
	if _, _, ok := nextValue("QVariantMap", qds.Variant{}); ok {
		t.Error("nextValue varies a QVariantMap; the suite only varies scalars and strings")
	}
}

func TestSplitTargets(t *testing.T) {
	got := splitTargets(`go5,adapter:qtro adapter --capabilities {"transports":["local"],"replicaModes":["dynamic"]},url:tcp://h:1`)
	want := []string{"go5", `adapter:qtro adapter --capabilities {"transports":["local"],"replicaModes":["dynamic"]}`, "url:tcp://h:1"}
	if !slices.Equal(got, want) {
		t.Errorf("splitTargets = %q, want %q", got, want)
	}
}

// A run that exercised little is never called conformant outright.
func TestVerdict(t *testing.T) {
	for _, tc := range []struct {
		outcomes []string
		passed   bool
		want     string
	}{
		{[]string{OutcomePass, OutcomeNotApplicable, OutcomeUnsupported}, true, "conformant on 1 of 3 requirements exercised (not exercised: 1 unsupported, 1 not applicable)"},
		{[]string{OutcomeNotApplicable, OutcomeNotTested}, true, "nothing exercised: 0 of 2 requirements (not exercised: 1 not applicable, 1 not tested)"},
		{[]string{OutcomeFail, OutcomePass, OutcomeNonStrict}, false, "NOT conformant: 1 failed of 3 requirements exercised"},
	} {
		tr := TargetResults{Passed: tc.passed, Counts: map[string]int{}}
		for i, o := range tc.outcomes {
			tr.Results = append(tr.Results, CaseResult{ID: string(rune('A' + i)), Outcome: o})
			tr.Counts[o]++
		}
		if got := tr.Summary(); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.outcomes, got, tc.want)
		}
	}
}
