package rep

import (
	"sort"
	"strconv"
	"strings"
)

// Limits are the parser's hard limits. The zero value of a field means its
// default.
type Limits struct {
	MaxBytes  int // input size; default 1 MiB
	MaxTokens int // lexer tokens; default 200000
	MaxDepth  int // template nesting inside POD{...}; default 32
}

// Default limits.
const (
	DefaultMaxBytes  = 1 << 20 // default Limits.MaxBytes
	DefaultMaxTokens = 200000  // default Limits.MaxTokens
	DefaultMaxDepth  = 32      // default Limits.MaxDepth
)

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxTokens <= 0 {
		l.MaxTokens = DefaultMaxTokens
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	return l
}

// Parse parses a .rep file with the default limits. name is only used in
// error messages.
func Parse(name string, src []byte) (*File, error) {
	return ParseWithLimits(name, src, Limits{})
}

// ParseWithLimits parses a .rep file. It accepts what Qt 6.4 repc accepts
// (a superset of Qt 5.15 repc: File.Qt6Only reports the difference) and
// builds the same AST repc builds, because signatures hash repc's view of the
// text, quirks included. Two inputs only Qt 5.15 repc accepts are rejected,
// as Qt 6.4 does; both make uncompilable C++: an enumerator named const,
// signed or unsigned, and a POD(...) whose member list contains "ENUM".
func ParseWithLimits(name string, src []byte, lim Limits) (*File, error) {
	lim = lim.withDefaults()
	if len(src) > lim.MaxBytes {
		return nil, &Error{File: name, Msg: "input larger than " + itoa(lim.MaxBytes) + " bytes", Err: ErrLimit}
	}
	// QTextStream skips a UTF-8 byte order mark.
	text := strings.TrimPrefix(string(src), "\xef\xbb\xbf")
	toks, err := lex(text, lim.MaxTokens)
	if err != nil {
		err.(*Error).File = name
		return nil, err
	}
	p := &parser{src: text, toks: toks, lim: lim, f: &File{Name: name}, lines: lineStarts(text)}
	if err := p.file(); err != nil {
		if e, ok := err.(*Error); ok {
			e.File = name
		}
		return nil, err
	}
	return p.f, nil
}

// parser is a recursive-descent transcription of the grammar in Qt's
// parser.g. Where the grammar allows newlines and comments it allows them too;
// where it does not (for example between "ENUM Name" and "{"), neither do we.
type parser struct {
	src   string
	toks  []token
	i     int
	lim   Limits
	f     *File
	lines []int
}

func lineStarts(s string) []int {
	ls := []int{0}
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			ls = append(ls, i+1)
		}
	}
	return ls
}

func (p *parser) pos(off int) Pos {
	l := sort.Search(len(p.lines), func(i int) bool { return p.lines[i] > off }) - 1
	return Pos{Line: l + 1, Col: off - p.lines[l] + 1}
}

func (p *parser) peek() tokKind {
	if p.i >= len(p.toks) {
		return tokEOF
	}
	return p.toks[p.i].kind
}

func (p *parser) next() token {
	t := p.toks[p.i]
	p.i++
	return t
}

// here is the position of the next token (or of the end of input).
func (p *parser) here() Pos {
	if p.i >= len(p.toks) {
		return p.pos(len(p.src))
	}
	return p.pos(p.toks[p.i].off)
}

func (p *parser) errAt(pos Pos, sentinel error, msg string) error {
	return &Error{Pos: pos, Msg: msg, Err: sentinel}
}

// unexpected reports a grammar error at the next token.
func (p *parser) unexpected(want string) error {
	return p.errAt(p.here(), ErrSyntax, "unexpected "+p.peek().String()+", want "+want)
}

func (p *parser) expect(k tokKind, want string) (token, error) {
	if p.peek() != k {
		return token{}, p.unexpected(want)
	}
	return p.next(), nil
}

// newlines consumes Newlines?.
func (p *parser) newlines() {
	for p.peek() == tokNewline {
		p.i++
	}
}

func (p *parser) isComment() bool {
	k := p.peek()
	return k == tokComment || k == tokMComment
}

// comments consumes Comments? (each Comment may carry trailing Newlines).
func (p *parser) comments() {
	for p.isComment() {
		if t := p.next(); t.kind == tokMComment {
			p.qt6(t, "/* */ comment")
		}
		p.newlines()
	}
}

