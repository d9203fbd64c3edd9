// Package repc generates typed Go code from .rep files, as Qt's repc
// generates C++: per class a typed Source and a typed Replica over package
// node, PODs as Go structs and enums as Go types; it does not parse .rep
// files (package rep does) or run anything (the generated code calls
// package repc/repcrt).
package repc

import (
	"bytes"
	"errors"
	"fmt"
	"go/format"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/qtro/qtro/impl/rep"
)

// Options control generation.
type Options struct {
	// Package is the Go package name of the generated file (required).
	Package string
	// Source is the .rep file name recorded in the generated code (its
	// base name is used); Generate embeds the text it is given, not a path.
	Source string
	// Command is the command line recorded in the header ("qtro repc ..."),
	// empty for none.
	Command string
}

// ErrOptions reports unusable Options.
var ErrOptions = errors.New("repc: bad options")

// Generate parses the .rep text src and returns one gofmt'd Go file that
// embeds it and declares its enums, PODs and classes.
func Generate(src []byte, opts Options) ([]byte, error) {
	if !token.IsIdentifier(opts.Package) {
		return nil, fmt.Errorf("%w: package name %q", ErrOptions, opts.Package)
	}
	name := filepath.Base(opts.Source)
	if opts.Source == "" {
		name = "input.rep"
	}
	f, err := rep.Parse(name, src)
	if err != nil {
		return nil, err
	}
	g := &gen{
		f: f, opts: opts, repName: name, src: string(src),
		used:      map[string]bool{},
		enumNames: map[*rep.Enum]string{},
		flagNames: map[*rep.Flag]string{},
		podNames:  map[*rep.POD]string{},
		podFrom:   map[*rep.POD]string{},
		classes:   map[*rep.Class]*classNames{},
	}
	g.declare()
	code := g.body()
	var out bytes.Buffer
	g.header(&out, code)
	fmt.Fprintf(&out, "// %s is %s as written: the classes are built from it at run time, per\n", g.fileVar, g.repName)
	fmt.Fprintf(&out, "// dialect, with the class signatures Qt 5.15 and Qt 6.4 repc compute.\n")
	fmt.Fprintf(&out, "const %s = %s\n\n", g.fileVar, goString(g.src))
	out.Write(code)
	formatted, err := format.Source(out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("repc: generated code does not parse (a bug): %w\n%s", err, out.Bytes())
	}
	return formatted, nil
}

// gen holds one generation run.
type gen struct {
	f       *rep.File
	opts    Options
	repName string
	src     string

	used map[string]bool // package-level identifiers taken

	fileVar   string
	enumNames map[*rep.Enum]string
	flagNames map[*rep.Flag]string
	podNames  map[*rep.POD]string
	podFrom   map[*rep.POD]string // the POD's from-QVariant function
	classes   map[*rep.Class]*classNames
	order     []*rep.Class // classes generated, in file order
	skipped   []string     // why some declarations have no Go form
}

// classNames are the package-level names of one class.
type classNames struct {
	source, replica, newSource, acquire, classVar string
}

// reserved are identifiers the generated file uses itself.
var reserved = []string{"context", "strconv", "sync", "time", "node", "repcrt"}

// exported makes a Go exported identifier of s.
func exported(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	id := strings.Trim(b.String(), "_")
	if id == "" {
		return "X"
	}
	r, n := utf8.DecodeRuneInString(id)
	if !unicode.IsLetter(r) {
		return "X" + id
	}
	if up := unicode.ToUpper(r); up != r && utf8.RuneLen(up) > 0 {
		id = string(up) + id[n:]
	}
	if !unicode.IsUpper([]rune(id)[0]) {
		id = "X" + id
	}
	return id
}

// unexported makes a Go unexported identifier (parameters, locals).
func unexported(s string) string {
	e := exported(s)
	r, n := utf8.DecodeRuneInString(e)
	id := string(unicode.ToLower(r)) + e[n:]
	if token.IsKeyword(id) || !token.IsIdentifier(id) {
		id += "_"
	}
	return id
}

// unique returns name, or name with '_' appended until it is free in used.
func unique(used map[string]bool, name string) string {
	for used[name] {
		name += "_"
	}
	used[name] = true
	return name
}

