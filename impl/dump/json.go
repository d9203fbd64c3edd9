package dump

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/qtro/qtro/impl/capture"
	"github.com/qtro/qtro/impl/qds"
	"github.com/qtro/qtro/impl/wire"
	"github.com/qtro/qtro/specs/contract"
)

// The JSON output is one object per line, each with a "kind":
//
//	capture     format, start, timed, connections, notes, tail
//	connection  conn, host, client, hostBy, dialect, protocol (null without payload), dialectBy, notes
//	packet      conn, time, dir, offset, size, type, name [, object], fields, text [, model | modelNote] [, hex]
//	error       conn, time, dir, offset [, size, type, name], error [, unknownType, hint], hex
//	end         conn, closed, packets, errors
//	summary     connections, packets, errors, unknownTypes
//
// time is seconds since the capture's first packet (null when the capture
// recorded no times); type is the packet type number and name its name;
// fields holds the decoded packet: QVariants are tagged values
// {"type": name, "value": ...} in the canonical JSON of the adapter contract
// (specs/ADAPTER.md §7), the same as `qtro adapter` writes.
//
// A packet of an item model adapter (see ModelOp) also has "model": the
// operation as {"object", "op", "text", ...its arguments}: index paths as
// lists of {"row", "column"} from the root, roles as lists of ints, cells
// of a data reply as {"index", "data": [{"role", "value"}], "flags",
// "hasChildren" [, "rows", "columns", "children"]} ("values" by position
// when the roles asked for are unknown), unclipped; a signal's stale
// trailing arguments (docs/PROTOCOL-ERRATA.md) are in "staleArguments". A
// packet of a model adapter that is not the operation its index names has
// "modelNote" instead.

func writeJSON(w io.Writer, c *capture.Capture, conns []Conn, opts Options) error {
	bw := getWriter(w)
	defer putWriter(bw)
	je := jsonEncoders.Get().(*jsonEncoder)
	defer je.release()
	put := func(v any) {
		var err error
		if je.line, err = je.appendValue(je.line[:0], v); err == nil {
			je.line = append(je.line, '\n')
			bw.Write(je.line)
			return
		}
		// encoding/json says what is wrong, as it did before the fast path.
		if po, ok := v.(*packetObject); ok {
			v = po.asMap()
		}
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			// Every value is built from JSON-safe parts; say so if not.
			_ = enc.Encode(map[string]any{"kind": "error", "error": "json: " + err.Error()})
		}
	}
	capObj := map[string]any{"kind": "capture", "format": c.Format, "timed": c.Timed, "connections": len(c.Streams), "notes": strs(c.Notes)}
	if !c.Start.IsZero() {
		capObj["start"] = c.Start.UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	if c.Tail != nil {
		capObj["tail"] = c.Tail.Error()
	}
	put(capObj)
	for _, conn := range conns {
		co := map[string]any{"kind": "connection", "conn": conn.ID, "host": conn.Host, "client": conn.Client,
			"hostBy": conn.HostBy.String(), "dialect": nil, "protocol": nil, "dialectBy": conn.DialectBy, "notes": strs(conn.Notes)}
		if conn.Dialect.Valid() {
			co["dialect"], co["protocol"] = conn.Dialect.String(), conn.Dialect.ProtocolVersion()
		}
		put(co)
		packets, errs := 0, 0
		// One object for every packet: each is written before the next is
		// built.
		var o packetObject
		for i := range conn.Items {
			it := &conn.Items[i]
			o.reset()
			o.set(pkKind, "packet")
			o.set(pkConn, conn.ID)
			o.set(pkTime, nil)
			o.set(pkDir, it.Dir.String())
			o.set(pkOffset, it.Offset)
			if c.Timed {
				o.set(pkTime, it.Time.Seconds())
			}
			if len(it.Frame) >= 6 {
				o.set(pkSize, it.Size)
				o.set(pkType, int(it.Type))
				o.set(pkName, it.Type.String())
			}
			if it.Err != nil {
				errs++
				o.set(pkKind, "error")
				o.set(pkError, it.Err.Error())
				o.set(pkHex, hexString(it.Frame))
				if name, ok := UnknownUserType(it.Err); ok && name != "" {
					o.set(pkUnknownType, name)
				}
				if it.Hint != "" {
					o.set(pkHint, it.Hint)
				}
				put(&o)
				continue
			}
			packets++
			if t := it.Packet.Type(); t != wire.Handshake && t != wire.ObjectList {
				o.set(pkObject, it.Packet.ObjectName())
			}
			o.set(pkFields, packetFields(it.Packet))
			o.set(pkText, wire.Describe(it.Packet))
			if m := it.Model; m != nil {
				mo := map[string]any{"object": m.Object, "op": m.Op, "text": m.Text}
				for k, v := range m.Fields {
					mo[k] = v
				}
				o.set(pkModel, mo)
			}
			if it.ModelNote != "" {
				o.set(pkModelNote, it.ModelNote)
			}
			if opts.Hex {
				o.set(pkHex, hexString(it.Frame))
			}
			put(&o)
		}
		put(map[string]any{"kind": "end", "conn": conn.ID, "packets": packets, "errors": errs,
			"closed": map[string]string{capture.HostToClient.String(): conn.Closed[0], capture.ClientToHost.String(): conn.Closed[1]}})
	}
	s := summarize(conns)
	put(map[string]any{"kind": "summary", "connections": s.Conns, "packets": s.Packets, "errors": s.Errors, "unknownTypes": strs(s.UnknownTypes)})
	return bw.Flush()
}

