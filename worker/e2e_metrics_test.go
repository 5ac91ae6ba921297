package worker_test

import "github.com/candor/candor/models"

// lateSends reads how many sent messages candor_send_lateness_seconds
// observed on channel ch, from the pipeline's registry.
func (h *harness) lateSends(ch models.Channel) uint64 {
	h.t.Helper()
	families, err := h.metrics.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "candor_send_lateness_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "channel" && l.GetValue() == string(ch) {
					return m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	h.t.Fatalf("no candor_send_lateness_seconds{channel=%q}", ch)
	return 0
}
