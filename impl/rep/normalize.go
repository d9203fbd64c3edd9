package rep

import "strings"

// This file ports the C type normalisers repc applies to SIGNAL and SLOT
// parameter lists (ASTFunction::paramsAsString(Normalized)): a whitespace
// pre-pass copied from moc, then Qt 5.15's normalizeTypeInternal or Qt 6.4's
// QTypeNormalizer. They are ported statement by statement, including reads
// past a sub-range's end (which see the rest of the buffer, as in C), because
// the output is hashed nowhere but shows up in wire signatures. Loop bounds use
// < instead of C's != so malformed input cannot run away.

// cbuf is a NUL-terminated C buffer; reads outside it return 0.
type cbuf []byte

func (b cbuf) at(i int) byte {
	if i < 0 || i >= len(b) {
		return 0
	}
	return b[i]
}

// strncmp reports whether the n bytes at i equal s (s has no NUL).
func (b cbuf) hasAt(i int, s string) bool {
	for k := 0; k < len(s); k++ {
		if b.at(i+k) != s[k] {
			return false
		}
	}
	return true
}

// strlen counts bytes from i up to the terminating NUL.
func (b cbuf) strlen(i int) int {
	n := 0
	for b.at(i+n) != 0 {
		n++
	}
	return n
}

func isIdentChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// isSpace5 is qmetaobject_p.h's is_space, used by the pre-pass and Qt 5.
func isSpace5(c byte) bool { return c == ' ' || c == '\t' }

// isSpace6 is QTypeNormalizer's is_space.
func isSpace6(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }

// prepass is the static normalizeType() of repc's parser.g: it drops
// whitespace except between identifier characters and between '<' and ':'.
func prepass(s []byte) cbuf {
	if i := indexByte(s, 0); i >= 0 { // C string: stops at NUL
		s = s[:i]
	}
	d := make([]byte, 0, len(s)+1)
	var last byte
	i := 0
	for i < len(s) && isSpace5(s[i]) {
		i++
	}
	for i < len(s) {
		for i < len(s) && !isSpace5(s[i]) {
			last = s[i]
			d = append(d, s[i])
			i++
		}
		for i < len(s) && isSpace5(s[i]) {
			i++
		}
		if i < len(s) && (isIdentChar(s[i]) && isIdentChar(last) || s[i] == ':' && last == '<') {
			last = ' '
			d = append(d, ' ')
		}
	}
	return append(d, 0)
}

func indexByte(s []byte, c byte) int {
	for i, b := range s {
		if b == c {
			return i
		}
	}
	return -1
}

// normalizeParam returns repc's normalised text for one parameter, given as
// ASTDeclaration::asString(false) would print it.
func normalizeParam(d Dialect, text string) string {
	buf := prepass(toLatin1(text))
	end := len(buf) - 1
	var out []byte
	if d == Qt5 {
		out = normalize5(buf, 0, end, true, 0)
	} else {
		n := &normalizer6{buf: buf}
		n.normalizeType(0, end, true, 0)
		out = n.out
	}
	return fromLatin1(out)
}

// maxNormalizeDepth bounds template recursion; repc tokens are at most 4096
// characters, so real input never gets near it.
const maxNormalizeDepth = 512

