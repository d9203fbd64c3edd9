package repc

import (
	"strings"

	"github.com/qtro/qtro/impl/rep"
	"github.com/qtro/qtro/impl/wire"
)

// goType is the Go form of a .rep member type and the two conversions the
// generated code applies: from a received QVariant (repcrt helpers) and to
// a value the node converts to the member's type (meta.Class.Coerce).
type goType struct {
	expr   string                // Go type expression
	from   func(v string) string // Go expression reading QVariant expression v
	to     func(x string) string // Go expression turning x into what Coerce takes
	opaque bool                  // no Go mapping: the QVariant itself
}

func direct(expr, helper string) goType {
	return goType{
		expr: expr,
		from: func(v string) string { return "repcrt." + helper + "(" + v + ")" },
		to:   func(x string) string { return x },
	}
}

// builtins maps Qt's built-in value types (as written in .rep files,
// normalised to single spaces) to Go.
var builtins = map[string]goType{
	"bool":               direct("bool", "Bool"),
	"int":                direct("int32", "Int32"),
	"qint32":             direct("int32", "Int32"),
	"int32_t":            direct("int32", "Int32"),
	"uint":               direct("uint32", "Uint32"),
	"unsigned":           direct("uint32", "Uint32"),
	"unsigned int":       direct("uint32", "Uint32"),
	"quint32":            direct("uint32", "Uint32"),
	"uint32_t":           direct("uint32", "Uint32"),
	"qlonglong":          direct("int64", "Int64"),
	"qint64":             direct("int64", "Int64"),
	"long long":          direct("int64", "Int64"),
	"int64_t":            direct("int64", "Int64"),
	"qulonglong":         direct("uint64", "Uint64"),
	"quint64":            direct("uint64", "Uint64"),
	"unsigned long long": direct("uint64", "Uint64"),
	"uint64_t":           direct("uint64", "Uint64"),
	"short":              direct("int16", "Int16"),
	"qint16":             direct("int16", "Int16"),
	"int16_t":            direct("int16", "Int16"),
	"ushort":             direct("uint16", "Uint16"),
	"unsigned short":     direct("uint16", "Uint16"),
	"quint16":            direct("uint16", "Uint16"),
	"uint16_t":           direct("uint16", "Uint16"),
	"qint8":              direct("int8", "Int8"),
	"signed char":        direct("int8", "Int8"),
	"int8_t":             direct("int8", "Int8"),
	"quint8":             direct("uint8", "Uint8"),
	"uchar":              direct("uint8", "Uint8"),
	"unsigned char":      direct("uint8", "Uint8"),
	"uint8_t":            direct("uint8", "Uint8"),
	"double":             direct("float64", "Float64"),
	"qreal":              direct("float64", "Float64"),
	"float":              direct("float32", "Float32"),
	"QString":            direct("string", "String"),
	"QUrl":               direct("string", "String"),
	"QByteArray":         direct("[]byte", "Bytes"),
	"QStringList":        direct("[]string", "Strings"),
	"QVariantList":       direct("[]node.Variant", "Variants"),
	"QVariantMap":        direct("[]node.MapEntry", "Map"),
	"QDateTime":          direct("time.Time", "Time"),
	"QPoint":             value("Point"),
	"QPointF":            value("PointF"),
	"QSize":              value("Size"),
	"QSizeF":             value("SizeF"),
	"QRect":              value("Rect"),
	"QRectF":             value("RectF"),
	"QLine":              value("Line"),
	"QLineF":             value("LineF"),
	"QUuid":              value("UUID"),
}

func value(name string) goType {
	return goType{
		expr: "repcrt." + name,
		from: func(v string) string { return "repcrt.Value[repcrt." + name + "](" + v + ")" },
		to:   func(x string) string { return x },
	}
}

var opaqueType = goType{
	expr:   "node.Variant",
	from:   func(v string) string { return v },
	to:     func(x string) string { return x },
	opaque: true,
}

// scope is where a type name is looked up: a class, a POD, or the top level.
type scope struct {
	class *rep.Class
	pod   *rep.POD
}

// normType strips what does not change the Go type: const, references and
// extra spaces.
func normType(t string) string {
	t = strings.TrimSpace(t)
	t = strings.TrimPrefix(t, "const ")
	t = strings.TrimSpace(strings.TrimSuffix(t, "&"))
	return strings.Join(strings.Fields(t), " ")
}

