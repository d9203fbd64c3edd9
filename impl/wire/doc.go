// Package wire is the QtRO packet codec: frames (u32 size, u16 type, body),
// every packet type as a Go struct, class definitions, QtRO's own user types
// (QRO_, the registry's source locations), and the two dialects Qt 5.15
// ("QtRO 1.3", big-endian) and Qt 6.4 ("QtRO 2.0", little-endian).
//
// Values inside packets are QVariants from package qds. Connection state,
// sources and replicas are not here; see the node packages.
package wire
