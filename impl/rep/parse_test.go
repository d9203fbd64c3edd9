package rep

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func mustParse(t *testing.T, src string) *File {
	t.Helper()
	f, err := Parse("t.rep", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return f
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestParseEnums(t *testing.T) {
	f, err := Parse("enums.rep", readFixture(t, "enums.rep"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]EnumKey{
		// Hex is read as hex, unwritten values count on from the previous one.
		"Color": {{"Red", 0}, {"Green", 16}, {"Blue", 17}, {"Neg", -3}, {"After", -2}, {"Big", 2147483647}},
		// QString::toInt fails on out-of-range text and repc uses the 0 it returns.
		"Overflow": {{"Huge", 0}, {"Next", 1}, {"Dec", 0}},
		"Mode":     {{"Off", 0}, {"On", 1}, {"Auto", 5}, {"Hex", 255}},
		"Shade":    {{"Light", 0}, {"Dark", 1}},
	}
	got := map[string][]EnumKey{}
	for _, e := range f.Enums {
		got[e.Name] = e.Keys
		if e.Scope != "" {
			t.Errorf("top-level enum %s has scope %q", e.Name, e.Scope)
		}
	}
	for _, e := range f.Class("Palette").Enums {
		got[e.Name] = e.Keys
		if e.Scope != "Palette" {
			t.Errorf("class enum %s has scope %q", e.Name, e.Scope)
		}
	}
	for name, keys := range want {
		if !reflect.DeepEqual(got[name], keys) {
			t.Errorf("enum %s keys = %v, want %v", name, got[name], keys)
		}
	}
	if !reflect.DeepEqual(f.EnumUses, []string{"Qt::DateFormat"}) {
		t.Errorf("EnumUses = %q", f.EnumUses)
	}
	if f.Qt6Only() {
		t.Errorf("enums.rep reported as Qt 6 only")
	}
}

func TestParseMembers(t *testing.T) {
	f, err := Parse("members.rep", readFixture(t, "members.rep"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"#include <QtCore>\n", "#define MEMBERS_REP 1\n"}; !reflect.DeepEqual(f.Directives, want) {
		t.Errorf("Directives = %q, want %q", f.Directives, want)
	}
	c := f.Class("Members")
	type prop struct {
		name, typ, def string
		mod            Modifier
		persisted      bool
		kind           PropKind
	}
	want := []prop{
		{"pushed", "int", "", ReadPush, false, PlainProp},
		{"pushedExplicit", "int", "-1", ReadPush, false, PlainProp},
		{"ro", "QString", `"read only"`, ReadOnly, false, PlainProp},
		{"constant", "double", "3.14", Constant, false, PlainProp},
		{"rw", "bool", "", ReadWrite, false, PlainProp},
		{"sos", "QByteArray", "", SourceOnlySetter, false, PlainProp},
		{"persisted", "QString", `"keep me"`, ReadWrite, true, PlainProp},
		{"roc", "int", "1", Constant, false, PlainProp},
		{"cro", "int", "", Constant, true, PlainProp},
		{"bare", "qint64", "", ReadPush, true, PlainProp},
		{"items", "QList<Item>", "", ReadPush, false, PlainProp},
		{"counts", "QMap<QString,int>", "", ReadPush, false, PlainProp},
		{"extra", "QVariantMap", "", ReadWrite, false, PlainProp},
		{"child", "Child", "nullptr", SourceOnlySetter, false, ChildProp},
		{"rows", "QAbstractItemModel", "nullptr", SourceOnlySetter, false, ModelProp},
		{"plain", "QAbstractItemModel", "nullptr", SourceOnlySetter, false, ModelProp},
	}
	if len(c.Properties) != len(want) {
		t.Fatalf("%d properties, want %d", len(c.Properties), len(want))
	}
	for i, p := range c.Properties {
		got := prop{p.Name, p.Type, p.Default, p.Modifier, p.Persisted, p.Kind}
		if got != want[i] {
			t.Errorf("property %d = %+v, want %+v", i, got, want[i])
		}
	}
	if r := c.Properties[14].Roles; !reflect.DeepEqual(r, []string{"display", "edit", "toolTip"}) {
		t.Errorf("rows roles = %q", r)
	}
	unnamed := c.Signals[1]
	wantParams := []Param{
		{Type: "int", Name: "__repc_variable_1"},
		{Type: "QString", Name: "__repc_variable_2", Flags: ParamConst | ParamRef},
		{Type: "QList<Item>", Name: "__repc_variable_3"},
	}
	if !reflect.DeepEqual(unnamed.Params, wantParams) {
		t.Errorf("unnamed params = %+v, want %+v", unnamed.Params, wantParams)
	}
	legacy := c.Slots[2]
	if legacy.Name != "legacy" || legacy.ReturnType != "void" {
		t.Errorf("legacy slot = %q returning %q", legacy.Name, legacy.ReturnType)
	}
	take := c.Slots[4].Params
	if take[0].Flags != ParamRef || take[1].Flags != ParamConst|ParamRef {
		t.Errorf("take flags = %v, %v", take[0].Flags, take[1].Flags)
	}
	if p := c.Properties[0].Pos; p != (Pos{Line: 14, Col: 1}) {
		t.Errorf("pushed at %v, want 14:1", p)
	}
}

func TestParseQt6Features(t *testing.T) {
	f, err := Parse("qt6.rep", readFixture(t, "qt6.rep"))
	if err != nil {
		t.Fatal(err)
	}
	if !f.Qt6Only() {
		t.Fatal("qt6.rep not reported as Qt 6 only")
	}
	sc := f.Enums[0]
	if !sc.Scoped || sc.Underlying != "quint8" || sc.Name != "Scoped" {
		t.Errorf("Scoped = %+v", sc)
	}
	if f.Enums[1].Underlying != "unsigned int" {
		t.Errorf("Plain underlying = %q", f.Enums[1].Underlying)
	}
	if len(f.Flags) != 1 || f.Flags[0].Name != "Scopes" || f.Flags[0].Enum != "Scoped" || f.Flags[0].Scope != "" {
		t.Errorf("top-level flags = %+v", f.Flags)
	}
	tagged := f.PODs[0]
	wantAttrs := []Param{
		{Type: "Tag", Name: "tag"},
		{Type: "Tags", Name: "tags"},
		{Type: "QList<int>", Name: "values"},
		{Type: "QString", Name: "name", Flags: ParamConst | ParamRef},
	}
	if !reflect.DeepEqual(tagged.Attrs, wantAttrs) {
		t.Errorf("Tagged attrs = %+v, want %+v", tagged.Attrs, wantAttrs)
	}
	// repc does not scope enums declared in a POD, but does scope its flags.
	if tagged.Enums[0].Scope != "" || tagged.Flags[0].Scope != "Tagged" {
		t.Errorf("POD enum scope %q, flag scope %q", tagged.Enums[0].Scope, tagged.Flags[0].Scope)
	}
	m := f.Class("Modern")
	if m.Flags[0].Scope != "Modern" || m.Enums[0].Keys[1] != (EnumKey{"Mid", 0}) {
		t.Errorf("Modern flags %+v, Level keys %+v", m.Flags, m.Enums[0].Keys)
	}
	_, err = SignatureV1(f, "Modern")
	var e *Error
	if !errors.Is(err, ErrQt6Only) || !errors.As(err, &e) || e.Pos != (Pos{Line: 2, Col: 1}) {
		t.Errorf("SignatureV1 error = %v, want ErrQt6Only at 2:1", err)
	}
}

func TestParseQuirks(t *testing.T) {
	f, err := Parse("quirks.rep", readFixture(t, "quirks.rep"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Classes[0].Name != "" {
		t.Errorf("class followed by a comment is named %q; repc names it \"\"", f.Classes[0].Name)
	}
	s := f.Class("Slots")
	if s.Slots[0].ReturnType != "const int " {
		t.Errorf("return type = %q, want %q", s.Slots[0].ReturnType, "const int ")
	}
	if p := s.Slots[1].Params[0]; p.Type != "QStrings" || p.Flags != ParamRef {
		t.Errorf("QString&s parsed as %+v, want type QStrings", p)
	}
	if p := s.Signals[2].Params[0]; p.Type != "unsigned" || p.Name != "inta" {
		t.Errorf("unsigned int a parsed as %+v", p)
	}
	multi := s.Properties[3]
	if multi.Name != "multi" || multi.Default != `"x"` || multi.Modifier != ReadOnly {
		t.Errorf("multi-line PROP = %+v", multi)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      error
		pos       string
		msg       string
	}{
		{"unknown token", "class Ab\n{\n    PROP(int x)\n   \n};\n", ErrSyntax, "4:1", "unknown token"},
		{"one-letter class", "class A {};\n", ErrSyntax, "1:1", "unexpected identifier"},
		{"empty", "", ErrSyntax, "1:1", "no declarations"},
		{"enum newline", "ENUM En\n{ A }\n", ErrSyntax, "1:8", "want '{'"},
		{"enum trailing comma", "ENUM En { A, }\n", ErrSyntax, "1:13", "unexpected '}', want an enumerator"},
		{"prop at top level", "\nPROP(int x)\n", ErrSyntax, "2:1", "PROP: Can only be used in class scope"},
		{"nested class", "class Ab\n{\nclass Cd\n{\n};\n};\n", ErrSyntax, "3:1", "class: Cannot be nested"},
		{"pod in class", "class Ab\n{\nPOD Pp(int x)\n};\n", ErrSyntax, "3:1", "POD: Can only be used in global scope"},
		{"bad modifier", "class Ab\n{\n  PROP(int x FOO)\n};\n", ErrSemantic, "3:1", "flag FOO is unknown"},
		{"bad combination", "class Ab\n{\nPROP(int x READWRITE, READONLY)\n};\n", ErrSemantic, "3:1", "combination not allowed (READWRITE, READONLY)"},
		{"no property name", "class Ab\n{\nPROP(int)\n};\n", ErrSemantic, "3:1", "PROP: Invalid property declaration"},
		{"unknown flag enum", "FLAG(Fs Nope)\n", ErrSemantic, "1:1", "FLAG: Unknown (global) enum: Nope"},
		{"class flag enum", "class Ab\n{\nFLAG(Fs Nope)\n};\n", ErrSemantic, "3:1", "FLAG: Unknown (class) enum: Nope"},
		{"ENUM in POD()", "POD Pp(ENUM x)\n", ErrSemantic, "1:1", "bracket syntax"},
		{"unterminated class", "class Ab\n{\nPROP(int x)\n", ErrSyntax, "4:1", "unexpected end of file"},
		{"pod trailing comma", "POD Pp{int a,}\n", ErrSyntax, "1:14", "want a POD member"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.rep", []byte(tt.src))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if !errors.Is(err, tt.want) || e.Pos.String() != tt.pos || !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("got %v (pos %v), want %v at %s containing %q", err, e.Pos, tt.want, tt.pos, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "x.rep:"+tt.pos+": ") {
				t.Errorf("message %q lacks file:line:col", err.Error())
			}
		})
	}
}

func TestLimits(t *testing.T) {
	big := []byte("// " + strings.Repeat("x", 100) + "\n")
	if _, err := ParseWithLimits("x", big, Limits{MaxBytes: 50}); !errors.Is(err, ErrLimit) {
		t.Errorf("MaxBytes: err = %v", err)
	}
	many := []byte(strings.Repeat("\n", 100) + "// c\n")
	if _, err := ParseWithLimits("x", many, Limits{MaxTokens: 10}); !errors.Is(err, ErrLimit) {
		t.Errorf("MaxTokens: err = %v", err)
	}
	deep := []byte("POD Pp{" + strings.Repeat("QList<", 10) + "int" + strings.Repeat(">", 10) + " x}\n")
	if _, err := ParseWithLimits("x", deep, Limits{MaxDepth: 5}); !errors.Is(err, ErrLimit) {
		t.Errorf("MaxDepth: err = %v", err)
	}
	if _, err := ParseWithLimits("x", deep, Limits{MaxDepth: 10}); err != nil {
		t.Errorf("nesting within MaxDepth: %v", err)
	}
}

func TestSignatureUndefined(t *testing.T) {
	// repc 6.4 indexes its MODEL list for every QAbstractItemModel-typed
	// property; without a MODEL it reads out of bounds (and crashes).
	f := mustParse(t, "class Ab\n{\n    PROP(QAbstractItemModel m)\n};\n")
	if _, err := SignatureV2(f, "Ab"); !errors.Is(err, ErrUndefined) {
		t.Errorf("SignatureV2 err = %v, want ErrUndefined", err)
	}
	if _, err := SignatureV1(f, "Ab"); err != nil {
		t.Errorf("SignatureV1 err = %v; Qt 5 has no such lookup", err)
	}
}
