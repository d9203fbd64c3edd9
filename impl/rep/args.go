package rep

import (
	"strconv"
	"strings"
	"unicode"
)

// This file ports the string handling repc's parser actions do on token
// captures (parser.g: stripArgs, TypeParser::parseArguments, parseProperty,
// parseModifierFlag, parseRoles and the SLOT action). The quirks are kept on
// purpose: the results are hashed into class signatures, so "cleaner" parsing
// would produce signatures real Qt replicas reject.

// qIsSpace is QChar::isSpace.
func qIsSpace(r rune) bool { return unicode.IsSpace(r) }

// pcreIsSpace is \s in a QRegularExpression without Unicode properties.
func pcreIsSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r'
}

// trimmed is QString::trimmed.
func trimmed(s string) string { return strings.TrimFunc(s, qIsSpace) }

// stripArgs drops "//" comments from every line and joins the lines with
// nothing in between, as repc does for multi-line PROP/SIGNAL/SLOT/POD text.
func stripArgs(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if i < len(lines)-1 { // the split pattern is \r?\n
			l = strings.TrimSuffix(l, "\r")
		}
		if j := strings.Index(l, "//"); j >= 0 {
			l = l[:j]
		}
		lines[i] = l
	}
	return strings.Join(lines, "")
}

// parseArguments is TypeParser::parseArguments: a character scanner that
// splits "type name, type name" lists, strips "const" and "&" into flags and
// names unnamed parameters __repc_variable_N.
func parseArguments(args string) []Param {
	var out []Param
	var typ, name []rune
	var flags ParamFlags
	depth, idx := 0, 0
	inTemplate, inVariable := false, false
	emit := func() {
		n := string(name)
		if n != "" {
			n = trimmed(n)
		} else {
			idx++
			n = "__repc_variable_" + strconv.Itoa(idx)
		}
		out = append(out, Param{Type: string(typ), Name: n, Flags: flags})
	}
	for _, c := range stripArgs(args) {
		switch {
		case c == '<':
			typ = append(typ, c)
			inTemplate = true
			depth++
		case c == '>':
			typ = append(typ, c)
			depth--
			if depth == 0 {
				inTemplate = false
			}
		case qIsSpace(c):
			if inTemplate {
				typ = append(typ, c)
			} else if len(typ) > 0 {
				if string(typ) == "const" {
					typ = typ[:0]
					flags |= ParamConst
				} else {
					inVariable = true
				}
			}
		case c == '&':
			flags |= ParamRef
		case c == ',':
			if !inTemplate {
				emit()
				typ, name, flags, inVariable = nil, nil, 0, false
			} else {
				typ = append(typ, c)
			}
		default:
			if inVariable {
				name = append(name, c)
			} else {
				typ = append(typ, c)
			}
		}
	}
	if len(typ) > 0 {
		emit()
	}
	return out
}

// parseProperty is RepParser::parseProperty for the text inside PROP(...).
func parseProperty(decl string) (*Property, string) {
	input := []rune(trimmed(stripArgs(decl)))
	var typ []rune
	inTemplate, depth, nameIndex := false, 0, -1
	for i, c := range input {
		if c == '<' {
			typ = append(typ, c)
			inTemplate = true
			depth++
		} else if c == '>' {
			typ = append(typ, c)
			depth--
			if depth == 0 {
				inTemplate = false
			}
		} else if qIsSpace(c) {
			if !inTemplate {
				nameIndex = i
				break
			}
			typ = append(typ, c)
		} else {
			typ = append(typ, c)
		}
	}
	if nameIndex == -1 {
		return nil, "PROP: Invalid property declaration: " + decl
	}
	p := &Property{Type: string(typ), Modifier: ReadPush}
	rest := trimmed(string(input[nameIndex:]))
	var flag string
	hasFlag := false
	if eq := strings.IndexByte(rest, '='); eq >= 0 { // a default value
		p.Name = trimmed(rest[:eq])
		rest = trimmed(rest[eq+1:])
		if q := strings.LastIndexByte(rest, '"'); q >= 0 {
			p.Default = rest[:q+1]
			rest = rest[q+1:]
		}
		if ws := strings.IndexFunc(rest, pcreIsSpace); ws < 0 {
			if p.Default == "" {
				p.Default = rest
			}
		} else {
			if p.Default == "" {
				p.Default = trimmed(rest[:ws])
			}
			flag, hasFlag = trimmed(rest[ws+1:]), true
		}
	} else if ws := strings.IndexFunc(rest, pcreIsSpace); ws < 0 {
		p.Name = rest
	} else {
		p.Name = trimmed(rest[:ws])
		flag, hasFlag = trimmed(rest[ws+1:]), true
	}
	if hasFlag {
		if msg := parseModifierFlag(flag, p); msg != "" {
			return nil, msg
		}
	}
	return p, ""
}

// parseModifierFlag is RepParser::parseModifierFlag: comma-separated
// modifiers, PERSISTED anywhere, and READONLY+CONSTANT as the one allowed pair.
func parseModifierFlag(flag string, p *Property) string {
	var flags []string
	for _, f := range splitCommaSpaces(flag) {
		if f == "PERSISTED" {
			p.Persisted = true
			continue
		}
		flags = append(flags, f)
	}
	switch len(flags) {
	case 0:
		return ""
	case 1:
	default:
		if len(flags) == 2 && contains(flags, "READONLY") && contains(flags, "CONSTANT") {
			p.Modifier = Constant
			return ""
		}
		return "Invalid property declaration: combination not allowed (" + flag + ")"
	}
	switch flags[0] {
	case "READONLY":
		p.Modifier = ReadOnly
	case "CONSTANT":
		p.Modifier = Constant
	case "READPUSH":
		p.Modifier = ReadPush
	case "READWRITE":
		p.Modifier = ReadWrite
	case "SOURCEONLYSETTER":
		p.Modifier = SourceOnlySetter
	default:
		return "Invalid property declaration: flag " + flag + " is unknown"
	}
	return ""
}

// splitCommaSpaces splits on the regular expression \s*,\s* keeping empty parts.
func splitCommaSpaces(s string) []string {
	parts := strings.Split(s, ",")
	for i := range parts {
		if i > 0 {
			parts[i] = strings.TrimLeftFunc(parts[i], pcreIsSpace)
		}
		if i < len(parts)-1 {
			parts[i] = strings.TrimRightFunc(parts[i], pcreIsSpace)
		}
	}
	return parts
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseRoles is RepParser::parseRoles for MODEL role lists.
func parseRoles(args string) []string {
	in := trimmed(args)
	if in == "" {
		return nil
	}
	parts := strings.Split(in, ",")
	for i := range parts {
		parts[i] = trimmed(parts[i])
	}
	return parts
}

// splitSlot is the SLOT action: the text before '(' is "returnType name",
// split at the last ASCII space; without a space the return type is void.
func splitSlot(typeAndName string) (ret, name string) {
	s := trimmed(typeAndName)
	if !strings.Contains(s, " ") {
		s = "void " + s
	}
	i := strings.LastIndexByte(s, ' ')
	return s[:i], s[i+1:]
}

// parseEnumValue converts enum value text like QString::toInt (base 16 for
// "0x" text); text out of int range gives 0, as repc ignores the ok flag.
func parseEnumValue(s string) int32 {
	var v int64
	var err error
	if len(s) > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		v, err = strconv.ParseInt(s[2:], 16, 32)
	} else {
		v, err = strconv.ParseInt(s, 10, 32)
	}
	if err != nil {
		return 0
	}
	return int32(v)
}
