// Package harness runs real QtRO peers for interop cases: as containers on a
// Docker network the case creates (testcontainers-go, images from
// ci/build-images.sh), or as native processes when Docker is absent or
// QTRO_INTEROP_NATIVE=1, and says loudly which one it is doing.
//
// A [Case] owns everything one interop case needs: a Docker network (peers reach
// each other by network alias), a socket directory shared by every peer (local:
// URLs), packet captures, and an artifact directory out/interop/<case>/ holding
// each peer's stdin, stdout and stderr, a timestamped transcript and the pcaps.
// Every peer is a [Process]: an stdin writer, an stdout reader and an exit code,
// whether it runs natively or in a container, so a JSON-lines adapter driver
// treats both alike.
//
// Traffic capture: TCP between containers is captured by tcpdump on the case's
// bridge (Ethernet framing); native TCP by tcpdump on lo; local: and
// localabstract: sockets, which tcpdump cannot see, by a relaying proxy ([Case.Tap])
// that writes the bytes as synthesized Ethernet/IPv4/TCP packets. All of them are
// ordinary pcap files that gopacket's pcapgo reads.
//
// The package does not speak QtRO and does not know the adapter protocol: it
// starts, connects, records and stops peers.
package harness