// normalize5 is Qt 5.15's normalizeTypeInternal(t, e, fixScope=false,
// adjustConst).
func normalize5(buf cbuf, t, e int, adjustConst bool, depth int) []byte {
	if depth > maxNormalizeDepth || t > e {
		return nil
	}
	n := e - t
	// Convert 'char const *' into 'const char *'.
	for i := 1; i < n; i++ {
		if buf.at(t+i) == 'c' && buf.hasAt(t+i+1, "onst") &&
			(i+5 >= n || !isIdentChar(buf.at(t+i+5))) && !isIdentChar(buf.at(t+i-1)) {
			cb := append([]byte(nil), buf[t:t+n]...)
			if isSpace5(buf.at(t + i - 1)) {
				cb = removeBytes(cb, i-1, 6)
			} else {
				cb = removeBytes(cb, i, 5)
			}
			cb = append([]byte("const "), cb...)
			e = len(cb)
			buf = append(cb, 0)
			t = 0
			break
		}
		if c := buf.at(t + i); c == '&' || c == '*' || c == '<' {
			break
		}
	}
	if adjustConst && e > t+6 && buf.hasAt(t, "const ") {
		if buf.at(e-1) == '&' { // treat const reference as value
			t += 6
			e--
		} else if isIdentChar(buf.at(e-1)) || buf.at(e-1) == '>' { // treat const value as value
			t += 6
		}
	}
	var result []byte
	if buf.hasAt(t, "const ") {
		t += 6
		result = append(result, "const "...)
	}
	if buf.hasAt(t, "unsigned") {
		if c := buf.at(t + 8); c == 0 || !isIdentChar(c) {
			switch {
			case buf.hasAt(t+8, " int"):
				t += 12
				result = append(result, "uint"...)
			case buf.hasAt(t+8, " long"):
				if (buf.strlen(t+13) < 4 || !buf.hasAt(t+13, " int")) &&
					(buf.strlen(t+13) < 5 || !buf.hasAt(t+13, " long")) {
					t += 13
					result = append(result, "ulong"...)
				}
			case !buf.hasAt(t+8, " short") && !buf.hasAt(t+8, " char"):
				t += 8
				result = append(result, "uint"...)
			}
		}
	} else {
		for _, kw := range []string{"struct ", "class ", "enum "} {
			if buf.hasAt(t, kw) {
				t += len(kw)
				break
			}
		}
	}
	star := false
	for t < e {
		c := buf.at(t)
		t++
		star = star || c == '*'
		result = append(result, c)
		if c == '<' {
			tt := t
			templDepth, scopeDepth := 1, 0
			for t < e {
				c = buf.at(t)
				t++
				switch c {
				case '{', '(', '[':
					scopeDepth++
				case '}', ')', ']':
					scopeDepth--
				}
				if scopeDepth == 0 {
					if c == '<' {
						templDepth++
					}
					if c == '>' {
						templDepth--
					}
					if templDepth == 0 || templDepth == 1 && c == ',' {
						result = append(result, normalize5(buf, tt, t-1, false, depth+1)...)
						result = append(result, c)
						if templDepth == 0 {
							if buf.at(t) == '>' {
								result = append(result, ' ') // avoid >>
							}
							break
						}
						tt = t
					}
				}
			}
		}
		// cv qualifiers can appear after the type as well
		if !isIdentChar(c) && t < e && e-t >= 5 && buf.hasAt(t, "const") && (e-t == 5 || !isIdentChar(buf.at(t+5))) {
			t += 5
			for t < e && isSpace5(buf.at(t)) {
				t++
			}
			switch {
			case adjustConst && t < e && buf.at(t) == '&':
				t++ // treat const ref as value
			case adjustConst && !star:
				// treat const as value
			case !star:
				result = append([]byte("const "), result...)
			default:
				result = append(result, "const"...)
			}
		}
	}
	return result
}

func removeBytes(b []byte, pos, n int) []byte {
	if pos >= len(b) {
		return b
	}
	if pos+n > len(b) {
		n = len(b) - pos
	}
	return append(b[:pos], b[pos+n:]...)
}

// normalizer6 is Qt 6.4's QTypeNormalizer (qmetatype.h), as used through
// qNormalizeType by repc's normalizeTypeInternal.
type normalizer6 struct {
	buf  cbuf
	out  []byte
	last byte
}

func (n *normalizer6) append(c byte) {
	n.last = c
	n.out = append(n.out, c)
}

func (n *normalizer6) appendStr(s string) {
	for i := 0; i < len(s); i++ {
		n.append(s[i])
	}
}

func isNumber(c byte) bool { return c >= '0' && c <= '9' }

func (n *normalizer6) startsWithToken(b, e int, tok string) bool {
	i := 0
	for b < e && i < len(tok) && n.buf.at(b) == tok[i] {
		b++
		i++
	}
	if i < len(tok) {
		return false
	}
	return b == e || !isIdentChar(n.buf.at(b))
}

func (n *normalizer6) skipToken(x *int, e int, tok string) bool {
	if !n.startsWithToken(*x, e, tok) {
		return false
	}
	*x += len(tok)
	for *x < e && isSpace6(n.buf.at(*x)) {
		*x++
	}
	return true
}

func (n *normalizer6) skipString(x, e int) int {
	delim := n.buf.at(x)
	x++
	for x < e && n.buf.at(x) != delim {
		if n.buf.at(x) == '\\' {
			x++
			if x >= e {
				return e
			}
		}
		x++
	}
	if x < e {
		x++
	}
	return x
}

func (n *normalizer6) skipTemplate(x, e int, stopAtComma bool) int {
	scopeDepth, templateDepth := 0, 0
	for x < e {
		switch n.buf.at(x) {
		case '<':
			if scopeDepth == 0 {
				templateDepth++
			}
		case ',':
			if stopAtComma && scopeDepth == 0 && templateDepth == 0 {
				return x
			}
		case '>':
			if scopeDepth == 0 {
				templateDepth--
				if templateDepth < 0 {
					return x
				}
			}
		case '(', '[', '{':
			scopeDepth++
		case '}', ']', ')':
			scopeDepth--
		case '\'':
			if isNumber(n.buf.at(x - 1)) {
				break
			}
			x = n.skipString(x, e)
			continue
		case '"':
			x = n.skipString(x, e)
			continue
		}
		x++
	}
	return x
}

