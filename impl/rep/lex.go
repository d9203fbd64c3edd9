package rep

import (
	"regexp"
	"strconv"
)

// tokKind names a repc token. The set and order are those of Qt 6.4's
// src/repparser/parser.g (a superset of Qt 5.15's), because repc breaks ties
// between equally long matches by declaration order.
type tokKind int

const (
	tokSemicolon tokKind = iota
	tokClass
	tokPod
	tokPod2
	tokFlag
	tokEnum
	tokProp
	tokUseEnum
	tokSignal
	tokSlot
	tokModel
	tokChildRep
	tokQualifier
	tokPassByQual
	tokSymbol
	tokValue
	tokStart
	tokStop
	tokComma
	tokEquals
	tokComment
	tokMComment
	tokPreprocessor
	tokNewline
	tokTStart
	tokTStop
	tokEOF
)

// tokenDef is one repc token: its regular expression, transcribed from
// parser.g. PCRE's \s, \S and \d are spelled out as ASCII classes because
// QRegularExpression does not enable Unicode properties and Go's \s lacks \v.
type tokenDef struct {
	kind tokKind
	name string
	re   *regexp.Regexp
	// named says whether the pattern has named groups: repc clears its
	// "captured" map only when the new token has some (see class names).
	named bool
}

const (
	pcreSpace    = `[ \t\n\v\f\r]`
	pcreNonSpace = `[^ \t\n\v\f\r]`
)

func def(kind tokKind, name, pattern string) tokenDef {
	re := regexp.MustCompile(`^(?:` + pattern + `)`)
	named := false
	for _, n := range re.SubexpNames() {
		if n != "" {
			named = true
		}
	}
	return tokenDef{kind: kind, name: name, re: re, named: named}
}

var tokenDefs = []tokenDef{
	def(tokSemicolon, "semicolon", `;`),
	def(tokClass, "class", `class[ \t]+(?P<name>[A-Za-z_][A-Za-z0-9_]+)[ \t]*`),
	def(tokPod, "pod", `POD[ \t]*(?P<name>[A-Za-z_][A-Za-z0-9_]+)[ \t]*\((?P<types>[^\)]*)\);?[ \t]*`),
	def(tokPod2, "pod2", `POD[ \t]*(?P<name>[A-Za-z_][A-Za-z0-9_]+)[ \t]*`),
	def(tokFlag, "flag", `[ \t]*FLAG[ \t]*\([ \t]*(?P<name>[A-Za-z_][A-Za-z0-9_]*)[ \t]+(?P<enum>[A-Za-z_][A-Za-z0-9_]*)[ \t]*\)[ \t]*`),
	def(tokEnum, "enum", `[ \t]*ENUM[ \t]+(?:(?P<class>class[ \t]+))?(?P<name>[A-Za-z_][A-Za-z0-9_]*)[ \t]*(?::[ \t]*(?P<type>[a-zA-Z0-9 _:]*[a-zA-Z0-9_])[ \t]*)?`),
	def(tokProp, "prop", `[ \t]*PROP[ \t]*\((?P<args>[^\)]+)\);?[ \t]*`),
	def(tokUseEnum, "use_enum", `USE_ENUM[ \t]*\((?P<name>[^\)]*)\);?[ \t]*`),
	def(tokSignal, "signal", `[ \t]*SIGNAL[ \t]*\([ \t]*(?P<name>`+pcreNonSpace+`+)[ \t]*\((?P<args>[^\)]*)\)[ \t]*\);?[ \t]*`),
	def(tokSlot, "slot", `[ \t]*SLOT[ \t]*\((?P<type>[^\(]*)\((?P<args>[^\)]*)\)[ \t]*\);?[ \t]*`),
	def(tokModel, "model", `[ \t]*MODEL[ \t]+(?P<name>[A-Za-z_][A-Za-z0-9_]+)\((?P<args>[^\)]+)\)[ \t]*;?[ \t]*`),
	def(tokChildRep, "childrep", `[ \t]*CLASS[ \t]+(?P<name>[A-Za-z_][A-Za-z0-9_]+)\((?P<type>[^\)]+)\)[ \t]*;?[ \t]*`),
	def(tokQualifier, "qualifier", `[ \t]*(?P<value>const|unsigned|signed)[ \t]*`),
	def(tokPassByQual, "passbyqual", `[ \t]*(?P<value>&)[ \t]*`),
	def(tokSymbol, "symbol", `[ \t]*(?P<symbol>[A-Za-z_][A-Za-z0-9_]*)[ \t]*`),
	def(tokValue, "value", `[ \t]*(?P<value>-[0-9]+|0[xX][0-9A-Fa-f]+|[0-9]+)[ \t]*`),
	def(tokStart, "start", `[ \t]*\{[ \t]*`),
	def(tokStop, "stop", `[ \t]*\};?[ \t]*`),
	def(tokComma, "comma", `,`),
	def(tokEquals, "equals", `=`),
	def(tokComment, "comment", `(?P<comment>[ \t]*//[^\n]*\n)`),
	// DotMatchesEverythingOption in repc is (?s) here.
	def(tokMComment, "mcomment", `(?s)(?P<comment>/\*(.*?)\*/)`),
	def(tokPreprocessor, "preprocessor_directive", `(?P<preprocessor_directive>#[ \t]*[^\n]*\n)`),
	def(tokNewline, "newline", `(\r)?\n`),
	def(tokTStart, "tstart", `<`),
	def(tokTStop, "tstop", `>[ \t]*`),
}