func (p *parser) qt6(t token, what string) {
	p.f.qt6Only = append(p.f.qt6Only, qt6Feature{what: what, pos: p.pos(t.off)})
}

// start consumes Start: Comments? start Newlines?.
func (p *parser) start() error {
	p.comments()
	if _, err := p.expect(tokStart, "'{'"); err != nil {
		return err
	}
	p.newlines()
	return nil
}

// file parses TopLevel: any mix of newlines, comments and top-level
// declarations, with at least one declaration or comment.
func (p *parser) file() error {
	types := 0
	for {
		p.newlines()
		t := p.peek()
		if t == tokEOF {
			break
		}
		types++
		var err error
		switch t {
		case tokComment, tokMComment:
			p.comments()
		case tokPreprocessor:
			p.f.Directives = append(p.f.Directives, p.next().cap["preprocessor_directive"])
		case tokPod:
			err = p.podParen()
		case tokPod2:
			err = p.podBrace()
		case tokClass:
			err = p.class()
		case tokUseEnum:
			p.f.EnumUses = append(p.f.EnumUses, p.next().cap["name"])
		case tokEnum:
			var e *Enum
			if e, err = p.enum(""); err == nil {
				p.f.Enums = append(p.f.Enums, e)
				p.f.signed = append(p.f.signed, signedDecl{kind: signEnum, enum: e})
			}
		case tokFlag:
			err = p.flag(nil, nil)
		case tokSignal:
			err = p.errAt(p.here(), ErrSyntax, "SIGNAL: Can only be used in class scope")
		case tokSlot:
			err = p.errAt(p.here(), ErrSyntax, "SLOT: Can only be used in class scope")
		case tokProp:
			err = p.errAt(p.here(), ErrSyntax, "PROP: Can only be used in class scope")
		case tokModel:
			err = p.errAt(p.here(), ErrSyntax, "MODEL: Can only be used in class scope")
		case tokChildRep:
			err = p.errAt(p.here(), ErrSyntax, "CLASS: Can only be used in class scope")
		default:
			err = p.unexpected("a declaration")
		}
		if err != nil {
			return err
		}
	}
	if types == 0 {
		return p.errAt(p.here(), ErrSyntax, "no declarations")
	}
	return nil
}

// podParen handles the single-token POD Name(type a, type b) form.
func (p *parser) podParen() error {
	t := p.next()
	name := trimmed(t.cap["name"])
	args := trimmed(t.cap["types"])
	if args == "" {
		return nil // repc warns and ignores a POD without members
	}
	if strings.Contains(args, "ENUM") {
		return p.errAt(p.pos(t.off), ErrSemantic, "ENUMs are only available in PODs using bracket syntax ('{'), not parentheses")
	}
	pod := &POD{Name: name, Attrs: parseArguments(args), Pos: p.pos(t.off)}
	p.f.PODs = append(p.f.PODs, pod)
	p.f.signed = append(p.f.signed, signedDecl{kind: signPOD, pod: pod})
	return nil
}

// podBrace handles POD Name { ... } (Qt 6 only). repc rebuilds the member
// text from tokens into one string and then runs parseArguments on it, so we
// do the same, including its habit of gluing members that are separated by
// newlines instead of commas.
func (p *parser) podBrace() error {
	t := p.next()
	p.qt6(t, "POD{...}")
	pod := &POD{Name: trimmed(t.cap["name"]), Pos: p.pos(t.off)}
	p.newlines()
	if p.isComment() {
		// repc reads the PodStart name from the lookahead token's captures,
		// which a comment clears.
		pod.Name = ""
	}
	if err := p.start(); err != nil {
		return err
	}
	var arg strings.Builder
	afterItem, afterComma := false, false
	for {
		switch p.peek() {
		case tokStop:
			if afterComma {
				return p.unexpected("a POD member")
			}
			p.next()
			p.newlines()
			pod.Attrs = parseArguments(arg.String())
			p.f.PODs = append(p.f.PODs, pod)
			p.f.signed = append(p.f.signed, signedDecl{kind: signPOD, pod: pod})
			return nil
		case tokNewline:
			p.newlines()
			afterItem = false
		case tokComma:
			if !afterItem {
				return p.unexpected("a POD member")
			}
			p.next()
			arg.WriteByte(',')
			p.newlines()
			afterItem, afterComma = false, true
			continue
		case tokComment, tokMComment:
			p.comments()
			afterItem = true
		case tokFlag:
			if err := p.flag(nil, pod); err != nil {
				return err
			}
			afterItem = true
		case tokEnum:
			e, err := p.enum("")
			if err != nil {
				return err
			}
			pod.Enums = append(pod.Enums, e)
			p.f.signed = append(p.f.signed, signedDecl{kind: signEnum, enum: e})
			afterItem = true
		case tokQualifier, tokSymbol:
			if err := p.parameterType(&arg, 0); err != nil {
				return err
			}
			n, err := p.expect(tokSymbol, "a member name")
			if err != nil {
				return err
			}
			arg.WriteString(" " + trimmed(n.cap["symbol"]))
			afterItem = true
		case tokEOF:
			return p.unexpected("'}'")
		default:
			return p.unexpected("a POD member")
		}
		afterComma = false
	}
}

