package report

import (
	"fmt"
	"io"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/qtro/qtro/loadgen/result"
)

// HdrLog writes the run's per-second latency histograms in HdrHistogram's
// interval log format (V2 compressed, as HistogramLogAnalyzer and hdr-plot
// read it): one line per second of the run, values in nanoseconds.
func HdrLog(w io.Writer, s *result.Summary) error {
	lw := hdr.NewHistogramLogWriter(w)
	startMs := s.T0UnixNs / 1e6
	if err := lw.OutputComment(fmt.Sprintf("qtro loadgen %s: %s latency, ns, one interval per second from the load start", s.Name, s.LatencyKind)); err != nil {
		return err
	}
	if err := lw.OutputLogFormatVersion(); err != nil {
		return err
	}
	if err := lw.OutputStartTime(startMs); err != nil {
		return err
	}
	if err := lw.OutputBaseTime(startMs); err != nil {
		return err
	}
	lw.SetBaseTime(startMs)
	if err := lw.OutputLegend(); err != nil {
		return err
	}
	for _, p := range s.Series {
		if p.Hist == "" {
			continue
		}
		h, err := result.DecodeHist(p.Hist)
		if err != nil {
			return err
		}
		h.SetStartTimeMs(startMs + int64(p.T)*1000)
		h.SetEndTimeMs(startMs + int64(p.T+1)*1000)
		if err := lw.OutputIntervalHistogram(h); err != nil {
			return err
		}
	}
	return nil
}
