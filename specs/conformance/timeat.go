package conformance

import "time"

func timeAt(startUnix int64, offsetNs int64) time.Time {
	return time.Unix(startUnix, 0).Add(time.Duration(offsetNs))
}
