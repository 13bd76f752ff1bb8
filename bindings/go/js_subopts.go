package nats

import (
	"context"
	"fmt"
	"time"
)

// The SubOpts of nats.go's JetStream subscribe calls: they fill the base consumer config the
// library completes (deliver subject, filter subject, name), or select the stream / consumer.

// SubOpt is an option for creating a JetStream subscription and its consumer.
type SubOpt interface {
	configureSubscribe(opts *subOpts) error
}

type subOptFn func(opts *subOpts) error

func (f subOptFn) configureSubscribe(opts *subOpts) error { return f(opts) }

type subOpts struct {
	stream   string // BindStream / Bind
	consumer string // Bind
	mack     bool
	cfg      *ConsumerConfig
	ctx      context.Context
	ordered  bool
	unsup    []string // options the C API cannot honour (reported by subscribe)
}

// ManualAck stops a callback subscription from acking each message after its handler returns.
func ManualAck() SubOpt { return subOptFn(func(o *subOpts) error { o.mack = true; return nil }) }

// Description sets the description of the consumer the subscription creates.
func Description(description string) SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.Description = description; return nil })
}

// Durable gives the subscription's consumer a durable name; an existing consumer of that name is
// reused.
func Durable(consumer string) SubOpt {
	return subOptFn(func(o *subOpts) error {
		if o.cfg.Durable != "" && o.cfg.Durable != consumer {
			return fmt.Errorf("nats: option Durable conflicts with durable name set")
		}
		if err := checkConsumerName(consumer); err != nil {
			return err // (nats.go: ErrInvalidConsumerName)
		}
		o.cfg.Durable = consumer
		return nil
	})
}

// ConsumerName sets the name for the consumer (an ephemeral one unless Durable is set).
func ConsumerName(name string) SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.Name = name; return nil })
}

// DeliverAll makes the consumer start with the first message in the stream.
func DeliverAll() SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.DeliverPolicy = DeliverAllPolicy; return nil })
}

// DeliverLast makes the consumer start with the stream's newest message.
func DeliverLast() SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.DeliverPolicy = DeliverLastPolicy; return nil })
}

// DeliverLastPerSubject makes the consumer start with the newest message of each subject that
// matches its filter.
func DeliverLastPerSubject() SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.DeliverPolicy = DeliverLastPerSubjectPolicy; return nil })
}

// DeliverNew makes the consumer deliver only messages stored after it was created.
func DeliverNew() SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.DeliverPolicy = DeliverNewPolicy; return nil })
}

// StartSequence makes the consumer start at stream sequence seq.
func StartSequence(seq uint64) SubOpt {
	return subOptFn(func(o *subOpts) error {
		o.cfg.DeliverPolicy = DeliverByStartSequencePolicy
		o.cfg.OptStartSeq = seq
		return nil
	})
}

// StartTime makes the consumer start with the first message stored at or after startTime.
func StartTime(startTime time.Time) SubOpt {
	return subOptFn(func(o *subOpts) error {
		o.cfg.DeliverPolicy = DeliverByStartTimePolicy
		o.cfg.OptStartTime = &startTime
		return nil
	})
}

// AckNone creates the consumer with AckNonePolicy: messages need no acknowledgement.
func AckNone() SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.AckPolicy = AckNonePolicy; return nil })
}

// AckAll creates the consumer with AckAllPolicy: acking one message also acks every earlier one.
func AckAll() SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.AckPolicy = AckAllPolicy; return nil })
}

// AckExplicit creates the consumer with AckExplicitPolicy: each message must be acked on its own.
func AckExplicit() SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.AckPolicy = AckExplicitPolicy; return nil })
}

// MaxDeliver caps how many times the server delivers a message to the consumer.
func MaxDeliver(n int) SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.MaxDeliver = n; return nil })
}

// MaxAckPending caps how many delivered messages may await an ack before the server pauses
// delivery.
func MaxAckPending(n int) SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.MaxAckPending = n; return nil })
}

// ReplayOriginal makes the consumer deliver stored messages with their original timing.
func ReplayOriginal() SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.ReplayPolicy = ReplayOriginalPolicy; return nil })
}