func (n *normalizer6) normalizeIntegerTypes(begin *int, end int) {
	numLong, numSigned, numUnsigned, numInt, numShort, numChar := 0, 0, 0, 0, 0, 0
loop:
	for *begin < end {
		switch {
		case n.skipToken(begin, end, "long"):
			numLong++
		case n.skipToken(begin, end, "int"):
			numInt++
		case n.skipToken(begin, end, "short"):
			numShort++
		case n.skipToken(begin, end, "unsigned"):
			numUnsigned++
		case n.skipToken(begin, end, "signed"):
			numSigned++
		case n.skipToken(begin, end, "char"):
			numChar++
		default:
			break loop
		}
	}
	if numLong == 2 {
		n.append('q') // q(u)longlong
	}
	if numSigned > 0 && numChar > 0 {
		n.appendStr("signed ")
	} else if numUnsigned > 0 {
		n.appendStr("u")
	}
	switch {
	case numChar > 0:
		n.appendStr("char")
	case numShort > 0:
		n.appendStr("short")
	case numLong == 1:
		n.appendStr("long")
	case numLong == 2:
		n.appendStr("longlong")
	case numUnsigned > 0 || numSigned > 0 || numInt > 0:
		n.appendStr("int")
	}
}

func (n *normalizer6) normalizeType(begin, end int, adjustConst bool, depth int) {
	if depth > maxNormalizeDepth {
		return
	}
	b := n.buf
	for begin < end && isSpace6(b.at(begin)) {
		begin++
	}
	for begin < end && isSpace6(b.at(end-1)) {
		end--
	}
	// Convert 'char const *' into 'const char *'.
	cst := begin + 1
	if b.at(begin) == '\'' || b.at(begin) == '"' {
		cst = n.skipString(begin, end)
	}
	seenStar, hasMiddleConst := false, false
	for cst < end {
		if b.at(cst) == '"' || b.at(cst) == '\'' && !isNumber(b.at(cst-1)) {
			cst = n.skipString(cst, end)
			if cst >= end {
				break
			}
		}
		if c := b.at(cst); c == '&' || c == '*' || c == '[' {
			seenStar = c != '&' || cst != end-1
			break
		}
		if b.at(cst) == '<' {
			cst = n.skipTemplate(cst+1, end, false)
			if cst >= end {
				break
			}
		}
		cst++
		skipped := cst
		if !isIdentChar(b.at(cst-1)) && n.skipToken(&skipped, end, "const") {
			testEnd := end
			for skipped < testEnd {
				testEnd--
				if c := b.at(testEnd); c == '*' || c == '[' || c == '&' && testEnd != end-1 {
					seenStar = true
					break
				}
				if b.at(testEnd) == '>' {
					break
				}
			}
			if adjustConst && !seenStar {
				if b.at(end-1) == '&' {
					end--
				}
			} else {
				n.appendStr("const ")
			}
			n.normalizeType(begin, cst, false, depth+1)
			begin = skipped
			hasMiddleConst = true
			break
		}
	}
	if n.skipToken(&begin, end, "const") {
		if adjustConst && !seenStar {
			if b.at(end-1) == '&' {
				end--
			}
		} else {
			n.appendStr("const ")
		}
	}
	if seenStar && adjustConst {
		e := end
		if b.at(end-1) == '&' && b.at(end-2) != '&' {
			e--
		}
		for begin < e && isSpace6(b.at(e-1)) {
			e--
		}
		const rev = "tsnoc" // 'const' reversed, to check if it ends with const
		ti := 0
		for ti < len(rev) && begin < e {
			e--
			ok := b.at(e) == rev[ti]
			ti++
			if !ok {
				break
			}
		}
		if ti == len(rev) && begin < e && !isIdentChar(b.at(e-1)) {
			for begin < e && isSpace6(b.at(e-1)) {
				e--
			}
			end = e
		}
	}
	// skipStructClassOrEnum; QT_NAMESPACE is not set in Debian's build.
	_ = n.skipToken(&begin, end, "struct") || n.skipToken(&begin, end, "class") || n.skipToken(&begin, end, "enum")
	if n.skipToken(&begin, end, "QVector") {
		n.appendStr("QList")
	}
	if n.skipToken(&begin, end, "QPair") {
		n.appendStr("std::pair")
	}
	if !hasMiddleConst {
		n.normalizeIntegerTypes(&begin, end)
	}
	spaceSkipped := true
	for begin < end {
		c := b.at(begin)
		begin++
		switch {
		case isSpace6(c):
			spaceSkipped = true
		case c == '\'' && !isNumber(n.last) || c == '"':
			begin--
			x := n.skipString(begin, end)
			for begin < x {
				n.append(b.at(begin))
				begin++
			}
		default:
			if spaceSkipped && isIdentChar(n.last) && isIdentChar(c) {
				n.append(' ')
			}
			n.append(c)
			spaceSkipped = false
			if c == '<' {
				for {
					tpl := n.skipTemplate(begin, end, true)
					n.normalizeType(begin, tpl, false, depth+1)
					if tpl >= end {
						return
					}
					n.append(b.at(tpl))
					begin = tpl
					c := b.at(begin)
					begin++
					if c != ',' {
						break
					}
				}
			}
		}
	}
}

// toLatin1 converts like QString::toLatin1: characters above U+00FF become
// '?', one per UTF-16 code unit.
func toLatin1(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r < 0x100:
			out = append(out, byte(r))
		case r >= 0x10000:
			out = append(out, '?', '?')
		default:
			out = append(out, '?')
		}
	}
	return out
}

// fromLatin1 converts like QString::fromLatin1.
func fromLatin1(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}
