package wire

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/qtro/qtro/impl/qds"
)

// Describe renders a packet for people, one line per packet (class
// definitions add indented lines). qtro dump and the golden files use it.
func Describe(p Packet) string {
	var b strings.Builder
	b.WriteString(p.Type().String())
	switch p := p.(type) {
	case *HandshakePacket:
		fmt.Fprintf(&b, " %q", p.Version)
	case *InvalidPacket:
		fmt.Fprintf(&b, " %q", p.Name)
	case *Init:
		fmt.Fprintf(&b, " %q values=%s", p.Name, variants(p.Values))
	case *InitDynamic:
		fmt.Fprintf(&b, " %q values=%s\n", p.Name, variants(p.Values))
		describeClass(&b, &p.Class, "  ")
	case *AddObjectPacket:
		fmt.Fprintf(&b, " %q dynamic=%t", p.Name, p.Dynamic)
	case *RemoveObjectPacket:
		fmt.Fprintf(&b, " %q", p.Name)
	case *Invoke:
		call := strconv.Itoa(int(p.Call))
		switch p.Call {
		case CallInvokeMethod:
			call = "invoke"
		case CallWriteProperty:
			call = "write"
		}
		fmt.Fprintf(&b, " %q call=%s index=%d args=%s serial=%d property=%d",
			p.Name, call, p.Index, variants(p.Args), p.Serial, p.PropertyIndex)
	case *InvokeReply:
		fmt.Fprintf(&b, " %q serial=%d value=%s", p.Name, p.Serial, p.Value)
	case *PropertyChangePacket:
		fmt.Fprintf(&b, " %q index=%d value=%s", p.Name, p.Index, p.Value)
	case *ObjectListPacket:
		b.WriteString(" [")
		for i, o := range p.Objects {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q type=%s signature=%s", o.Name, o.TypeName, nullBytes(o.Signature))
		}
		b.WriteString("]")
	case *PingPacket:
		fmt.Fprintf(&b, " %q", p.Name)
	case *PongPacket:
		fmt.Fprintf(&b, " %q", p.Name)
	case *UnknownPacket:
		fmt.Fprintf(&b, " (%d bytes, skipped)", len(p.Body))
	}
	return strings.TrimRight(b.String(), "\n")
}

func variants(l []qds.Variant) string {
	return qds.ListOf(l).String()[len("QVariantList "):]
}

func nullBytes(b []byte) string {
	if b == nil {
		return "null"
	}
	return strconv.Quote(string(b))
}

func describeClass(b *strings.Builder, c *ClassDef, ind string) {
	fmt.Fprintf(b, "%sclass type=%s\n", ind, c.TypeName)
	for _, e := range c.Enums {
		describeEnum(b, e, ind+"  ")
	}
	for _, q := range c.QtEnums {
		fmt.Fprintf(b, "%s  qt enum %s\n", ind, q)
	}
	for _, g := range c.Gadgets {
		fmt.Fprintf(b, "%s  gadget %s {", ind, g.Name)
		for i, p := range g.Properties {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(b, "%s %s", p.Type, p.Name)
		}
		b.WriteString("}\n")
		for _, e := range g.Enums {
			describeEnum(b, e, ind+"    ")
		}
	}
	for i, s := range c.Signals {
		fmt.Fprintf(b, "%s  signal %d %s %q\n", ind, i, s.Signature, s.ParamNames)
	}
	for i, m := range c.Methods {
		fmt.Fprintf(b, "%s  method %d %s %s %q\n", ind, i, m.ReturnType, m.Signature, m.ParamNames)
	}
	for i, p := range c.Properties {
		notify := p.Notify
		if notify == "" {
			notify = "-"
		}
		fmt.Fprintf(b, "%s  property %d %s %s notify=%s\n", ind, i, p.Type, p.Name, notify)
	}
}

func describeEnum(b *strings.Builder, e EnumDef, ind string) {
	fmt.Fprintf(b, "%senum %s flag=%t scoped=%t size=%d {", ind, e.Name, e.IsFlag, e.IsScoped, e.Size)
	for i, k := range e.Keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(b, "%s=%d", k.Name, k.Value)
	}
	b.WriteString("}\n")
}

func (c ChildObject) String() string {
	var b strings.Builder
	kind := [...]string{"CLASS", "MODEL", "GADGET"}
	k := strconv.Itoa(int(c.Kind))
	if int(c.Kind) < len(kind) {
		k = kind[c.Kind]
	}
	fmt.Fprintf(&b, "{%s %q type=%s", k, c.Name, c.TypeName)
	if c.Definition != nil {
		fmt.Fprintf(&b, " definition=%dB", len(c.Definition))
	}
	if c.IsNull {
		b.WriteString(" null}")
		return b.String()
	}
	fmt.Fprintf(&b, " values=%s}", variants(c.Parameters))
	return b.String()
}

func (l SourceLocation) String() string {
	return fmt.Sprintf("{%q type=%q url=%q}", l.Name, l.TypeName, l.HostURL)
}
