//go:build !unix

package main

// raiseFileLimit does nothing where there is no RLIMIT_NOFILE (Windows
// bounds handles per process, not by a soft limit).
func raiseFileLimit() {}