// resolve maps a .rep type to Go.
func (g *gen) resolve(t string, sc scope) goType {
	t = normType(t)
	if t == "" || t == "void" {
		return goType{}
	}
	if strings.Contains(t, "*") {
		return opaqueType
	}
	if b, ok := builtins[t]; ok {
		return b
	}
	if t == "QVariant" {
		return opaqueType
	}
	if open := strings.IndexByte(t, '<'); open > 0 && strings.HasSuffix(t, ">") {
		return g.resolveTemplate(strings.TrimSpace(t[:open]), wire.SignatureParams("f("+t[open+1:len(t)-1]+")"), sc)
	}
	name, prefix := t, ""
	if i := strings.LastIndex(t, "::"); i >= 0 {
		prefix, name = t[:i], t[i+2:]
	}
	if gt, ok := g.named(name, prefix, sc); ok {
		return gt
	}
	return opaqueType
}

func (g *gen) resolveTemplate(outer string, args []string, sc scope) goType {
	switch outer {
	case "QList", "QVector", "std::vector":
		if len(args) != 1 {
			break
		}
		el := g.resolve(args[0], sc)
		if el.expr == "" {
			break
		}
		return goType{
			expr: "[]" + el.expr,
			from: func(v string) string {
				return "repcrt.List(" + v + ", func(e node.Variant) " + el.expr + " { return " + el.from("e") + " })"
			},
			to: func(x string) string {
				return "repcrt.ListArg(" + x + ", func(e " + el.expr + ") any { return " + el.to("e") + " })"
			},
		}
	case "QMap", "QHash":
		if len(args) != 2 || normType(args[0]) != "QString" {
			break
		}
		el := g.resolve(args[1], sc)
		if el.expr == "" {
			break
		}
		return goType{
			expr: "map[string]" + el.expr,
			from: func(v string) string {
				return "repcrt.StringMap(" + v + ", func(e node.Variant) " + el.expr + " { return " + el.from("e") + " })"
			},
			to: func(x string) string {
				return "repcrt.StringMapArg(" + x + ", func(e " + el.expr + ") any { return " + el.to("e") + " })"
			},
		}
	}
	return opaqueType
}

// named looks a type name up where repc would find it: the enclosing class
// or POD, a class named by the prefix, the top level, then (Qt 5 repc's
// leak of earlier classes' enums) any class or POD.
func (g *gen) named(name, prefix string, sc scope) (goType, bool) {
	var enums []*rep.Enum
	var flags []*rep.Flag
	if prefix != "" {
		if c := g.f.Class(prefix); c != nil {
			enums, flags = append(enums, c.Enums...), append(flags, c.Flags...)
		}
	}
	if sc.class != nil {
		enums, flags = append(enums, sc.class.Enums...), append(flags, sc.class.Flags...)
	}
	if sc.pod != nil {
		enums, flags = append(enums, sc.pod.Enums...), append(flags, sc.pod.Flags...)
	}
	enums, flags = append(enums, g.f.Enums...), append(flags, g.f.Flags...)
	for _, fl := range flags {
		if fl.Name == name && g.flagNames[fl] != "" {
			return g.enumType(g.flagNames[fl]), true
		}
	}
	for _, e := range enums {
		if e.Name == name && g.enumNames[e] != "" {
			return g.enumType(g.enumNames[e]), true
		}
	}
	for _, p := range g.f.PODs {
		if p.Name == name && g.podNames[p] != "" {
			return g.podType(p), true
		}
	}
	for _, c := range g.f.Classes {
		for _, e := range c.Enums {
			if e.Name == name && g.enumNames[e] != "" {
				return g.enumType(g.enumNames[e]), true
			}
		}
	}
	for _, p := range g.f.PODs {
		for _, e := range p.Enums {
			if e.Name == name && g.enumNames[e] != "" {
				return g.enumType(g.enumNames[e]), true
			}
		}
	}
	return goType{}, false
}

func (g *gen) enumType(goName string) goType {
	return goType{
		expr: goName,
		from: func(v string) string { return goName + "(repcrt.Int32(" + v + "))" },
		to:   func(x string) string { return "int32(" + x + ")" },
	}
}

func (g *gen) podType(p *rep.POD) goType {
	goName := g.podNames[p]
	fn := g.podFrom[p]
	return goType{
		expr: goName,
		from: func(v string) string { return fn + "(" + v + ")" },
		to:   func(x string) string { return x + ".qtroArg()" },
	}
}