// parameterType parses DecoratedParameterType inside POD{...}, appending
// to arg what repc's actions append.
func (p *parser) parameterType(arg *strings.Builder, depth int) error {
	if depth > p.lim.MaxDepth {
		return p.errAt(p.here(), ErrLimit, "template nesting deeper than "+itoa(p.lim.MaxDepth))
	}
	if p.peek() == tokQualifier {
		arg.WriteString(trimmed(p.next().cap["value"]) + " ")
	}
	sym, err := p.expect(tokSymbol, "a type name")
	if err != nil {
		return err
	}
	arg.WriteString(trimmed(sym.cap["symbol"]))
	if p.peek() == tokTStart {
		p.next()
		arg.WriteByte('<')
		for {
			if err := p.parameterType(arg, depth+1); err != nil {
				return err
			}
			if p.peek() != tokComma {
				break
			}
			p.next()
			arg.WriteByte(',')
			p.newlines()
		}
		if _, err := p.expect(tokTStop, "'>'"); err != nil {
			return err
		}
		arg.WriteByte('>')
	}
	if p.peek() == tokPassByQual {
		p.next()
		arg.WriteString(" &")
	}
	return nil
}

// enum parses Enum: EnumStart Start EnumParams Comments? Stop. scope is the
// enclosing class (empty at top level and in PODs, as in repc).
func (p *parser) enum(scope string) (*Enum, error) {
	t := p.next()
	e := &Enum{
		Name:       t.cap["name"],
		Scoped:     t.cap["class"] != "",
		Underlying: t.cap["type"],
		Scope:      scope,
		Pos:        p.pos(t.off),
	}
	if e.Scoped {
		p.qt6(t, "ENUM class")
	}
	if e.Underlying != "" {
		p.qt6(t, "enum underlying type")
	}
	// No Newlines here: repc's grammar has none between EnumStart and Start.
	if err := p.start(); err != nil {
		return nil, err
	}
	value := int32(-1)
	for {
		p.comments()
		sym, err := p.expect(tokSymbol, "an enumerator")
		if err != nil {
			return nil, err
		}
		k := EnumKey{Name: trimmed(sym.cap["symbol"])}
		if p.peek() == tokEquals {
			p.next()
			v, err := p.expect(tokValue, "an enumerator value")
			if err != nil {
				return nil, err
			}
			value = parseEnumValue(trimmed(v.cap["value"]))
		} else {
			value++
		}
		k.Value = value
		e.Keys = append(e.Keys, k)
		p.newlines()
		if p.peek() == tokComma {
			p.next()
			p.newlines()
			continue
		}
		p.comments()
		if _, err := p.expect(tokStop, "',' or '}'"); err != nil {
			return nil, err
		}
		p.newlines()
		return e, nil
	}
}

