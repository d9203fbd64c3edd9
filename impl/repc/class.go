package repc

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/qtro/qtro/impl/rep"
)

// subscriptionType is what node's callback registrations return, and so
// what the generated change and signal registrations return.
const subscriptionType = "func()"

// class writes the typed Source and Replica of one class.
func (g *gen) class(b *bytes.Buffer, c *rep.Class) {
	n := g.classes[c]
	api, err := g.f.API(c.Name, rep.Qt6) // wire indices are the same in both dialects
	if err != nil {
		fmt.Fprintf(b, "// Class %s: %v\n\n", c.Name, err)
		return
	}
	sc := scope{class: c}
	q := strconv.Quote(c.Name)
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }

	w("// %s returns class %s of %s, parsed on first use: a\n", n.classVar, c.Name, g.fileVar)
	w("// node.ClassProvider giving each dialect's repc view of the class.\n")
	w("var %s = sync.OnceValues(func() (*node.RepClass, error) { return node.ClassFromRep(%s, %s) })\n\n", n.classVar, g.fileVar, q)

	// Member names, unique per Go type.
	srcUsed := map[string]bool{"Source": true, "EnableRemoting": true}
	repUsed := map[string]bool{"Replica": true, "State": true, "WaitForSource": true, "WaitForState": true, "Release": true}

	// ---- Source ----
	w("// %s is a Go source of %s: what a repc-generated %sSource is in C++.\n", n.source, c.Name, c.Name)
	w("// Host it with EnableRemoting; Qt replicas of %s (static ones check the\n// class signature) and Go %s values see it.\n", c.Name, n.replica)
	w("type %s struct{ src *node.Source }\n\n", n.source)
	w("// %s returns a source of %s with the .rep defaults, for hosts of\n", n.newSource, c.Name)
	w("// dialect d (Qt 5.15 and Qt 6.4 repc give %s different signatures).\n", c.Name)
	w("func %s(d node.Dialect) (*%s, error) {\n", n.newSource, n.source)
	w("\tc, err := %s()\n\tif err != nil {\n\t\treturn nil, err\n\t}\n", n.classVar)
	w("\tcls, err := c.ForDialect(d)\n\tif err != nil {\n\t\treturn nil, err\n\t}\n\treturn &%s{src: node.NewSource(cls)}, nil\n}\n\n", n.source)
	w("// Source returns the untyped source, for what the typed API does not cover.\n")
	w("func (s *%s) Source() *node.Source { return s.src }\n\n", n.source)
	w("// EnableRemoting remotes the source on h under name (\"\" means %s).\n", q)
	w("func (s *%s) EnableRemoting(h *node.Host, name string) error {\n\tif name == \"\" {\n\t\tname = %s\n\t}\n\treturn h.EnableRemoting(s.src, name)\n}\n\n", n.source, q)

	// ---- Replica ----
	w("// %s is a static replica of %s: it carries the class signature, so a\n", n.replica, c.Name)
	w("// source of another shape leaves it in node.SignatureMismatch, as in Qt.\n")
	w("type %s struct{ r *node.Replica }\n\n", n.replica)
	w("// %s acquires a static replica of the source name (\"\" means %s) on n.\n", n.acquire, q)
	w("func %s(n *node.Node, name string) (*%s, error) {\n\tif name == \"\" {\n\t\tname = %s\n\t}\n", n.acquire, n.replica, q)
	w("\tc, err := %s()\n\tif err != nil {\n\t\treturn nil, err\n\t}\n", n.classVar)
	w("\tr, err := n.Acquire(name, c)\n\tif err != nil {\n\t\treturn nil, err\n\t}\n\treturn &%s{r: r}, nil\n}\n\n", n.replica)
	w("// Replica returns the untyped replica.\nfunc (r *%s) Replica() *node.Replica { return r.r }\n\n", n.replica)
	w("// State returns the replica's state.\nfunc (r *%s) State() node.State { return r.r.State() }\n\n", n.replica)
	w("// WaitForSource waits until the replica is Valid.\nfunc (r *%s) WaitForSource(ctx context.Context) error { return r.r.WaitForSource(ctx) }\n\n", n.replica)
	w("// WaitForState waits until the replica is in state st.\nfunc (r *%s) WaitForState(ctx context.Context, st node.State) error {\n\treturn r.r.WaitForState(ctx, st)\n}\n\n", n.replica)
	w("// Release releases the replica.\nfunc (r *%s) Release() { r.r.Release() }\n\n", n.replica)

	// ---- Properties ----
	for i, p := range api.Properties {
		goName := exported(p.Name)
		switch p.Kind {
		case rep.ModelProp:
			w("// MODEL %s is not generated: qtro has no QAbstractItemModel replicas.\n\n", p.Name)
			continue
		case rep.ChildProp:
			child := g.f.Class(p.Type)
			cn := g.classes[child]
			if child == nil || cn == nil {
				w("// CLASS %s(%s) is not generated: %s is not a generated class.\n\n", p.Name, p.Type, p.Type)
				continue
			}
			sn := unique(srcUsed, goName)
			w("// %s returns the source of CLASS %s(%s).\n", sn, p.Name, p.Type)
			w("func (s *%s) %s() *%s {\n\tch := s.src.Child(%s)\n\tif ch == nil {\n\t\treturn nil\n\t}\n\treturn &%s{src: ch}\n}\n\n",
				n.source, sn, cn.source, strconv.Quote(p.Name), cn.source)
			rn := unique(repUsed, goName)
			w("// %s returns the replica of CLASS %s(%s); nil before the first Init.\n", rn, p.Name, p.Type)
			w("func (r *%s) %s() *%s {\n\tch := r.r.Child(%s)\n\tif ch == nil {\n\t\treturn nil\n\t}\n\treturn &%s{r: ch}\n}\n\n",
				n.replica, rn, cn.replica, strconv.Quote(p.Name), cn.replica)
			continue
		}
		t := g.resolve(p.Type, sc)
		if t.expr == "" {
			t = opaqueType
		}
		pq := strconv.Quote(p.Name)
		decl := fmt.Sprintf("PROP(%s %s %s)", p.Type, p.Name, p.Modifier)

		get := unique(srcUsed, goName)
		w("// %s returns %s.\nfunc (s *%s) %s() %s {\n\tv, _ := s.src.Property(%s)\n\treturn %s\n}\n\n", get, decl, n.source, get, t.expr, pq, t.from("v"))
		set := unique(srcUsed, "Set"+goName)
		w("// %s sets %s; replicas see the change (if it is one).\n", set, p.Name)
		w("func (s *%s) %s(x %s) error { return s.src.SetPropertyIndex(%d, %s) }\n\n", n.source, set, t.expr, i, t.to("x"))

		switch {
		case p.Modifier == rep.ReadWrite:
			on := unique(srcUsed, "On"+goName+"Written")
			w("// %s calls fn with the new value after a replica wrote %s (READWRITE).\n", on, p.Name)
			w("// fn runs on the replica's connection goroutine and must not block.\n")
			w("func (s *%s) %s(fn func(%s)) %s {\n", n.source, on, t.expr, subscriptionType)
			w("\treturn s.src.Observe(func(ev node.SourceEvent) {\n\t\tif ev.Property == %d {\n\t\t\tfn(%s)\n\t\t}\n\t})\n}\n\n", i, t.from("ev.Value"))
		case p.Modifier == rep.ReadPush && p.Push >= 0:
			on := unique(srcUsed, "On"+goName+"Written")
			w("// %s calls fn with the new value after a replica pushed %s (READPUSH).\n", on, p.Name)
			w("// fn runs on the replica's connection goroutine and must not block.\n")
			w("func (s *%s) %s(fn func(%s)) %s {\n", n.source, on, t.expr, subscriptionType)
			w("\treturn s.src.Observe(func(ev node.SourceEvent) {\n\t\tif ev.Method == %d {\n\t\t\tv, _ := s.src.Property(%s)\n\t\t\tfn(%s)\n\t\t}\n\t})\n}\n\n", p.Push, pq, t.from("v"))
		}

		rget := unique(repUsed, goName)
		w("// %s returns %s as last received (the .rep default before Init).\n", rget, decl)
		w("func (r *%s) %s() %s {\n\tv, _ := r.r.Property(%s)\n\treturn %s\n}\n\n", n.replica, rget, t.expr, pq, t.from("v"))
		switch p.Modifier {
		case rep.ReadWrite:
			rset := unique(repUsed, "Set"+goName)
			w("// %s writes %s on the source (READWRITE); the new value comes back as a change.\n", rset, p.Name)
			w("func (r *%s) %s(x %s) error { return r.r.SetProperty(%s, %s) }\n\n", n.replica, rset, t.expr, pq, t.to("x"))
		case rep.ReadPush:
			if p.Push >= 0 {
				m := api.Methods[p.Push]
				rpush := unique(repUsed, exported(m.Name))
				w("// %s asks the source to set %s (the READPUSH slot %s).\n", rpush, p.Name, m.Name)
				w("func (r *%s) %s(x %s) error {\n\t_, err := r.r.Invoke(%s, %s)\n\treturn err\n}\n\n", n.replica, rpush, t.expr, strconv.Quote(m.Name), t.to("x"))
			}
		}
		if p.Notify >= 0 {
			on := unique(repUsed, "On"+goName+"Changed")
			w("// %s calls fn with each new value of %s (also those an Init brings).\n", on, p.Name)
			w("// fn runs on the connection's goroutine and must not block.\n")
			w("func (r *%s) %s(fn func(%s)) %s {\n", n.replica, on, t.expr, subscriptionType)
			w("\treturn r.r.Subscribe(func(ev node.Event) {\n\t\tif ev.Kind == node.PropertyChanged && ev.Index == %d {\n\t\t\tfn(%s)\n\t\t}\n\t})\n}\n\n", i, t.from("ev.Value"))
		}
	}

	// ---- Signals ----
	for i, s := range api.Signals {
		if s.Property >= 0 || s.Decl == nil {
			continue
		}
		ps := g.params(s.Decl.Params, sc)
		sq := strconv.Quote(s.Name)
		emit := unique(srcUsed, "Emit"+exported(s.Name))
		w("// %s emits SIGNAL(%s) to every replica.\n", emit, s.Signature)
		w("func (s *%s) %s(%s) error { return s.src.Emit(%s%s) }\n\n", n.source, emit, declList(ps), sq, toList(ps))
		on := unique(repUsed, "On"+exported(s.Name))
		w("// %s calls fn for each SIGNAL(%s) of the source.\n", on, s.Signature)
		w("// fn runs on the connection's goroutine and must not block.\n")
		w("func (r *%s) %s(fn func(%s)) %s {\n", n.replica, on, declList(ps), subscriptionType)
		w("\treturn r.r.Subscribe(func(ev node.Event) {\n\t\tif ev.Kind == node.SignalEmitted && ev.Index == %d {\n\t\t\tfn(%s)\n\t\t}\n\t})\n}\n\n", i, fromArgs(ps, "ev.Args"))
	}

	// ---- Slots ----
	for _, m := range api.Methods {
		if m.Property >= 0 || m.Decl == nil {
			continue
		}
		ps := g.params(m.Decl.Params, sc)
		ret := g.resolve(m.Decl.ReturnType, sc)
		if normType(m.Decl.ReturnType) != "void" && normType(m.Decl.ReturnType) != "" && ret.expr == "" {
			ret = opaqueType
		}
		mq := strconv.Quote(m.Name)
		sig := m.Signature
		if ret.expr != "" {
			sig = m.Decl.ReturnType + " " + sig
		}
		handle := unique(srcUsed, "Handle"+exported(m.Name))
		fnType := "func(ctx context.Context"
		if len(ps) > 0 {
			fnType += ", " + declList(ps)
		}
		fnType += ")"
		if ret.expr != "" {
			fnType += " (" + ret.expr + ", error)"
		} else {
			fnType += " error"
		}
		w("// %s installs the handler of SLOT(%s), called when a replica invokes it.\n", handle, sig)
		w("func (s *%s) %s(fn %s) error {\n", n.source, handle, fnType)
		w("\treturn s.src.HandleMethod(%s, func(ctx context.Context, args []node.Variant) (node.Variant, error) {\n", mq)
		call := "fn(ctx"
		if len(ps) > 0 {
			call += ", " + fromArgs(ps, "args")
		}
		call += ")"
		if ret.expr != "" {
			w("\t\tres, err := %s\n\t\tif err != nil {\n\t\t\treturn node.Variant{}, err\n\t\t}\n", call)
			w("\t\treturn repcrt.Return(s.src, %s, %s)\n", mq, ret.to("res"))
		} else {
			w("\t\treturn node.Variant{}, %s\n", call)
		}
		w("\t})\n}\n\n")

		rcall := unique(repUsed, exported(m.Name))
		args := "ctx context.Context"
		if len(ps) > 0 {
			args += ", " + declList(ps)
		}
		if ret.expr != "" {
			w("// %s calls SLOT(%s) on the source and waits for the result.\n", rcall, sig)
			w("func (r *%s) %s(%s) (%s, error) {\n", n.replica, rcall, args, ret.expr)
			w("\tv, err := r.r.Call(ctx, %s%s)\n\treturn %s, err\n}\n\n", mq, toList(ps), ret.from("v"))
		} else {
			w("// %s invokes SLOT(%s) on the source; like Qt, a void slot has no reply.\n", rcall, sig)
			w("func (r *%s) %s(%s) error {\n", n.replica, rcall, args)
			w("\t_, err := r.r.Call(ctx, %s%s)\n\treturn err\n}\n\n", mq, toList(ps))
		}
	}
}
