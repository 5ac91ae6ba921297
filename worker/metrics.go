package worker

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/candor/candor/models"
)

// sendMetrics are the send path's Prometheus series: what each send came
// to per channel, and how long the channels took. Labels carry only the
// channel and the status, never a customer or an address.
type sendMetrics struct {
	outcomes *prometheus.CounterVec
	duration *prometheus.HistogramVec
	lateness *prometheus.HistogramVec
}

// newSendMetrics registers the send series on reg; a nil reg keeps none
// (the engine is then told no Observe function).
func newSendMetrics(reg prometheus.Registerer) (*sendMetrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &sendMetrics{
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "candor_send_outcomes_total",
			Help: "Claimed deliveries by channel and what their send came to (sent, failed, unknown, or queued again for a retry).",
		}, []string{"channel", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "candor_send_duration_seconds",
			Help:    "How long a channel took to accept or refuse one message.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"channel"}),
		// From a second (dispatch and queue hand-off) to a day (a
		// backlog): how late the workers keep the planned send times.
		lateness: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "candor_send_lateness_seconds",
			Help:    "How long after its scheduled time a message went out, by channel.",
			Buckets: []float64{1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600},
		}, []string{"channel"}),
	}
	for _, c := range []prometheus.Collector{m.outcomes, m.duration, m.lateness} {
		if err := reg.Register(c); err != nil {
			var dup prometheus.AlreadyRegisteredError
			if !errors.As(err, &dup) {
				return nil, err
			}
		}
	}
	// Every channel and final status is exported from the start, so a
	// rate over them reads 0 rather than "no data" before the first send
	// (and the alert rules' test finds every series they name).
	for _, ch := range models.Channels {
		m.duration.WithLabelValues(string(ch))
		m.lateness.WithLabelValues(string(ch))
		for _, st := range []models.DeliveryStatus{models.DeliverySent, models.DeliveryFailed, models.DeliveryUnknown, models.DeliveryQueued} {
			m.outcomes.WithLabelValues(string(ch), string(st))
		}
	}
	return m, nil
}

// observe counts one send's outcome; took is zero when nothing was handed
// to the channel (a render failure, a rate wait cut short).
func (m *sendMetrics) observe(ch models.Channel, status models.DeliveryStatus, took time.Duration) {
	m.outcomes.WithLabelValues(string(ch), string(status)).Inc()
	if took > 0 {
		m.duration.WithLabelValues(string(ch)).Observe(took.Seconds())
	}
}

// observeLateness records how late a sent message went out; a message
// sent early (a clock skew between processes) counts as on time.
func (m *sendMetrics) observeLateness(ch models.Channel, late time.Duration) {
	m.lateness.WithLabelValues(string(ch)).Observe(max(late, 0).Seconds())
}