func strs(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// packetFields returns a packet's fields for JSON.
func packetFields(p wire.Packet) map[string]any {
	switch p := p.(type) {
	case *wire.HandshakePacket:
		return map[string]any{"version": p.Version}
	case *wire.InvalidPacket:
		return map[string]any{"object": p.Name}
	case *wire.Init:
		return map[string]any{"object": p.Name, "values": variants(p.Values)}
	case *wire.InitDynamic:
		return map[string]any{"object": p.Name, "class": jsonValue(reflect.ValueOf(p.Class), 0), "values": variants(p.Values)}
	case *wire.AddObjectPacket:
		return map[string]any{"object": p.Name, "dynamic": p.Dynamic}
	case *wire.RemoveObjectPacket:
		return map[string]any{"object": p.Name}
	case *wire.Invoke:
		return map[string]any{"object": p.Name, "call": p.Call, "index": p.Index, "args": variants(p.Args),
			"serial": p.Serial, "propertyIndex": p.PropertyIndex}
	case *wire.InvokeReply:
		return map[string]any{"object": p.Name, "serial": p.Serial, "value": variantJSON(p.Value, 0)}
	case *wire.PropertyChangePacket:
		return map[string]any{"object": p.Name, "index": p.Index, "value": variantJSON(p.Value, 0)}
	case *wire.ObjectListPacket:
		objs := make([]any, len(p.Objects))
		for i, o := range p.Objects {
			objs[i] = map[string]any{"name": o.Name, "type": nullString(o.TypeName), "signature": bytesJSON(o.Signature)}
		}
		return map[string]any{"objects": objs}
	case *wire.PingPacket:
		return map[string]any{"object": p.Name}
	case *wire.PongPacket:
		return map[string]any{"object": p.Name}
	case *wire.UnknownPacket:
		return map[string]any{"length": len(p.Body), "body": hex.EncodeToString(p.Body)}
	}
	return map[string]any{}
}

func variants(l []qds.Variant) []any {
	out := make([]any, len(l))
	for i, v := range l {
		out[i] = variantJSON(v, 0)
	}
	return out
}

// maxJSONDepth bounds the recursion over decoded values (they are already
// bounded by the decoder's depth limit; this is a second fence).
const maxJSONDepth = 256

// variantJSON renders a QVariant in the canonical tagged form of the
// adapter contract (specs/ADAPTER.md §7.3, package specs/contract); types
// §7 does not cover (registry and model types, QLocale, unknown user types)
// render by their decoded Go value.
func variantJSON(v qds.Variant, depth int) any {
	if depth > maxJSONDepth {
		return map[string]any{"type": v.TypeName(), "value": "(too deep)"}
	}
	return contract.TaggedWith(v, func(x qds.Variant) any { return otherJSON(x, depth+1) })
}

// otherJSON renders a value of a type outside §7's table.
func otherJSON(v qds.Variant, depth int) any {
	switch v.Type() {
	case qds.QLocale:
		if v.IsNullValue() {
			return nil
		}
		return v.Str()
	case qds.Char16, qds.Char32:
		return string(rune(v.Uint()))
	case qds.User:
		return jsonValue(reflect.ValueOf(v.Value()), depth)
	}
	return jsonValue(reflect.ValueOf(v.Any()), depth)
}

var (
	variantType    = reflect.TypeOf(qds.Variant{})
	nullStringType = reflect.TypeOf(qds.NullString{})
	uuidType       = reflect.TypeOf(qds.UUID{})
)

// jsonValue converts any decoded Go value to JSON-safe parts: exported
// struct fields by name, byte slices as text or hex, QVariants as above,
// non-finite floats as strings.
func jsonValue(rv reflect.Value, depth int) any {
	if !rv.IsValid() {
		return nil
	}
	if depth > maxJSONDepth {
		return "(too deep)"
	}
	switch rv.Type() {
	case variantType:
		return variantJSON(rv.Interface().(qds.Variant), depth+1)
	case nullStringType:
		return nullString(rv.Interface().(qds.NullString))
	case uuidType:
		return rv.Interface().(qds.UUID).String()
	}
	switch rv.Kind() {
	case reflect.Bool:
		return rv.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return rv.Uint()
	case reflect.Float32, reflect.Float64:
		return floatJSON(rv.Float())
	case reflect.String:
		return rv.String()
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil
		}
		return jsonValue(rv.Elem(), depth+1)
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			if rv.Kind() == reflect.Slice && rv.IsNil() {
				return nil
			}
			b := make([]byte, rv.Len())
			reflect.Copy(reflect.ValueOf(b), rv)
			return bytesJSON(b)
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = jsonValue(rv.Index(i), depth+1)
		}
		return out
	case reflect.Map:
		m := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			m[fmt.Sprint(it.Key().Interface())] = jsonValue(it.Value(), depth+1)
		}
		return m
	case reflect.Struct:
		fields := jsonFields(rv.Type())
		m := make(map[string]any, len(fields))
		for _, f := range fields {
			m[f.name] = jsonValue(rv.Field(f.index), depth+1)
		}
		return m
	}
	return fmt.Sprint(rv.Interface())
}