// declare names every enum, flag, POD and class before any code is written,
// so that types resolve wherever they are used.
func (g *gen) declare() {
	for _, r := range reserved {
		g.used[r] = true
	}
	g.fileVar = unique(g.used, unexported(strings.TrimSuffix(g.repName, filepath.Ext(g.repName)))+"Rep")
	for _, e := range g.f.Enums {
		g.enumNames[e] = unique(g.used, exported(e.Name))
	}
	for _, fl := range g.f.Flags {
		g.flagNames[fl] = unique(g.used, exported(fl.Name))
	}
	seenPOD := map[string]bool{}
	for _, p := range g.f.PODs {
		switch {
		case p.Name == "":
			g.skipped = append(g.skipped, "a POD named \"\" (repc's comment quirk)")
			continue
		case seenPOD[p.Name]:
			g.skipped = append(g.skipped, "a second POD "+p.Name)
			continue
		}
		seenPOD[p.Name] = true
		g.podNames[p] = unique(g.used, exported(p.Name))
		for _, e := range p.Enums {
			g.enumNames[e] = unique(g.used, g.podNames[p]+exported(e.Name))
		}
		for _, fl := range p.Flags {
			g.flagNames[fl] = unique(g.used, g.podNames[p]+exported(fl.Name))
		}
	}
	for _, p := range g.f.PODs {
		if g.podNames[p] != "" {
			g.podFrom[p] = unique(g.used, "qtro"+g.podNames[p])
		}
	}
	seenClass := map[string]bool{}
	for _, c := range g.f.Classes {
		switch {
		case c.Name == "":
			g.skipped = append(g.skipped, "a class named \"\" (repc's comment quirk: no program can acquire it by type)")
			continue
		case seenClass[c.Name]:
			g.skipped = append(g.skipped, "a second class "+c.Name+" (repc's C++ would not compile)")
			continue
		}
		seenClass[c.Name] = true
		base := exported(c.Name)
		for _, e := range c.Enums {
			g.enumNames[e] = unique(g.used, base+exported(e.Name))
		}
		for _, fl := range c.Flags {
			g.flagNames[fl] = unique(g.used, base+exported(fl.Name))
		}
		g.classes[c] = &classNames{
			source:    unique(g.used, base+"Source"),
			replica:   unique(g.used, base+"Replica"),
			newSource: unique(g.used, "New"+base+"Source"),
			acquire:   unique(g.used, "Acquire"+base),
			classVar:  unique(g.used, unexported(c.Name)+"Class"),
		}
		g.order = append(g.order, c)
	}
}

func (g *gen) header(out *bytes.Buffer, code []byte) {
	out.WriteString("// Code generated by qtro repc. DO NOT EDIT.\n")
	if g.opts.Command != "" {
		fmt.Fprintf(out, "// %s\n", g.opts.Command)
	}
	fmt.Fprintf(out, "// source: %s\n\n", g.repName)
	fmt.Fprintf(out, "package %s\n\nimport (\n", g.opts.Package)
	// The imports are those the code names (the embedded .rep text is not
	// part of code, so a "time." in a comment there imports nothing).
	for _, std := range []string{"context", "strconv", "sync", "time"} {
		if bytes.Contains(code, []byte(std+".")) {
			fmt.Fprintf(out, "\t%q\n", std)
		}
	}
	out.WriteString("\n")
	for _, pkg := range []string{"node", "repcrt"} {
		if bytes.Contains(code, []byte(pkg+".")) {
			fmt.Fprintf(out, "\t%q\n", importPaths[pkg])
		}
	}
	out.WriteString(")\n\n")
}

// importPaths are the module packages generated code may use.
var importPaths = map[string]string{
	"node":   "github.com/qtro/qtro/impl/node",
	"repcrt": "github.com/qtro/qtro/impl/repc/repcrt",
}

// body writes everything after the imports.
func (g *gen) body() []byte {
	var b bytes.Buffer
	for _, s := range g.skipped {
		fmt.Fprintf(&b, "// Not generated: %s.\n", s)
	}
	if len(g.skipped) > 0 {
		b.WriteString("\n")
	}
	for _, e := range g.f.Enums {
		g.enum(&b, e, "")
	}
	for _, fl := range g.f.Flags {
		g.flag(&b, fl)
	}
	for _, p := range g.f.PODs {
		if g.podNames[p] == "" {
			continue
		}
		for _, e := range p.Enums {
			g.enum(&b, e, p.Name)
		}
		for _, fl := range p.Flags {
			g.flag(&b, fl)
		}
		g.pod(&b, p)
	}
	for _, c := range g.order {
		for _, e := range c.Enums {
			g.enum(&b, e, c.Name)
		}
		for _, fl := range c.Flags {
			g.flag(&b, fl)
		}
		g.class(&b, c)
	}
	return b.Bytes()
}

