package rep

import (
	"regexp"
	"strconv"
	"unicode/utf8"
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
	re   *regexp.Regexp
	// named says whether the pattern has named groups: repc clears its
	// "captured" map only when the new token has some (see class names).
	named bool
}

const (
	pcreSpace    = `[ \t\n\v\f\r]`
	pcreNonSpace = `[^ \t\n\v\f\r]`
)

func def(kind tokKind, pattern string) tokenDef {
	re := regexp.MustCompile(`^(?:` + pattern + `)`)
	named := false
	for _, n := range re.SubexpNames() {
		if n != "" {
			named = true
		}
	}
	return tokenDef{kind: kind, re: re, named: named}
}

var tokenDefs = []tokenDef{
	def(tokSemicolon, `;`),
	def(tokClass, `class[ \t]+(?P<name>[A-Za-z_][A-Za-z0-9_]+)[ \t]*`),
	def(tokPod, `POD[ \t]*(?P<name>[A-Za-z_][A-Za-z0-9_]+)[ \t]*\((?P<types>[^\)]*)\);?[ \t]*`),
	def(tokPod2, `POD[ \t]*(?P<name>[A-Za-z_][A-Za-z0-9_]+)[ \t]*`),
	def(tokFlag, `[ \t]*FLAG[ \t]*\([ \t]*(?P<name>[A-Za-z_][A-Za-z0-9_]*)[ \t]+(?P<enum>[A-Za-z_][A-Za-z0-9_]*)[ \t]*\)[ \t]*`),
	def(tokEnum, `[ \t]*ENUM[ \t]+(?:(?P<class>class[ \t]+))?(?P<name>[A-Za-z_][A-Za-z0-9_]*)[ \t]*(?::[ \t]*(?P<type>[a-zA-Z0-9 _:]*[a-zA-Z0-9_])[ \t]*)?`),
	def(tokProp, `[ \t]*PROP[ \t]*\((?P<args>[^\)]+)\);?[ \t]*`),
	def(tokUseEnum, `USE_ENUM[ \t]*\((?P<name>[^\)]*)\);?[ \t]*`),
	def(tokSignal, `[ \t]*SIGNAL[ \t]*\([ \t]*(?P<name>`+pcreNonSpace+`+)[ \t]*\((?P<args>[^\)]*)\)[ \t]*\);?[ \t]*`),
	def(tokSlot, `[ \t]*SLOT[ \t]*\((?P<type>[^\(]*)\((?P<args>[^\)]*)\)[ \t]*\);?[ \t]*`),
	def(tokModel, `[ \t]*MODEL[ \t]+(?P<name>[A-Za-z_][A-Za-z0-9_]+)\((?P<args>[^\)]+)\)[ \t]*;?[ \t]*`),
	def(tokChildRep, `[ \t]*CLASS[ \t]+(?P<name>[A-Za-z_][A-Za-z0-9_]+)\((?P<type>[^\)]+)\)[ \t]*;?[ \t]*`),
	def(tokQualifier, `[ \t]*(?P<value>const|unsigned|signed)[ \t]*`),
	def(tokPassByQual, `[ \t]*(?P<value>&)[ \t]*`),
	def(tokSymbol, `[ \t]*(?P<symbol>[A-Za-z_][A-Za-z0-9_]*)[ \t]*`),
	def(tokValue, `[ \t]*(?P<value>-[0-9]+|0[xX][0-9A-Fa-f]+|[0-9]+)[ \t]*`),
	def(tokStart, `[ \t]*\{[ \t]*`),
	def(tokStop, `[ \t]*\};?[ \t]*`),
	def(tokComma, `,`),
	def(tokEquals, `=`),
	def(tokComment, `(?P<comment>[ \t]*//[^\n]*\n)`),
	// DotMatchesEverythingOption in repc is (?s) here.
	def(tokMComment, `(?s)(?P<comment>/\*(.*?)\*/)`),
	def(tokPreprocessor, `(?P<preprocessor_directive>#[ \t]*[^\n]*\n)`),
	def(tokNewline, `(\r)?\n`),
	def(tokTStart, `<`),
	def(tokTStop, `>[ \t]*`),
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

// tokNames are the names error messages use for tokens.
var tokNames = [...]string{
	tokSemicolon: "';'", tokClass: "class", tokPod: "POD(...)", tokPod2: "POD", tokFlag: "FLAG(...)",
	tokEnum: "ENUM", tokProp: "PROP(...)", tokUseEnum: "USE_ENUM(...)", tokSignal: "SIGNAL(...)",
	tokSlot: "SLOT(...)", tokModel: "MODEL", tokChildRep: "CLASS", tokQualifier: "qualifier",
	tokPassByQual: "'&'", tokSymbol: "identifier", tokValue: "number", tokStart: "'{'", tokStop: "'}'",
	tokComma: "','", tokEquals: "'='", tokComment: "comment", tokMComment: "comment",
	tokPreprocessor: "preprocessor line", tokNewline: "newline", tokTStart: "'<'", tokTStop: "'>'",
	tokEOF: "end of file",
}

func (k tokKind) String() string { return tokNames[k] }

// utf16Units is the length of r in UTF-16 code units, repc's unit of length.
func utf16Units(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// lex splits src into tokens the way QRegexParser::nextToken does: at each
// position every token pattern is tried, the longest match wins and ties go
// to the pattern declared first. It stops at the first position no pattern
// matches.
func lex(src string, maxTokens int) ([]token, error) {
	var toks []token
	// src[off:wend] is the match window: maxMatchLen UTF-16 code units,
	// maintained incrementally so lexing stays linear.
	wend, units := 0, 0
	for off := 0; off < len(src); {
		if len(toks) >= maxTokens {
			return nil, &Error{Pos: position(src, off), Msg: "too many tokens", Err: ErrLimit}
		}
		for wend < len(src) {
			r, n := utf8.DecodeRuneInString(src[wend:])
			if units+utf16Units(r) > maxMatchLen {
				break
			}
			units += utf16Units(r)
			wend += n
		}
		w := src[off:wend]
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
		for _, r := range t.text {
			units -= utf16Units(r)
		}
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