// jsonField is an exported struct field as jsonValue writes it.
type jsonField struct {
	index int
	name  string // the field's name, first letter lower-cased
}

// structFields caches jsonFields by struct type.
var structFields sync.Map // reflect.Type -> []jsonField

// jsonFields returns t's exported fields, in order, with their JSON names.
func jsonFields(t reflect.Type) []jsonField {
	if f, ok := structFields.Load(t); ok {
		return f.([]jsonField)
	}
	var fields []jsonField
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.IsExported() {
			fields = append(fields, jsonField{i, lowerFirst(f.Name)})
		}
	}
	structFields.Store(t, fields)
	return fields
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}

func nullString(s qds.NullString) any {
	if !s.Valid {
		return nil
	}
	return s.Text
}

// bytesJSON renders a QByteArray: null as null, UTF-8 text as a string,
// anything else as {"hex": ...}.
func bytesJSON(b []byte) any {
	if b == nil {
		return nil
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return map[string]any{"hex": hex.EncodeToString(b)}
}

// floatJSON keeps NaN and infinities, which JSON cannot hold, as strings.
func floatJSON(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Sprint(f)
	}
	return f
}

// The keys of a packet's object, in the order encoding/json writes a
// map's keys (strings.Compare): packetKeys[pkConn] is "conn".
const (
	pkConn = iota
	pkDir
	pkError
	pkFields
	pkHex
	pkHint
	pkKind
	pkModel
	pkModelNote
	pkName
	pkObject
	pkOffset
	pkSize
	pkText
	pkTime
	pkType
	pkUnknownType
	pkCount
)

var packetKeys = [pkCount]string{"conn", "dir", "error", "fields", "hex", "hint", "kind", "model", "modelNote", "name",
	"object", "offset", "size", "text", "time", "type", "unknownType"}

// packetObject is a packet's (or a fault's) JSON object: the values of the
// keys set, written in packetKeys' order, as encoding/json writes the same
// map[string]any, without hashing or sorting the keys of every packet.
type packetObject struct {
	has [pkCount]bool
	val [pkCount]any
}

func (o *packetObject) reset() { *o = packetObject{} }

func (o *packetObject) set(k int, v any) { o.has[k], o.val[k] = true, v }

// asMap is o as the map encoding/json would be given.
func (o *packetObject) asMap() map[string]any {
	m := make(map[string]any, pkCount)
	for k := range pkCount {
		if o.has[k] {
			m[packetKeys[k]] = o.val[k]
		}
	}
	return m
}

// hexString is a frame written as a JSON string of lower-case hex digits,
// straight from its bytes.
type hexString []byte

