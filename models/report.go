package models

import "time"

// ReactionWindow is how long after a customer's message their opt-outs,
// downgrades and complaints count as a reaction to it.
const ReactionWindow = 7 * 24 * time.Hour

// EventChannelComplained is the outbox event type a spam complaint is
// recorded under (a channel's feedback, issue 11): the campaign report
// counts those of a recipient within ReactionWindow of their message.
// Until channel feedback is accepted no such event exists and the count
// is 0.
const EventChannelComplained EventType = "channel.complained"

// CampaignReport is what a campaign did to its audience's trust: who it
// reached, whether each message kept to the customer's wishes, how
// customers reacted, and when messages went out.
type CampaignReport struct {
	CampaignID int64          `json:"campaign_id"`
	State      CampaignState  `json:"state"`
	Funnel     ReportFunnel   `json:"funnel"`
	Respect    ReportRespect  `json:"respect"`
	Reaction   ReportReaction `json:"reaction"`
	Timing     ReportTiming   `json:"timing"`
}

// ReportFunnel follows the audience from the segment to the messages
// sent. SegmentSize = Excluded + Planned; Planned = Pending + Sent +
// Skipped + Failed + Unknown + Expired + Cancelled.
type ReportFunnel struct {
	SegmentSize int64            `json:"segment_size"`
	Excluded    map[Reason]int64 `json:"excluded"`
	Planned     int64            `json:"planned"`
	// Pending are still planned, queued or sending.
	Pending   int64            `json:"pending"`
	Sent      int64            `json:"sent"`
	Skipped   map[Reason]int64 `json:"skipped"`
	Failed    map[Reason]int64 `json:"failed"`
	Unknown   int64            `json:"unknown"`
	Expired   map[Reason]int64 `json:"expired"`
	Cancelled int64            `json:"cancelled"`
}

// ReportRespect says how many sent messages kept to the customer's
// wishes as they were when each was sent, judged from the snapshot the
// send recorded. A send is unverifiable when those wishes are no longer
// known (the customer was erased, or changed them before the history
// was kept); shares are of the verifiable sends, nil when there are none.
type ReportRespect struct {
	Sent               int64    `json:"sent"`
	Verifiable         int64    `json:"verifiable"`
	Unverifiable       int64    `json:"unverifiable"`
	InWindow           int64    `json:"in_window"`
	OnPreferredChannel int64    `json:"on_preferred_channel"`
	Respected          int64    `json:"respected"`
	InWindowShare      *float64 `json:"in_window_share"`
	ChannelShare       *float64 `json:"channel_share"`
	Share              *float64 `json:"share"`
}

// Rate is a count of customers and the same per 1,000 messages sent (0
// when nothing was sent).
type Rate struct {
	Count       int64   `json:"count"`
	PerThousand float64 `json:"per_1000_sent"`
}

// ReportReaction counts the recipients who, within WithinDays of their
// message, opted out of the campaign's topic, unsubscribed from
// everything (one-click), lowered their preferences or complained.
type ReportReaction struct {
	WithinDays      int  `json:"within_days"`
	TopicOptOuts    Rate `json:"topic_opt_outs"`
	Unsubscribes    Rate `json:"unsubscribes"`
	Downgrades      Rate `json:"downgrades"`
	CadenceLowered  Rate `json:"cadence_lowered"`
	WindowsNarrowed Rate `json:"windows_narrowed"`
	ChannelChanged  Rate `json:"channel_changed"`
	Complaints      Rate `json:"complaints"`
}

// ReportTiming counts sent messages by hour of day, in UTC and on each
// customer's own clock (index 0 is 00:00-00:59).
type ReportTiming struct {
	UTCHours   [24]int64 `json:"sends_per_utc_hour"`
	LocalHours [24]int64 `json:"sends_per_local_hour"`
}

// CampaignReportFacts are the counts storage aggregates for a campaign
// report; the rest is judged group by group (SentGroup) or record by
// record (SentRecord, PreferenceChange).
type CampaignReportFacts struct {
	Campaign *Campaign
	// Topic is the topic of the campaign's content.
	Topic    string
	Excluded map[Reason]int64
	// Statuses counts deliveries by status and reason.
	Statuses []StatusCount
	// UTCHours and LocalHours count sent deliveries by hour of sent_at
	// (UTC) and of the snapshot's local time.
	UTCHours, LocalHours [24]int64
	// TopicOptOuts, Unsubscribes and Complaints count recipients of a
	// sent message with such a reaction within ReactionWindow after it.
	TopicOptOuts, Unsubscribes, Complaints int64
}

// StatusCount is the number of deliveries in one status with one reason.
type StatusCount struct {
	Status DeliveryStatus
	Reason Reason
	Count  int64
}

// Preferences are a customer's wishes at one preference version.
type Preferences struct {
	Version  int
	Channel  Channel
	Timezone string
	Windows  []Window
	Cadence  *Cadence
}

// SentRecord is a sent delivery as a respect check sees it: what its
// snapshot says and the wishes of the preference version it honoured
// (nil when they are no longer known).
type SentRecord struct {
	DeliveryID int64
	Channel    Channel
	SentAt     time.Time
	Snapshot   SendSnapshot
	Wishes     *Preferences
}

// SentGroup is a set of sent records that a respect check judges alike,
// with Record standing for all Count of them. Storage groups records by
// everything the check reads; a Minute group also merges the seconds of
// one local minute (Record's snapshot names the minute's first second,
// SentAt that instant, or zero when the records' local time is not their
// send instant): the check must confirm that the zone judges every second
// of that minute alike before trusting it (docs/reports.md).
//
// OnChannel counts the records of the group sent on the wishes' channel
// (storage applies that rule of the check itself, so channels do not
// split groups; Record's channels are then empty).
type SentGroup struct {
	Record    SentRecord
	Minute    bool
	Count     int64
	OnChannel int64
}

// PreferenceChange is a recipient's change of wishes within
// ReactionWindow after their message: from Old to New at At.
type PreferenceChange struct {
	CustomerID int64
	At         time.Time
	Old, New   Preferences
	// Erased marks the change that erased the customer: not a downgrade.
	Erased bool
}