// goString quotes s as a Go string literal, raw when that keeps it exact.
func goString(s string) string {
	if utf8.ValidString(s) && !strings.ContainsAny(s, "`\r\x00\ufeff") {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}

func (g *gen) enum(b *bytes.Buffer, e *rep.Enum, scope string) {
	name := g.enumNames[e]
	where := "the .rep file"
	if scope != "" {
		where = scope
	}
	fmt.Fprintf(b, "// %s is the ENUM %s of %s; it travels as an int.\n", name, e.Name, where)
	fmt.Fprintf(b, "type %s int32\n\n", name)
	if len(e.Keys) > 0 {
		fmt.Fprintf(b, "// Keys of %s.\nconst (\n", name)
		consts := make([]string, len(e.Keys))
		for i, k := range e.Keys {
			consts[i] = unique(g.used, name+exported(k.Name))
			fmt.Fprintf(b, "\t%s %s = %d\n", consts[i], name, k.Value)
		}
		b.WriteString(")\n\n")
		fmt.Fprintf(b, "// String returns the key's name (the first of keys sharing a value).\n")
		fmt.Fprintf(b, "func (e %s) String() string {\n\tswitch e {\n", name)
		seen := map[int32]bool{}
		for i, k := range e.Keys {
			if seen[k.Value] {
				continue
			}
			seen[k.Value] = true
			fmt.Fprintf(b, "\tcase %s:\n\t\treturn %s\n", consts[i], strconv.Quote(k.Name))
		}
		b.WriteString("\t}\n\treturn \"" + e.Name + "(\" + strconv.Itoa(int(e)) + \")\"\n}\n\n")
	}
}

func (g *gen) flag(b *bytes.Buffer, fl *rep.Flag) {
	name := g.flagNames[fl]
	fmt.Fprintf(b, "// %s is the FLAG %s: an OR of %s values; it travels as an int.\n", name, fl.Name, fl.Enum)
	fmt.Fprintf(b, "type %s int32\n\n", name)
}

func (g *gen) pod(b *bytes.Buffer, p *rep.POD) {
	name := g.podNames[p]
	sc := scope{pod: p}
	used := map[string]bool{"qtroArg": true}
	fields := make([]string, len(p.Attrs))
	types := make([]goType, len(p.Attrs))
	fmt.Fprintf(b, "// %s is the POD %s: a Q_GADGET streamed as one QVariant per field.\n", name, p.Name)
	fmt.Fprintf(b, "type %s struct {\n", name)
	for i, a := range p.Attrs {
		fields[i] = unique(used, exported(strings.TrimLeft(a.Name, "*&")))
		types[i] = g.resolve(a.Type, sc)
		if types[i].expr == "" {
			types[i] = opaqueType
		}
		fmt.Fprintf(b, "\t%s %s // %s %s\n", fields[i], types[i].expr, a.Type, a.Name)
	}
	b.WriteString("}\n\n")
	fmt.Fprintf(b, "// qtroArg is the value the node converts to a %s gadget.\n", p.Name)
	fmt.Fprintf(b, "func (p %s) qtroArg() any {\n\treturn []any{", name)
	for i := range p.Attrs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(types[i].to("p." + fields[i]))
	}
	b.WriteString("}\n}\n\n")
	fn := g.podFrom[p]
	fmt.Fprintf(b, "// %s reads a %s gadget.\n", fn, p.Name)
	fmt.Fprintf(b, "func %s(v node.Variant) %s {\n\tf := repcrt.Fields(v, %d)\n\treturn %s{", fn, name, len(p.Attrs), name)
	for i := range p.Attrs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(b, "%s: %s", fields[i], types[i].from(fmt.Sprintf("f[%d]", i)))
	}
	b.WriteString("}\n}\n\n")
}

// param is one generated Go parameter.
type param struct {
	name string
	t    goType
}

// params names a function's parameters as Go identifiers, avoiding the
// generated code's own locals.
func (g *gen) params(ps []rep.Param, sc scope) []param {
	used := map[string]bool{"ctx": true, "fn": true, "s": true, "r": true, "err": true, "v": true, "args": true, "ev": true, "e": true, "f": true, "res": true}
	for _, r := range reserved {
		used[r] = true
	}
	out := make([]param, len(ps))
	for i, p := range ps {
		n := strings.TrimLeft(p.Name, "*&")
		if n == "" || strings.HasPrefix(n, "__repc_variable_") {
			n = "arg" + strconv.Itoa(i)
		}
		t := g.resolve(p.Type, sc)
		if t.expr == "" {
			t = opaqueType
		}
		out[i] = param{name: unique(used, unexported(n)), t: t}
	}
	return out
}

func declList(ps []param) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.name + " " + p.t.expr
	}
	return strings.Join(parts, ", ")
}

func toList(ps []param) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(", " + p.t.to(p.name))
	}
	return b.String()
}

func fromArgs(ps []param, args string) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.t.from(fmt.Sprintf("repcrt.Arg(%s, %d)", args, i))
	}
	return strings.Join(parts, ", ")
}