// MarshalJSON is for encoding/json, which writes a line the fast path
// could not.
func (h hexString) MarshalJSON() ([]byte, error) {
	return append(hex.AppendEncode(append(make([]byte, 0, 2*len(h)+2), '"'), h), '"'), nil
}

// jsonEncoder appends the JSON of the values writeJSON builds, byte for byte
// what encoding/json's Encoder (SetEscapeHTML(false)) writes for them,
// without its reflection and per-map key sorting by reflect.Value: maps of
// strings and slices of values, strings, bools, ints and floats are written
// here; any other type (json.RawMessage, typed slices and maps, named types
// that may have their own MarshalJSON) goes to encoding/json.
// TestJSONEncoderMatchesEncodingJSON holds it to that.
type jsonEncoder struct {
	scratch bytes.Buffer
	enc     *json.Encoder
	keys    []string // the keys of the maps being written, outermost first
	line    []byte   // writeJSON's line being built
}

func newJSONEncoder() *jsonEncoder {
	je := &jsonEncoder{}
	je.enc = json.NewEncoder(&je.scratch)
	je.enc.SetEscapeHTML(false)
	return je
}

// jsonEncoders keeps writeJSON's encoders, and the lines they grew, from
// one dump to the next.
var jsonEncoders = sync.Pool{New: func() any { return newJSONEncoder() }}

// release returns je to jsonEncoders, unless it grew too big to keep.
func (je *jsonEncoder) release() {
	if cap(je.line) > maxPooled || je.scratch.Cap() > maxPooled {
		return
	}
	clear(je.keys)
	je.keys = je.keys[:0]
	jsonEncoders.Put(je)
}

// maxPooled is the largest buffer kept for the next dump.
const maxPooled = 1 << 20

// writers keeps the dumps' bufio.Writers from one dump to the next.
var writers = sync.Pool{New: func() any { return bufio.NewWriter(nil) }}

func getWriter(w io.Writer) *bufio.Writer {
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(w)
	return bw
}

func putWriter(bw *bufio.Writer) {
	bw.Reset(nil)
	writers.Put(bw)
}

// appendValue appends v's JSON to b; on an error (a value encoding/json
// cannot encode either, such as NaN) what it appended is to be discarded.
func (je *jsonEncoder) appendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendJSONString(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case int32:
		return strconv.AppendInt(b, int64(v), 10), nil
	case uint64:
		return strconv.AppendUint(b, v, 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint16:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			break
		}
		return appendJSONFloat64(b, v), nil
	case *packetObject:
		b = append(b, '{')
		first := true
		for k := range pkCount {
			if !v.has[k] {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(appendJSONString(b, packetKeys[k]), ':')
			var err error
			if b, err = je.appendValue(b, v.val[k]); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	case hexString:
		b = append(hex.AppendEncode(append(b, '"'), v), '"')
		return b, nil
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = je.appendValue(b, x); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case []string:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, x)
		}
		return append(b, ']'), nil
	case map[string]any:
		if v == nil {
			return append(b, "null"...), nil
		}
		// The keys, sorted as encoding/json sorts them (strings.Compare),
		// go on the stack je.keys: a nested map's keys go above them and
		// are gone when it is written.
		start := len(je.keys)
		for k := range v {
			je.keys = append(je.keys, k)
		}
		end := len(je.keys)
		slices.Sort(je.keys[start:end])
		b = append(b, '{')
		for i := start; i < end; i++ {
			if i > start {
				b = append(b, ',')
			}
			k := je.keys[i]
			b = append(appendJSONString(b, k), ':')
			var err error
			if b, err = je.appendValue(b, v[k]); err != nil {
				je.keys = je.keys[:start]
				return b, err
			}
		}
		clear(je.keys[start:end])
		je.keys = je.keys[:start]
		return append(b, '}'), nil
	case map[string]string:
		if v == nil {
			return append(b, "null"...), nil
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(appendJSONString(b, k), ':')
			b = appendJSONString(b, v[k])
		}
		return append(b, '}'), nil
	}
	je.scratch.Reset()
	if err := je.enc.Encode(v); err != nil {
		return b, err
	}
	return append(b, bytes.TrimSuffix(je.scratch.Bytes(), []byte("\n"))...), nil
}

// appendJSONString appends s quoted as encoding/json does without HTML
// escaping: ", \\ and control bytes escaped (\b \f \n \r \t by name),
// invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendJSONFloat64 appends a finite f as encoding/json does (ES6 number
// formatting: exponent form below 1e-6 and from 1e21, "e-9" not "e-09").
func appendJSONFloat64(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
