package nats

import (
	"context"
	"errors"
)

// WatchOpt configures a key-value or object store watcher (nats.go's options).
type WatchOpt interface {
	configureWatcher(opts *watchOpts) error
}

type watchOpts struct {
	ctx            context.Context
	ignoreDeletes  bool
	includeHistory bool
	updatesOnly    bool
	metaOnly       bool
}

type watchOptFn func(opts *watchOpts) error

func (opt watchOptFn) configureWatcher(opts *watchOpts) error { return opt(opts) }

// IncludeHistory makes a watcher deliver every stored revision, not only the latest.
func IncludeHistory() WatchOpt {
	return watchOptFn(func(opts *watchOpts) error {
		if opts.updatesOnly {
			return errors.New("nats: include history can not be used with updates only")
		}
		opts.includeHistory = true
		return nil
	})
}

// UpdatesOnly makes a watcher deliver only changes made after it started.
func UpdatesOnly() WatchOpt {
	return watchOptFn(func(opts *watchOpts) error {
		if opts.includeHistory {
			return errors.New("nats: updates only can not be used with include history")
		}
		opts.updatesOnly = true
		return nil
	})
}

// IgnoreDeletes makes a watcher skip delete (and purge) markers.
func IgnoreDeletes() WatchOpt {
	return watchOptFn(func(opts *watchOpts) error {
		opts.ignoreDeletes = true
		return nil
	})
}

// MetaOnly makes a key-value watcher deliver entries without their values.
func MetaOnly() WatchOpt {
	return watchOptFn(func(opts *watchOpts) error {
		opts.metaOnly = true
		return nil
	})
}

func (ctx ContextOpt) configureWatcher(opts *watchOpts) error {
	opts.ctx = ctx.Context
	return nil
}

func watchOptions(opts []WatchOpt) (watchOpts, error) {
	var o watchOpts
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt.configureWatcher(&o); err != nil {
			return o, err
		}
	}
	return o, nil
}
