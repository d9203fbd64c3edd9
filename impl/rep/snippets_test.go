package rep

// snippet is a small .rep text run through both real repc binaries by
// TestRepc (and checked against the recorded outcome by TestGolden). Each
// one pins down a piece of repc's grammar, lexer or parser actions.
type snippet struct {
	name, src string
	// deviation documents a deliberate disagreement with one repc version;
	// the tests then assert exactly that disagreement (repc accepts, we
	// reject).
	deviation   string
	deviationQt Dialect
}

const cls = "class Ab\n{\n"

var snippets = []snippet{
	// Layout and lexing.
	{name: "class_one_char_name", src: "class A\n{\n    PROP(int x)\n};\n"},
	{name: "class_digits_underscore", src: "class _A9\n{\n    PROP(int x)\n};\n"},
	{name: "blank_line_with_spaces", src: cls + "    PROP(int x)\n   \n};\n"},
	{name: "indented_class", src: "  class Ab\n{\n    PROP(int x)\n};\n"},
	{name: "trailing_spaces_after_stop", src: cls + "    PROP(int x)\n};  \n"},
	{name: "no_final_newline", src: "class Ab {\n    PROP(int x)\n}"},
	{name: "comment_at_eof_without_newline", src: cls + "    PROP(int x)\n};\n// last"},
	{name: "empty_file", src: ""},
	{name: "only_newlines", src: "\n\n"},
	{name: "only_comment", src: "// nothing else\n"},
	{name: "only_include", src: "#include <QtCore>\n"},
	{name: "preprocessor_forms", src: "#  include \"foo.h\"\n#if 1\n#define X 1\n#endif\n" + cls + "    PROP(int x)\n};\n"},
	{name: "bom", src: "\xef\xbb\xbf" + cls + "    PROP(int x)\n};\n"},
	{name: "non_ascii_comment", src: "// h\u00e9llo w\u00f6rld\n" + cls + "    PROP(int x) // \u00fcber\n};\n"},
	{name: "crlf_everywhere", src: "// c\r\nENUM En { A,\r\n B }\r\nclass Ab\r\n{\r\n    PROP(En e) // c\r\n    SIGNAL(s(int a))\r\n};\r\n"},
	{name: "class_brace_same_line", src: "class Ab {\n    PROP(int x)\n};\n"},
	{name: "class_without_semicolon", src: cls + "    PROP(int x)\n}\n"},
	{name: "classes_glued", src: "class Ab{\n};class Cd{\n    PROP(int x)\n};\n"},
	{name: "class_empty", src: cls + "};\n"},
	{name: "class_only_comments", src: cls + "    // c\n    // d\n};\n"},
	{name: "class_newline_then_comment", src: "class Ab\n// c\n{\n    PROP(int x)\n};\n"},
	{name: "class_comment_after_brace", src: "class Ab\n{ // c\n    PROP(int x)\n};\n"},
	{name: "stray_semicolon", src: cls + "    PROP(int x);\n    ;\n};\n"},
	{name: "member_semicolons", src: cls + "    PROP(int x);\n    SIGNAL(s());\n    SLOT(void f());\n    MODEL mm(a);\n};\n"},
	{name: "nested_class", src: cls + "class Cd\n{\n};\n};\n"},
	{name: "pod_in_class", src: cls + "POD Pp(int x)\n};\n"},
	{name: "use_enum_in_class", src: cls + "USE_ENUM(Qt::DateFormat)\n};\n"},
	{name: "prop_outside_class", src: "PROP(int x)\n"},
	{name: "signal_outside_class", src: "SIGNAL(s())\n"},
	{name: "model_outside_class", src: "MODEL mm(a)\n"},
	{name: "unbalanced_pod", src: "POD Pp(int x\n"},
	{name: "block_comment_indented", src: cls + "    /* c */\n    PROP(int x)\n};\n"},
	{name: "block_comment_after_member", src: cls + "    PROP(int x) /* c */\n};\n"},
	{name: "block_comment_multiline", src: "/* a\n * b\n */\n" + cls + "    PROP(int x)\n};\n"},

	// Enums.
	{name: "enum_newline_before_brace", src: "ENUM En\n{ A }\n"},
	{name: "enum_comment_before_brace", src: "ENUM En // c\n{ A, B }\n" + cls + "    PROP(En e)\n};\n"},
	{name: "enum_trailing_comma", src: "ENUM En { A, B, }\n"},
	{name: "enum_empty", src: "ENUM En {}\n"},
	{name: "enum_comment_before_comma", src: "ENUM En { A // c\n, B }\n"},
	{name: "enum_comment_after_comma", src: "ENUM En { A, // c\n B }\n" + cls + "    PROP(En e)\n};\n"},
	{name: "enum_newline_before_comma", src: "ENUM En { A\n, B }\n" + cls + "    PROP(En e)\n};\n"},
	{name: "enum_multiline", src: "ENUM En {\n    A = 1,\n    B\n}\n" + cls + "    PROP(En e)\n};\n"},
	{name: "enum_value_spacing", src: "ENUM En { A=1, B =2, C= 3, D = -4, E }\n" + cls + "    PROP(En e)\n};\n"},
	{name: "enum_value_leading_zero", src: "ENUM En { A = 010, B }\n" + cls + "    PROP(En e)\n};\n"},
	{name: "enum_int_limits", src: "ENUM En { A = -2147483648, B = 2147483647 }\n" + cls + "    PROP(En e)\n};\n"},
	{name: "enum_increment_wraps", src: "ENUM En { A = 2147483647, B }\n" + cls + "    PROP(En e)\n};\n"},
	{name: "enum_overflow_is_zero", src: "ENUM En { A = 4294967296, B, C = 0x100000000 }\n" + cls + "    PROP(En e)\n};\n"},
	{name: "enum_in_class_comment_name", src: cls + "    ENUM En // c\n    { A }\n    PROP(En e)\n};\n"},
	{name: "class_enum_shadows_global", src: "ENUM En { A, B }\n" + cls + "    ENUM En { C = 7 }\n    PROP(En e)\n    SLOT(En f(En x))\n};\nclass Cd\n{\n    PROP(En e)\n};\n"},
	{name: "enum_qualified_param", src: cls + "    ENUM En { A }\n    SIGNAL(s(Ab::En e, En f))\n    PROP(Ab::En g)\n};\n"},
	{name: "enum_keyword_key", src: "ENUM En { const }\n",
		deviation: "Qt 5 lexes 'const' as an enumerator; we lex like Qt 6 (a qualifier) and reject", deviationQt: Qt5},
	{name: "pod_uses_class_enum", src: "POD Pp(Ab::En e, int n)\n" + cls + "    ENUM En { A, B }\n    PROP(Pp p)\n};\n"},
	{name: "many_enum_params", src: cls + "    ENUM En { A }\n    SIGNAL(s(En a, En b, En c, En d, En e, En f, En g, En h, En i, En j, En k, En l))\n};\n"},
	{name: "enum_placeholder_in_template", src: cls + "    ENUM Mode { A }\n    SIGNAL(s(QMap<Mode, int> m, Mode x))\n};\n"},

	// Properties.
	{name: "prop_no_name", src: cls + "    PROP(int)\n};\n"},
	{name: "prop_bad_flag", src: cls + "    PROP(int x FOO)\n};\n"},
	{name: "prop_bad_combination", src: cls + "    PROP(int x READWRITE, READONLY)\n};\n"},
	{name: "prop_flags_without_comma", src: cls + "    PROP(int x READONLY PERSISTED)\n};\n"},
	{name: "prop_readonly_twice", src: cls + "    PROP(int x READONLY, READONLY)\n};\n"},
	{name: "prop_trailing_comma", src: cls + "    PROP(int x READONLY,)\n};\n"},
	{name: "prop_three_flags", src: cls + "    PROP(int x CONSTANT, READONLY, PERSISTED)\n    PROP(int y PERSISTED, READONLY)\n};\n"},
	{name: "prop_persisted_only", src: cls + "    PROP(int x PERSISTED)\n};\n"},
	{name: "prop_defaults", src: cls + "    PROP(int a=5)\n    PROP(QString b = \"a=b\" READONLY)\n    PROP(QString c = \"a b\" )\n    PROP(QString d = \"x y\" READWRITE, PERSISTED)\n    PROP(double e = 1.5 CONSTANT)\n};\n"},
	{name: "prop_whitespace", src: cls + "    PROP     (  QString   foo   READONLY  )\n    PROP(double\tbar)\n    PROP(double\t\tbaz)\n};\n"},
	{name: "prop_nested_template", src: cls + "    PROP(QMap<int, QList<int>> bar)\n    PROP(QList<QPair<int, int> > pairs READWRITE)\n};\n"},
	{name: "prop_const_type", src: cls + "    PROP(const QString s)\n};\n"},
	{name: "prop_multiline", src: cls + "    PROP(int\n        x READONLY)\n};\n"},
	{name: "prop_qaim_before_model", src: cls + "    PROP(QAbstractItemModel m)\n    MODEL mm(a, b)\n};\n"},

	// Signals and slots.
	{name: "signal_forms", src: cls + "    SIGNAL(s())\n    SIGNAL ( test (QMap<QString , int>  foo ) )\n    SIGNAL(u(QMap<QString, int>, QList<int>))\n    SIGNAL(c(const int x, int &y, const QString&z))\n};\n"},
	{name: "slot_forms", src: cls + "    SLOT (test())\n    SLOT(   void test2  (QString value, int number)  )\n    SLOT(void r(int&a))\n    SLOT(void c(const int x))\n};\n"},
	{name: "slot_template_return", src: cls + "    SLOT(QMap<QString, int> m())\n    SLOT(QMap<QString, int>n())\n};\n"},
	{name: "slot_tab_separator", src: cls + "    SLOT(int\tadd(int a))\n};\n"},
	{name: "slot_multiline", src: cls + "    SLOT(void f(int a, // first\n               int b))\n    SLOT(int\n    g())\n};\n"},
	{name: "normalization", src: cls + "    SIGNAL(s(QList<QList<int>> a, QVector<QPair<unsigned int, long long>> b, QMap<QString, unsigned char> c))\n    SLOT(void t(const QList<const char *> &a, QList<unsigned long> b, QList<signed char> c, QList<long int> d))\n};\n"},
	{name: "normalization_const_pointer", src: cls + "    SIGNAL(s(QList<char const *> a, QList<const char *const> b, QMap<int,QList<int> > c))\n};\n"},

	// Models and child classes.
	{name: "model_without_roles", src: cls + "    MODEL mm()\n};\n"},
	{name: "model_role_spacing", src: cls + "    MODEL myModel( b ,a , c )\n};\n"},
	{name: "model_space_before_paren", src: cls + "    MODEL myModel (a)\n};\n"},
	{name: "model_braces", src: cls + "    MODEL mm{a, b}\n};\n"},
	{name: "model_same_name_twice", src: cls + "    MODEL mm(a)\n    MODEL mm(b, c)\n};\n"},
	{name: "child_declared_before_and_after", src: "class Cd\n{\n    PROP(int y)\n};\n" + cls + "    CLASS cd(Cd)\n    CLASS ef(Ef)\n    PROP(Cd plain)\n};\nclass Ef\n{\n    PROP(int z)\n};\n"},

	// PODs.
	{name: "pod_paren_forms", src: "POD Pp ( int a , double b ) \nPOD Qq(\nint a,\ndouble b\n)\nPOD Rr( QMap<QString  ,  int >  foo ,   QMap<  double , int > bla ) \n" + cls + "    PROP(Pp p)\n    PROP(Qq q)\n    PROP(Rr r)\n};\n"},
	{name: "pod_paren_mentions_enum", src: "POD Pp(ENUM x)\n" + cls + "    PROP(Pp p)\n};\n",
		deviation: "Qt 6 rejects a POD(...) containing ENUM, Qt 5 does not; we follow Qt 6", deviationQt: Qt5},
	{name: "pod_brace_glue", src: "POD Pp{int a\nint b}\n" + cls + "    PROP(Pp p)\n};\n"},
	{name: "pod_brace_newline_before_brace", src: "POD Pp\n{int a}\n" + cls + "    PROP(Pp p)\n};\n"},
	{name: "pod_brace_comment_after_name", src: "POD Pp // c\n{int a}\n" + cls + "    PROP(Pp p)\n};\n"},
	{name: "pod_brace_trailing_comma", src: "POD Pp{int a,}\n"},
	{name: "pod_brace_template_spacing", src: "POD Pp{ QMap<QString  ,  int >  foo ,   QMap<  double , int > bla } \n" + cls + "    PROP(Pp p)\n};\n"},
	{name: "pod_brace_qualifiers", src: "POD Pp{unsigned int x, const QString &s, signed char c, QList<const int> l}\n" + cls + "    PROP(Pp p)\n};\n"},
	{name: "pod_brace_qualifier_without_name", src: "POD Pp{signed y}\n"},
	{name: "pod_brace_enum", src: "POD Pp{ENUM val {val1 = 1,\nval2,\nval3=12}\nval value,\ndouble foo\n}\n" + cls + "    PROP(Pp p)\n};\n"},
	{name: "pod_brace_enum_collides", src: "POD Pp{ENUM Mode {A} Mode m}\nENUM Mode {B}\n" + cls + "    PROP(Mode m)\n    PROP(Pp p)\n};\n"},
	{name: "pod_brace_flag_unknown", src: "POD Pp{FLAG(Fs Nope) int a}\n"},
	{name: "pod_brace_template_newline", src: "POD Pp{QMap<QString,\n int> m}\n" + cls + "    PROP(Pp p)\n};\n"},

	// Qt 6 enum syntax and flags.
	{name: "enum_class_forms", src: "ENUM class En { A }\nENUM Ty : std::uint8_t { B }\nENUM class Uc: unsigned char { C }\n" + cls + "    PROP(En e)\n    PROP(Ty t)\n    PROP(Uc u)\n};\n"},
	{name: "flag_unknown_enum", src: "FLAG(Fs Nope)\n"},
	{name: "flag_before_enum_in_class", src: cls + "    FLAG(Fs En)\n    ENUM En { A }\n};\n"},
	{name: "flag_forms", src: "ENUM En { A = 1, B = 2 }\nFLAG (Ens  En)\n" + cls + "    ENUM Mo { C = 1 }\n    FLAG(Mos Mo)\n    PROP(Ens e)\n    PROP(Mos m)\n    SLOT(Ens f(Mos m))\n};\n"},
}
