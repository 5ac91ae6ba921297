package models

import (
	"slices"
	"strings"
)

// Channel is a way of reaching a customer. Every channel is described
// once, by a ChannelSpec registered in channel_specs.go; every layer reads
// that description instead of switching on channel names.
type Channel string

// Channels lists every channel in a stable order.
var Channels = channelNames()

// ChannelSpec describes one channel: how a customer is addressed on it,
// what its content looks like and which server settings it reads.
// Specs are values: changing a copy changes nothing registered.
type ChannelSpec struct {
	// Name is the channel as the API and the database spell it.
	Name Channel
	// AddressField is the JSON name of the customer field that holds
	// the channel's address ("email", "phone", "external_id"), so
	// explanations can name what is missing without showing the value.
	AddressField string
	// Address reads the channel's address from a customer ("" if none).
	Address func(c *Customer) string
	// Limits are the channel-fit limits the content checks apply.
	Limits ContentLimits
	// ListUnsubscribe says whether messages carry the RFC 8058
	// one-click unsubscribe headers (List-Unsubscribe and
	// List-Unsubscribe-Post).
	ListUnsubscribe bool
	// Settings name the server settings that configure the channel.
	Settings ChannelSettings

	// input says how a customer input's address field is normalised
	// and validated; nil when the address is the customer's external
	// id, which is normalised and validated as the customer's identity
	// and is never missing.
	input *addressInput
	// validateVariant records the problems of a content variant for
	// this channel (which parts it needs and which it must not have);
	// at is the variant's JSON pointer.
	validateVariant func(p *Problems, at string, v *Variant)
}

// ContentLimits are the channel-fit limits of a channel's content. A
// zero value applies no limit.
type ContentLimits struct {
	// SubjectChars: a longer subject draws a warning (0: not checked).
	SubjectChars int
	// TextWithHTML: an HTML body needs a plain-text alternative.
	TextWithHTML bool
	// WarnSegments and MaxSegments bound a message sent as SMS text,
	// counted in segments with the links Candor appends: more than
	// WarnSegments draws a warning, more than MaxSegments an error.
	// Zero: the message is not counted in segments.
	WarnSegments, MaxSegments int
}

// Segmented reports whether messages are counted in SMS segments.
func (l ContentLimits) Segmented() bool { return l.MaxSegments > 0 }

// ChannelSettings name, by environment variable, the server settings of
// a channel; the configs package resolves the names.
type ChannelSettings struct {
	// Transport is the variable that, when set, gives the channel a
	// transport of its own (in embedded mode a channel without one
	// writes to the outbox).
	Transport string
	// Rate is the variable holding the channel's send rate.
	Rate string
}

// addressInput is how a customer input's address field is normalised
// and checked.
type addressInput struct {
	field     func(in *CustomerInput) *string
	normalize func(s string) string
	// rule and detail name the problem of an address that is given but
	// not valid(address).
	rule, detail string
	valid        func(s string) bool
}

// ChannelSpecFor returns the spec of ch, and false for a channel that is
// not registered.
func ChannelSpecFor(ch Channel) (ChannelSpec, bool) {
	if s := lookupChannel(ch); s != nil {
		return *s, true
	}
	return ChannelSpec{}, false
}

// lookupChannel returns the registered spec of ch, or nil. It copies
// nothing, for the paths that run once per customer.
func lookupChannel(ch Channel) *ChannelSpec {
	for i := range channelSpecs {
		if channelSpecs[i].Name == ch {
			return &channelSpecs[i]
		}
	}
	return nil
}

// ChannelSpecs returns the spec of every channel, in the order of
// Channels.
func ChannelSpecs() []ChannelSpec { return slices.Clone(channelSpecs) }

// Valid reports whether ch is a registered channel.
func (ch Channel) Valid() bool { return lookupChannel(ch) != nil }

// ChannelList spells the channel names for messages: separated by ", ",
// with last before the final one, so ChannelList(" or ") is
// "email, sms or webhook" and ChannelList(", ") is "email, sms, webhook".
func ChannelList(last string) string {
	names := channelNames()
	if len(names) < 2 {
		return strings.Join(channelStrings(names), "")
	}
	head := channelStrings(names[:len(names)-1])
	return strings.Join(head, ", ") + last + string(names[len(names)-1])
}

func channelNames() []Channel {
	out := make([]Channel, len(channelSpecs))
	for i, s := range channelSpecs {
		out[i] = s.Name
	}
	return out
}

func channelStrings(chs []Channel) []string {
	out := make([]string, len(chs))
	for i, ch := range chs {
		out[i] = string(ch)
	}
	return out
}