// maxMatchLen mirrors QRegexParser's default: repc matches each token
// against at most 4096 UTF-16 code units, so longer tokens do not exist.
const maxMatchLen = 4096

// token is one lexed token with its captures and byte offset.
type token struct {
	kind tokKind
	off  int
	text string
	cap  map[string]string
}

func (k tokKind) String() string {
	if k == tokEOF {
		return "end of file"
	}
	return tokenDefs[k].name
}

// window returns the prefix of src that repc would hand to its regular
// expressions: maxMatchLen UTF-16 code units, cut on a rune boundary.
func window(src string) string {
	units := 0
	for i, r := range src {
		n := 1
		if r >= 0x10000 {
			n = 2
		}
		if units+n > maxMatchLen {
			return src[:i]
		}
		units += n
	}
	return src
}

// lex splits src into tokens the way QRegexParser::nextToken does: at each
// position every token pattern is tried, the longest match wins and ties go
// to the pattern declared first. It stops at the first position no pattern
// matches.
func lex(src string, maxTokens int) ([]token, error) {
	var toks []token
	for off := 0; off < len(src); {
		if len(toks) >= maxTokens {
			return nil, &Error{Pos: position(src, off), Msg: "too many tokens", Err: ErrLimit}
		}
		w := window(src[off:])
		best, bestLen := -1, 0
		var bestIdx []int
		for i := range tokenDefs {
			loc := tokenDefs[i].re.FindStringSubmatchIndex(w)
			if loc == nil || loc[1] <= bestLen {
				continue
			}
			best, bestLen, bestIdx = i, loc[1], loc
		}
		if best < 0 {
			return nil, &Error{Pos: position(src, off), Msg: "unknown token near " + quoteSnippet(src[off:]), Err: ErrSyntax}
		}
		d := &tokenDefs[best]
		t := token{kind: d.kind, off: off, text: w[:bestLen]}
		if d.named {
			t.cap = map[string]string{}
			for gi, n := range d.re.SubexpNames() {
				if n == "" {
					continue
				}
				if s, e := bestIdx[2*gi], bestIdx[2*gi+1]; s >= 0 {
					t.cap[n] = w[s:e]
				} else {
					t.cap[n] = ""
				}
			}
		}
		toks = append(toks, t)
		off += bestLen
	}
	return toks, nil
}

// quoteSnippet returns a short quoted excerpt for error messages, as repc
// prints the next 15 characters.
func quoteSnippet(s string) string {
	n := 0
	for i := range s {
		if n == 15 {
			s = s[:i]
			break
		}
		n++
	}
	return strconv.Quote(s)
}
