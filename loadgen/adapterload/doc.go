// Package adapterload runs the load modes of specs/ADAPTER.md §9 over an
// impl/node Host or Replica, as fixtures/peer/load.cpp runs them over Qt: the
// host modes send through loadgen/pace's loop, the receive mode counts with
// loadgen/seq's detector, every time is loadgen/clock's. The Go adapter
// (impl/nodeadapter) parses nothing of a load command but its mode and hands
// the command, the node objects and a Report to the functions here.
package adapterload
