package contract

import "github.com/qtro/qtro/impl/meta"

// DescribeAPI is a host's describe result "api" (§6.1): the source API
// with wire indices (QTRO-PROTOCOL.md §5).
func DescribeAPI(name string, cls *meta.Class) map[string]any {
	props := make([]any, len(cls.Properties))
	for i, p := range cls.Properties {
		props[i] = map[string]any{"index": i, "name": p.Name, "type": p.Type}
	}
	sigs := make([]any, len(cls.Signals))
	for i, s := range cls.Signals {
		sigs[i] = map[string]any{"index": i, "signature": s.Signature, "propertyIndex": s.Property}
	}
	methods := make([]any, len(cls.Methods))
	for i, m := range cls.Methods {
		methods[i] = map[string]any{"index": i, "signature": m.Signature, "returnType": returnType(m)}
	}
	return map[string]any{"name": name, "typeName": cls.TypeName, "signature": cls.Signature,
		"properties": props, "signals": sigs, "methods": methods}
}

func returnType(m meta.Method) string {
	if m.ReturnType == "" {
		return "void"
	}
	return m.ReturnType
}

// MetaObject is a node's describe result "metaObject" (§6.1): the
// replica's class as className (the Qt class name the implementation
// gives it) presents it.
func MetaObject(className string, cls *meta.Class) map[string]any {
	nullable := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	props := make([]any, len(cls.Properties))
	for i, p := range cls.Properties {
		var notify any
		if p.Notify >= 0 && p.Notify < len(cls.Signals) {
			notify = cls.Signals[p.Notify].Signature
		}
		typ := p.Type
		if p.Kind == meta.ChildProp {
			typ = "QObject*"
		}
		props[i] = map[string]any{"index": i, "name": p.Name, "type": typ, "writable": p.Writable(), "notify": notify}
	}
	method := func(i int, m meta.Method) any {
		names := make([]any, len(m.Params))
		for k, p := range m.Params {
			names[k] = p.Name
		}
		return map[string]any{"index": i, "signature": m.Signature, "returnType": returnType(m), "parameterNames": names}
	}
	sigs := make([]any, len(cls.Signals))
	for i, s := range cls.Signals {
		sigs[i] = method(i, s)
	}
	methods := make([]any, len(cls.Methods))
	for i, m := range cls.Methods {
		methods[i] = method(i, m)
	}
	return map[string]any{"className": className, "typeName": nullable(cls.TypeName),
		"signature": nullable(cls.Signature), "properties": props, "signals": sigs, "methods": methods}
}
