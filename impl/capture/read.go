package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// File magics.
const (
	pcapMicroLE = 0xa1b2c3d4 // read little-endian
	pcapNanoLE  = 0xa1b23c4d
	pcapngSHB   = 0x0a0d0d0a
)

// Open reads the capture file at path in whichever format it is (see Read).
func Open(path string, lim Limits) (*Capture, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, lim)
}

// Read reads a capture in any format this package knows, told apart by its
// first bytes: pcap (either byte order, micro- or nanosecond), pcapng, either
// of them gzip-compressed, or else a hex transcript. The whole input is
// read into memory, at most lim.MaxInput bytes.
func Read(r io.Reader, lim Limits) (*Capture, error) {
	lim = lim.withDefaults()
	data, err := readAll(r, lim.MaxInput, "input")
	if err != nil {
		return nil, err
	}
	if isPcap(data) {
		return parsePcap(data, lim)
	}
	return parseTranscript(data)
}

// ReadTranscript reads a hex transcript (see ParseTranscript) into streams.
func ReadTranscript(r io.Reader, lim Limits) (*Capture, error) {
	lim = lim.withDefaults()
	data, err := readAll(r, lim.MaxInput, "transcript")
	if err != nil {
		return nil, err
	}
	return parseTranscript(data)
}

func parseTranscript(data []byte) (*Capture, error) {
	recs, err := ParseTranscript(bytes.NewReader(data))
	if err != nil {
		return nil, &FormatError{Format: "transcript", Offset: -1, Err: fmt.Errorf("%w: %v", ErrFormat, err)}
	}
	if len(recs) == 0 {
		return nil, &FormatError{Format: "transcript", Offset: -1, Err: fmt.Errorf("%w: no frame records (want a pcap, a pcapng or lines like \"S->C ...\" followed by indented hex)", ErrNoTraffic)}
	}
	return FromRecords(recs), nil
}

// isPcap reports whether data starts like a pcap, a pcapng or a gzip file.
func isPcap(data []byte) bool {
	if len(data) < 4 {
		return false
	}
	if data[0] == 0x1f && data[1] == 0x8b {
		return true
	}
	switch binary.LittleEndian.Uint32(data) {
	case pcapMicroLE, pcapNanoLE, pcapngSHB:
		return true
	}
	switch binary.BigEndian.Uint32(data) {
	case pcapMicroLE, pcapNanoLE:
		return true
	}
	return false
}

// readAll reads r to the end, failing with ErrLimit past max bytes.
func readAll(r io.Reader, max int64, what string) ([]byte, error) {
	var buf bytes.Buffer
	if lr, ok := r.(interface{ Len() int }); ok {
		// An in-memory reader (bytes.Reader, strings.Reader, bytes.Buffer)
		// says how much is left: one buffer of that size (ReadFrom wants
		// MinRead bytes free before each read, the last one included)
		// instead of doubling from 512 bytes.
		buf.Grow(int(min(int64(lr.Len()), max+1)) + bytes.MinRead)
	}
	n, err := buf.ReadFrom(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if n > max {
		return nil, &FormatError{Format: what, Offset: max, Err: fmt.Errorf("%w: more than %d bytes (Limits.MaxInput)", ErrLimit, max)}
	}
	return buf.Bytes(), nil
}

// gunzip decompresses a gzip'd capture, within the input limit.
func gunzip(data []byte, max int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, &FormatError{Format: "gzip", Err: fmt.Errorf("%w: %v", ErrCorrupt, err)}
	}
	out, err := readAll(zr, max, "gzip")
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			return nil, err
		}
		return nil, &FormatError{Format: "gzip", Err: fmt.Errorf("%w: %v", ErrCorrupt, err)}
	}
	return out, nil
}
