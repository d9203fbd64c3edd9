// Package rep reads Qt Remote Objects .rep files (the repc language) and
// computes what a repc-generated class exposes: its wire API (the ordered
// property, signal and method lists QtRO indexes by position) and its class
// signature as Qt 5.15 repc (SignatureV1) and Qt 6.4 repc (SignatureV2)
// compute it.
//
// The parser reproduces repc rather than an idealised grammar: the lexer uses
// repc's own token regular expressions with its longest-match rule, and the
// parser actions port repc's string handling, quirks included, because class
// signatures hash exactly what repc extracted. Inputs repc rejects are
// rejected with a line:column error. Everything is checked against the real
// repc binaries by this package's tests (see repc_test.go).
//
// The package owns .rep text and the data derived from it. It does not own
// the wire encoding of class definitions, which builds on API.
package rep