// flag parses FLAG(Name Enum) at top level, in a class or in a POD; the enum
// must already be declared in the same scope.
func (p *parser) flag(c *Class, pod *POD) error {
	t := p.next()
	p.qt6(t, "FLAG")
	fl := &Flag{Name: t.cap["name"], Enum: t.cap["enum"], Pos: p.pos(t.off)}
	var enums []*Enum
	where := "global"
	switch {
	case c != nil:
		enums, where, fl.Scope = c.Enums, "class", c.Name
	case pod != nil:
		enums, where, fl.Scope = pod.Enums, "pod", pod.Name
	default:
		enums = p.f.Enums
	}
	found := false
	for _, e := range enums {
		if e.Name == fl.Enum {
			found = true
			break
		}
	}
	if !found {
		return p.errAt(fl.Pos, ErrSemantic, "FLAG: Unknown ("+where+") enum: "+fl.Enum)
	}
	switch {
	case c != nil:
		c.Flags = append(c.Flags, fl)
	case pod != nil:
		pod.Flags = append(pod.Flags, fl)
	default:
		p.f.Flags = append(p.f.Flags, fl)
		p.newlines()
	}
	p.f.signed = append(p.f.signed, signedDecl{kind: signFlag, flag: fl})
	return nil
}

// class parses Class: ClassStart Start ClassTypes? Stop.
func (p *parser) class() error {
	t := p.next()
	c := &Class{Name: t.cap["name"], Pos: p.pos(t.off)}
	p.newlines()
	if p.isComment() {
		// repc takes the class name from the captures current when it
		// reduces ClassStart, after reading one token of lookahead; a
		// comment there replaces them, and the class is named "".
		c.Name = ""
	}
	if err := p.start(); err != nil {
		return err
	}
	for {
		k := p.peek()
		switch k {
		case tokStop:
			p.next()
			p.newlines()
			p.f.Classes = append(p.f.Classes, c)
			p.f.signed = append(p.f.signed, signedDecl{kind: signClass, class: c})
			return nil
		case tokNewline:
			p.newlines()
		case tokComment, tokMComment:
			p.comments()
		case tokProp:
			t := p.next()
			prop, msg := parseProperty(t.cap["args"])
			if msg != "" {
				return p.errAt(p.pos(t.off), ErrSemantic, msg)
			}
			prop.Pos = p.pos(t.off)
			c.Properties = append(c.Properties, prop)
		case tokSignal:
			t := p.next()
			c.Signals = append(c.Signals, &Function{
				Name:       trimmed(t.cap["name"]),
				ReturnType: "void",
				Params:     parseArguments(trimmed(t.cap["args"])),
				Pos:        p.pos(t.off),
			})
		case tokSlot:
			t := p.next()
			ret, name := splitSlot(t.cap["type"])
			c.Slots = append(c.Slots, &Function{
				Name:       name,
				ReturnType: ret,
				Params:     parseArguments(trimmed(t.cap["args"])),
				Pos:        p.pos(t.off),
			})
		case tokModel:
			t := p.next()
			prop := &Property{
				Name:     trimmed(t.cap["name"]),
				Type:     "QAbstractItemModel",
				Default:  "nullptr",
				Modifier: SourceOnlySetter,
				Kind:     ModelProp,
				Roles:    parseRoles(t.cap["args"]),
				Pos:      p.pos(t.off),
			}
			c.Properties = append(c.Properties, prop)
			p.f.signed = append(p.f.signed, signedDecl{kind: signModel, class: c, prop: prop})
		case tokChildRep:
			t := p.next()
			c.Properties = append(c.Properties, &Property{
				Name:     trimmed(t.cap["name"]),
				Type:     trimmed(t.cap["type"]),
				Default:  "nullptr",
				Modifier: SourceOnlySetter,
				Kind:     ChildProp,
				Pos:      p.pos(t.off),
			})
		case tokFlag:
			if err := p.flag(c, nil); err != nil {
				return err
			}
		case tokEnum:
			e, err := p.enum(c.Name)
			if err != nil {
				return err
			}
			c.Enums = append(c.Enums, e)
			p.f.signed = append(p.f.signed, signedDecl{kind: signEnum, enum: e})
		case tokClass:
			return p.errAt(p.here(), ErrSyntax, "class: Cannot be nested")
		case tokPod:
			return p.errAt(p.here(), ErrSyntax, "POD: Can only be used in global scope")
		case tokUseEnum:
			return p.errAt(p.here(), ErrSyntax, "USE_ENUM: Can only be used in global scope")
		case tokEOF:
			return p.unexpected("'}'")
		default:
			return p.unexpected("a class member or '}'")
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
