package channels

import (
	"context"
	"errors"
	"net"
	"net/textproto"
	"strconv"

	gomail "github.com/wneessen/go-mail"

	"github.com/candor/candor/models"
)

// smtpStages names the step of an SMTP transaction a go-mail error came
// from, without any of its text (which may hold the address).
var smtpStages = map[gomail.SendErrReason]string{
	gomail.ErrGetSender:     "MAIL FROM",
	gomail.ErrGetRcpts:      "RCPT TO",
	gomail.ErrSMTPMailFrom:  "MAIL FROM",
	gomail.ErrSMTPRcptTo:    "RCPT TO",
	gomail.ErrSMTPData:      "DATA",
	gomail.ErrWriteContent:  "message content",
	gomail.ErrSMTPDataClose: "end of data",
	gomail.ErrSMTPReset:     "RSET",
	gomail.ErrConnCheck:     "connection check",
	gomail.ErrNoUnencoded:   "8BITMIME check",
}

// classifySMTP turns a go-mail send error into a *SendError. It also says
// whether the connection is still usable (the server answered with an SMTP
// reply other than 421) and whether the failure looks like a stale pooled
// connection that failed before the message was handed over, so a fresh
// connection may be tried.
//
// An SMTP reply classifies by its code: 4xx transient, 5xx permanent. No
// reply means the connection failed: transient, and MaybeSent when it
// failed waiting for the answer to the end of the data, after which the
// server may have queued the message.
func classifySMTP(ctx context.Context, err error) (se *SendError, keepConn, stale bool) {
	var ge *gomail.SendError
	if !errors.As(err, &ge) {
		return networkError(models.ChannelEmail, ctx, err), false, false
	}
	stage := smtpStages[ge.Reason]
	if stage == "" {
		stage = "send"
	}
	if code := ge.ErrorCode(); code >= 400 && code < 600 {
		reason := "smtp " + strconv.Itoa(code)
		if esc := ge.EnhancedStatusCode(); esc != "" {
			reason += " " + esc
		}
		reason += " at " + stage
		return &SendError{Channel: models.ChannelEmail, Permanent: code >= 500, Reason: reason}, code != 421, false
	}
	switch ge.Reason {
	case gomail.ErrGetSender, gomail.ErrGetRcpts:
		return permanent(models.ChannelEmail, "invalid address", nil), true, false
	case gomail.ErrNoUnencoded:
		return permanent(models.ChannelEmail, "server refuses 8-bit content", nil), true, false
	}
	se = transient(models.ChannelEmail, "connection lost at "+stage, nil)
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		se = transient(models.ChannelEmail, "timeout (context deadline) at "+stage, ctx.Err())
	case ctx.Err() != nil:
		se = transient(models.ChannelEmail, "cancelled at "+stage, ctx.Err())
	}
	se.MaybeSent = ge.Reason == gomail.ErrSMTPDataClose
	stale = ge.Reason == gomail.ErrConnCheck || ge.Reason == gomail.ErrSMTPMailFrom
	return se, false, stale
}

// dialError classifies a failure to connect, say hello, start TLS or
// authenticate. It is transient whatever the server said: it is about the
// server or Candor's settings, not about the message, and must not fail the
// delivery for good.
func dialError(ctx context.Context, err error) *SendError {
	if ctx.Err() != nil {
		return networkError(models.ChannelEmail, ctx, err)
	}
	var tpe *textproto.Error
	if errors.As(err, &tpe) {
		return transient(models.ChannelEmail, "smtp connect: reply "+strconv.Itoa(tpe.Code), nil)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return transient(models.ChannelEmail, "smtp connect: timeout", nil)
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return transient(models.ChannelEmail, "smtp connect: network error during "+oe.Op, nil)
	}
	return transient(models.ChannelEmail, "smtp connect, TLS or authentication failed", nil)
}
