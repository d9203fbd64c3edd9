// Package qds encodes and decodes Qt's QDataStream wire forms: the primitive
// types, QString/QByteArray, containers and QVariant, in either byte order and
// at the stream versions QtRO uses (18 and 19 for Qt 5.15, 20 for Qt 6.4).
//
// It owns values and their bytes only. Framing, packets and QtRO's own user
// types live in package wire, which sits on top of this one.
//
// Every Decoder enforces hard limits (nesting depth, element counts, string
// and byte-array lengths) and never allocates more than the bytes it was given
// can fill, so a hostile length prefix cannot make it allocate gigabytes.
package qds
