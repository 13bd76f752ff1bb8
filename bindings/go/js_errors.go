package nats

/*
#include "js_shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"strings"
)

// ErrorCode is the server's numeric JetStream error (the err_code field of an API error).
type ErrorCode uint16

// JetStream error codes nats.go names.
const (
	JSErrCodeJetStreamNotEnabledForAccount ErrorCode = 10039
	JSErrCodeJetStreamNotEnabled           ErrorCode = 10076
	JSErrCodeInsufficientResourcesErr      ErrorCode = 10023
	JSErrCodeJetStreamNotAvailable         ErrorCode = 10008

	JSErrCodeStreamNotFound  ErrorCode = 10059
	JSErrCodeStreamNameInUse ErrorCode = 10058

	JSErrCodeConsumerNotFound      ErrorCode = 10014
	JSErrCodeConsumerNameExists    ErrorCode = 10013
	JSErrCodeConsumerAlreadyExists ErrorCode = 10105

	jsErrCodeConsumerExists            ErrorCode = 10148 // a consumer of that name with another configuration
	jsErrCodeConsumerDoesNotExist      ErrorCode = 10149 // an update of a missing consumer
	JSErrCodeDuplicateFilterSubjects   ErrorCode = 10136
	JSErrCodeOverlappingFilterSubjects ErrorCode = 10138
	JSErrCodeConsumerEmptyFilter       ErrorCode = 10139

	JSErrCodeMessageNotFound ErrorCode = 10037

	JSErrCodeBadRequest   ErrorCode = 10003
	JSStreamInvalidConfig ErrorCode = 10052

	JSErrCodeStreamWrongLastSequence ErrorCode = 10071
)

// APIError is the error object the JetStream API puts in a response when a request failed.
type APIError struct {
	Code        int       `json:"code"`
	ErrorCode   ErrorCode `json:"err_code"`
	Description string    `json:"description,omitempty"`
}

// Error returns the server's description of the failure, prefixed with "nats: ".
func (e *APIError) Error() string {
	return fmt.Sprintf("nats: %s", e.Description)
}

// APIError returns e itself, so that *APIError satisfies JetStreamError.
func (e *APIError) APIError() *APIError {
	return e
}

// Is matches against an APIError (by error code).
func (e *APIError) Is(err error) bool {
	if e == nil {
		return false
	}
	var aerr *APIError
	if !errors.As(err, &aerr) {
		return false
	}
	return e.ErrorCode == aerr.ErrorCode
}

// JetStreamError is implemented by JetStream errors. APIError gives the server's error object,
// or nil when the error arose in the client.
type JetStreamError interface {
	APIError() *APIError
	error
}

type jsError struct {
	apiErr  *APIError
	message string
}

func (err *jsError) APIError() *APIError {
	return err.apiErr
}

func (err *jsError) Error() string {
	if err.apiErr != nil && err.apiErr.Description != "" {
		return err.apiErr.Error()
	}
	return fmt.Sprintf("nats: %s", err.message)
}

func (err *jsError) Unwrap() error {
	if err.apiErr == nil {
		return nil
	}
	return err.apiErr
}

func apiSentinel(code int, ec ErrorCode, descr string) JetStreamError {
	return &jsError{apiErr: &APIError{Code: code, ErrorCode: ec, Description: descr}}
}

func jsMsgError(m string) JetStreamError { return &jsError{message: m} }

// nats.go's JetStream error values.
var (
	ErrJetStreamNotEnabled           = apiSentinel(503, JSErrCodeJetStreamNotEnabled, "jetstream not enabled")
	ErrJetStreamNotEnabledForAccount = apiSentinel(503, JSErrCodeJetStreamNotEnabledForAccount, "jetstream not enabled for account")
	ErrStreamNotFound                = apiSentinel(404, JSErrCodeStreamNotFound, "stream not found")
	ErrStreamNameAlreadyInUse        = apiSentinel(400, JSErrCodeStreamNameInUse, "stream name already in use")
	ErrConsumerNotFound              = apiSentinel(404, JSErrCodeConsumerNotFound, "consumer not found")
	ErrMsgNotFound                   = apiSentinel(404, JSErrCodeMessageNotFound, "message not found")
	ErrBadRequest                    = apiSentinel(400, JSErrCodeBadRequest, "bad request")
	ErrDuplicateFilterSubjects       = apiSentinel(500, JSErrCodeDuplicateFilterSubjects, "consumer cannot have both FilterSubject and FilterSubjects specified")
	ErrOverlappingFilterSubjects     = apiSentinel(500, JSErrCodeOverlappingFilterSubjects, "consumer subject filters cannot overlap")
	ErrEmptyFilter                   = apiSentinel(500, JSErrCodeConsumerEmptyFilter, "consumer filter in FilterSubjects cannot be empty")

	ErrConsumerNameAlreadyInUse    = jsMsgError("consumer name already in use")
	ErrConsumerNotActive           = jsMsgError("consumer not active")
	ErrInvalidJSAck                = jsMsgError("invalid jetstream publish response")
	ErrStreamConfigRequired        = jsMsgError("stream configuration is required")
	ErrStreamNameRequired          = jsMsgError("stream name is required")
	ErrConsumerNameRequired        = jsMsgError("consumer name is required")
	ErrConsumerConfigRequired      = jsMsgError("consumer configuration is required")
	ErrPullSubscribeToPushConsumer = jsMsgError("cannot pull subscribe to push based consumer")
	ErrPullSubscribeRequired       = jsMsgError("must use pull subscribe to bind to pull based consumer")
	ErrMsgAlreadyAckd              = jsMsgError("message was already acknowledged")
	ErrNoStreamResponse            = jsMsgError("no response from stream")
	ErrNotJSMessage                = jsMsgError("not a jetstream message")
	ErrInvalidStreamName           = jsMsgError("invalid stream name")
	ErrInvalidConsumerName         = jsMsgError("invalid consumer name")
	ErrInvalidFilterSubject        = jsMsgError("invalid filter subject")
	ErrNoMatchingStream            = jsMsgError("no stream matches subject")
	ErrSubjectMismatch             = jsMsgError("subject does not match consumer")
	ErrContextAndTimeout           = jsMsgError("context and timeout can not both be set")
	ErrCantAckIfConsumerAckNone    = jsMsgError("cannot acknowledge a message for a consumer with AckNone policy")
	ErrConsumerDeleted             = jsMsgError("consumer deleted")
	ErrConsumerLeadershipChanged   = jsMsgError("Leadership Changed")
	ErrNoHeartbeat                 = jsMsgError("no heartbeat received")
	ErrSubscriptionClosed          = jsMsgError("subscription closed")
	ErrJetStreamPublisherClosed    = jsMsgError("jetstream context closed")
	ErrAsyncPublishTimeout         = jsMsgError("timeout waiting for ack")
	ErrTooManyStalledMsgs          = jsMsgError("stalled with too many outstanding async published messages")
	ErrFetchDisconnected           = jsMsgError("disconnected during fetch")
	ErrAsyncPublishReplySubjectSet = jsMsgError("reply subject should be empty")
	ErrJetStreamBadPre             = jsMsgError("the api prefix cannot contain a wildcard")
	ErrInvalidDurableName          = errors.New("nats: invalid durable name")
)

// What a failed call was about, to map NOT_FOUND and NO_RESPONDERS like nats.go.
type jsCall int

const (
	jsCallAPI jsCall = iota
	jsCallStream
	jsCallConsumer
	jsCallMsg
	jsCallPublish
	jsCallSubscribe
)

// jsErr maps a status and the error copied by the same C call (text, API codes) to nats.go's
// errors: the well-known API errors as nats.go's sentinels, other API errors as *APIError.
func jsErr(st C.natsrs_status, je *C.gn_jerr, call jsCall) error {
	text := freeJErr(je)
	if st == C.NATSRS_STATUS_OK {
		return nil
	}
	if je.has_api {
		ec := ErrorCode(je.err_code)
		descr := trimStatusPrefix(int(st), text) // the server's description, as nats.go has it
		if i := strings.LastIndex(descr, " (code "); i >= 0 {
			descr = descr[:i]
		}
		for _, s := range []JetStreamError{ErrStreamNotFound, ErrConsumerNotFound, ErrMsgNotFound, ErrStreamNameAlreadyInUse,
			ErrJetStreamNotEnabled, ErrJetStreamNotEnabledForAccount, ErrBadRequest, ErrDuplicateFilterSubjects,
			ErrOverlappingFilterSubjects, ErrEmptyFilter} {
			if s.APIError().ErrorCode == ec {
				return s
			}
		}
		return &APIError{Code: int(je.code), ErrorCode: ec, Description: descr}
	}
	switch int(st) {
	case stNotFound:
		switch call {
		case jsCallStream:
			return ErrStreamNotFound
		case jsCallConsumer:
			return ErrConsumerNotFound
		case jsCallMsg:
			return ErrMsgNotFound
		case jsCallSubscribe:
			if strings.Contains(text, "stream") && !strings.Contains(text, "consumer") {
				return ErrNoMatchingStream
			}
			return ErrConsumerNotFound
		}
	case stNoResponders:
		if call == jsCallPublish {
			return ErrNoStreamResponse
		}
		return ErrJetStreamNotEnabled
	}
	return statusError(int(st), text)
}
