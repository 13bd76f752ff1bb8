package nats

import (
	"fmt"
	"iter"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Subscription status listeners (StatusChanged), the iterators over a synchronous
// subscription (Msgs, MsgsTimeout) and InitialConsumerPending.

// SubStatus represents the state of a subscription.
type SubStatus int

// The states of a subscription, as reported by StatusChanged.
const (
	SubscriptionActive = SubStatus(iota)
	SubscriptionDraining
	SubscriptionClosed
	SubscriptionSlowConsumer
)

func (s SubStatus) String() string {
	switch s {
	case SubscriptionActive:
		return "Active"
	case SubscriptionDraining:
		return "Draining"
	case SubscriptionClosed:
		return "Closed"
	case SubscriptionSlowConsumer:
		return "SlowConsumer"
	}
	return "unknown status"
}

// subStatus is the current status of a subscription and its listeners. cur is read without
// the lock by the pump (once per batch).
type subStatus struct {
	cur       atomic.Int32
	mu        sync.Mutex
	listeners map[chan SubStatus][]SubStatus
}

// subStatusBuffer is the capacity of a StatusChanged channel (as nats.go).
const subStatusBuffer = 10

// StatusChanged returns a channel that receives the subscription's state changes, limited to
// statuses if any are given (else all: SubscriptionActive, SubscriptionDraining,
// SubscriptionClosed, SubscriptionSlowConsumer). The channel is closed when the subscription
// ends.
func (s *Subscription) StatusChanged(statuses ...SubStatus) <-chan SubStatus {
	if len(statuses) == 0 {
		statuses = []SubStatus{SubscriptionActive, SubscriptionDraining, SubscriptionClosed, SubscriptionSlowConsumer}
	}
	ch := make(chan SubStatus, subStatusBuffer)
	st := &s.stat
	st.mu.Lock()
	defer st.mu.Unlock()
	cur := SubStatus(st.cur.Load())
	if cur == SubscriptionClosed {
		if slices.Contains(statuses, SubscriptionClosed) {
			ch <- SubscriptionClosed
		}
		close(ch)
		return ch
	}
	if st.listeners == nil {
		st.listeners = map[chan SubStatus][]SubStatus{}
	}
	for _, status := range statuses {
		st.listeners[ch] = append(st.listeners[ch], status)
		if status == cur {
			select {
			case ch <- status:
			default:
			}
		}
	}
	return ch
}

// changeStatus records a transition and tells the listeners that asked for it (without
// blocking); SubscriptionClosed closes every listener's channel. Nothing is sent once closed.
func (s *Subscription) changeStatus(status SubStatus) {
	st := &s.stat
	st.mu.Lock()
	defer st.mu.Unlock()
	if SubStatus(st.cur.Load()) == SubscriptionClosed {
		return
	}
	st.cur.Store(int32(status))
	for ch, want := range st.listeners {
		if !slices.Contains(want, status) {
			continue
		}
		select {
		case ch <- status:
		default:
		}
	}
	if status == SubscriptionClosed {
		for ch := range st.listeners {
			close(ch)
		}
		st.listeners = nil
	}
}

// undoDraining goes back to active when a drain could not start.
func (s *Subscription) undoDraining() {
	if SubStatus(s.stat.cur.Load()) == SubscriptionDraining && !s.closedF.Load() {
		s.changeStatus(SubscriptionActive)
	}
}

// slowConsumer reports a slow-consumer drop (once until the subscription is active again, as
// nats.go).
func (s *Subscription) slowConsumer() {
	if SubStatus(s.stat.cur.Load()) == SubscriptionActive {
		s.changeStatus(SubscriptionSlowConsumer)
	}
}

// subsDraining marks every subscription of the connection as draining (Conn.Drain).
func (c *connCore) subsDraining() {
	subs := c.liveSubs()
	for _, s := range subs {
		s.changeStatus(SubscriptionDraining)
	}
}

// Msgs iterates over the messages of a SubscribeSync or QueueSubscribeSync subscription (other
// kinds yield an error at once). Each step waits as long as it takes for a message. Stopping
// the loop leaves the subscription open.
func (s *Subscription) Msgs() iter.Seq2[*Msg, error] {
	return func(yield func(*Msg, error) bool) {
		for {
			m, err := s.nextMsgNoTimeout()
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(m, nil) {
				return
			}
		}
	}
}

// MsgsTimeout is Msgs with a limit on each wait: when timeout passes without a message the
// iterator yields ErrTimeout and the loop may go on. Stopping the loop leaves the subscription
// open.
func (s *Subscription) MsgsTimeout(timeout time.Duration) iter.Seq2[*Msg, error] {
	return func(yield func(*Msg, error) bool) {
		for {
			m, err := s.NextMsg(timeout)
			if err != nil {
				if !yield(nil, err) || err != ErrTimeout {
					return
				}
				continue
			}
			if !yield(m, nil) {
				return
			}
		}
	}
}

// nextMsgNoTimeout is NextMsg without a timeout: it waits until a message comes or the
// subscription ends (no OS thread is held while it waits).
func (s *Subscription) nextMsgNoTimeout() (*Msg, error) {
	if s == nil {
		return nil, ErrBadSubscription
	}
	if s.jsi != nil {
		for {
			m, err := s.jsNextMsg(time.Hour)
			if err == ErrTimeout {
				continue
			}
			return m, err
		}
	}
	if s.typ != SyncSubscription {
		return nil, ErrSyncSubRequired
	}
	s.nextMu.Lock()
	defer s.nextMu.Unlock()
	if len(s.local) > 0 {
		return s.popLocal()
	}
	return s.waitNext(nil, nil)
}

// initialPending caches InitialConsumerPending.
type initialPending struct {
	mu  sync.Mutex
	ok  bool
	val uint64
}

// InitialConsumerPending returns how many messages the consumer had waiting for delivery when
// the subscription was created.
//
// The C API does not return the consumer's info from the subscribe call, so the value is
// taken from the consumer's info at the first call (pending plus delivered, which is the
// pending count at creation unless messages were added or redelivered since) and kept.
func (s *Subscription) InitialConsumerPending() (uint64, error) {
	if s == nil || s.jsi == nil {
		return 0, fmt.Errorf("%w: not a JetStream subscription", ErrTypeSubscription)
	}
	s.icp.mu.Lock()
	defer s.icp.mu.Unlock()
	if s.icp.ok {
		return s.icp.val, nil
	}
	ci, err := s.ConsumerInfo()
	if err != nil {
		return 0, err
	}
	s.icp.val, s.icp.ok = ci.NumPending+ci.Delivered.Consumer, true
	return s.icp.val, nil
}