// ReplayInstant makes the consumer deliver stored messages without delay.
func ReplayInstant() SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.ReplayPolicy = ReplayInstantPolicy; return nil })
}

// RateLimit caps a push consumer's delivery rate, in bits per second.
func RateLimit(n uint64) SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.RateLimit = n; return nil })
}

// BackOff sets the redelivery delays: the n-th entry is used after the n-th delivery (the last
// one for all later deliveries).
func BackOff(backOff []time.Duration) SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.BackOff = backOff; return nil })
}

// BindStream names the stream to use instead of looking it up from the subject.
func BindStream(stream string) SubOpt {
	return subOptFn(func(o *subOpts) error {
		if o.stream != "" && o.stream != stream {
			return fmt.Errorf("nats: duplicate stream name (%s and %s)", o.stream, stream)
		}
		o.stream = stream
		return nil
	})
}

// Bind attaches the subscription to an existing consumer of stream; nothing is created.
func Bind(stream, consumer string) SubOpt {
	return subOptFn(func(o *subOpts) error {
		if stream == "" {
			return ErrStreamNameRequired
		}
		if consumer == "" {
			return ErrConsumerNameRequired
		}
		o.stream = stream
		o.consumer = consumer
		return nil
	})
}

// EnableFlowControl turns on server flow control for a push consumer.
func EnableFlowControl() SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.FlowControl = true; return nil })
}

// IdleHeartbeat asks the server to send heartbeats to a push consumer while it is idle.
func IdleHeartbeat(duration time.Duration) SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.Heartbeat = duration; return nil })
}

// HeadersOnly makes the consumer deliver only the headers of the messages.
func HeadersOnly() SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.HeadersOnly = true; return nil })
}

// MaxRequestBatch caps the batch size a single pull request may ask for.
func MaxRequestBatch(max int) SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.MaxRequestBatch = max; return nil })
}

// MaxRequestExpires caps the expiry a single pull request may ask for (a fetch's timeout).
func MaxRequestExpires(max time.Duration) SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.MaxRequestExpires = max; return nil })
}

// MaxRequestMaxBytes caps the byte total a single pull request may ask for.
func MaxRequestMaxBytes(bytes int) SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.MaxRequestMaxBytes = bytes; return nil })
}

// InactiveThreshold sets how long the consumer may sit unused before the server deletes it.
func InactiveThreshold(threshold time.Duration) SubOpt {
	return subOptFn(func(o *subOpts) error {
		if threshold < 0 {
			return fmt.Errorf("invalid InactiveThreshold value (%v), needs to be greater or equal to 0", threshold)
		}
		o.cfg.InactiveThreshold = threshold
		return nil
	})
}

// ConsumerReplicas sets the consumer's replica count (at least 1).
func ConsumerReplicas(replicas int) SubOpt {
	return subOptFn(func(o *subOpts) error {
		if replicas < 1 {
			return fmt.Errorf("invalid ConsumerReplicas value (%v), needs to be greater than 0", replicas)
		}
		o.cfg.Replicas = replicas
		return nil
	})
}

// ConsumerMemoryStorage keeps the consumer's state in memory instead of the stream's storage.
func ConsumerMemoryStorage() SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.MemoryStorage = true; return nil })
}

// ConsumerFilterSubjects sets several filter subjects on the consumer.
func ConsumerFilterSubjects(subjects ...string) SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.FilterSubjects = subjects; return nil })
}

// PullMaxWaiting caps how many pull requests may wait on the consumer at once.
func PullMaxWaiting(n int) SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.MaxWaiting = n; return nil })
}

// SkipConsumerLookup is accepted for compatibility and does nothing: the consumer lookup with
// Bind or Durable is cheap and still done by libnatsrs.
func SkipConsumerLookup() SubOpt { return subOptFn(func(o *subOpts) error { return nil }) }

// DeliverSubject sets the subject a push consumer created by the subscription delivers to,
// instead of a new inbox (natsrs_js_subscribe_options_set_deliver_subject). An existing
// consumer keeps its own; a pull subscription refuses it (ErrPullSubscribeToPushConsumer).
func DeliverSubject(subject string) SubOpt {
	return subOptFn(func(o *subOpts) error { o.cfg.DeliverSubject = subject; return nil })
}
