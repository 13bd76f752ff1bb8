package nats

import (
	"encoding/json"
	"fmt"
	"time"
)

// The JetStream config and info types of nats.go, with its field names and json tags: configs
// are marshalled to the server's JSON and passed to the C API's JSON entry points
// (natsrs_stream_config_from_json, natsrs_consumer_config_from_json); infos are the server's
// JSON returned by the C API (natsrs_stream_info_json, ...).

// StreamConfig is a stream's configuration, encoded as the server's JSON.
type StreamConfig struct {
	Name                   string                  `json:"name"`
	Description            string                  `json:"description,omitempty"`
	Subjects               []string                `json:"subjects,omitempty"`
	Retention              RetentionPolicy         `json:"retention"`
	MaxConsumers           int                     `json:"max_consumers"`
	MaxMsgs                int64                   `json:"max_msgs"`
	MaxBytes               int64                   `json:"max_bytes"`
	Discard                DiscardPolicy           `json:"discard"`
	DiscardNewPerSubject   bool                    `json:"discard_new_per_subject,omitempty"`
	MaxAge                 time.Duration           `json:"max_age"`
	MaxMsgsPerSubject      int64                   `json:"max_msgs_per_subject"`
	MaxMsgSize             int32                   `json:"max_msg_size,omitempty"`
	Storage                StorageType             `json:"storage"`
	Replicas               int                     `json:"num_replicas"`
	NoAck                  bool                    `json:"no_ack,omitempty"`
	Duplicates             time.Duration           `json:"duplicate_window,omitempty"`
	Placement              *Placement              `json:"placement,omitempty"`
	Mirror                 *StreamSource           `json:"mirror,omitempty"`
	Sources                []*StreamSource         `json:"sources,omitempty"`
	Sealed                 bool                    `json:"sealed,omitempty"`
	DenyDelete             bool                    `json:"deny_delete,omitempty"`
	DenyPurge              bool                    `json:"deny_purge,omitempty"`
	AllowRollup            bool                    `json:"allow_rollup_hdrs,omitempty"`
	Compression            StoreCompression        `json:"compression"`
	FirstSeq               uint64                  `json:"first_seq,omitempty"`
	SubjectTransform       *SubjectTransformConfig `json:"subject_transform,omitempty"`
	RePublish              *RePublish              `json:"republish,omitempty"`
	AllowDirect            bool                    `json:"allow_direct"`
	MirrorDirect           bool                    `json:"mirror_direct"`
	ConsumerLimits         StreamConsumerLimits    `json:"consumer_limits,omitempty"`
	Metadata               map[string]string       `json:"metadata,omitempty"`
	Template               string                  `json:"template_owner,omitempty"`
	AllowMsgTTL            bool                    `json:"allow_msg_ttl"`
	SubjectDeleteMarkerTTL time.Duration           `json:"subject_delete_marker_ttl,omitempty"`
}

// SubjectTransformConfig maps subjects matching Source to Destination.
type SubjectTransformConfig struct {
	Source      string `json:"src,omitempty"`
	Destination string `json:"dest"`
}

// RePublish makes the stream send a copy of each stored message to another subject.
type RePublish struct {
	Source      string `json:"src,omitempty"`
	Destination string `json:"dest"`
	HeadersOnly bool   `json:"headers_only,omitempty"`
}

// Placement asks a clustered JetStream to put the stream's replicas in a given cluster and/or on
// servers with the given tags.
type Placement struct {
	Cluster string   `json:"cluster"`
	Tags    []string `json:"tags,omitempty"`
}

// StreamSource names another stream to copy messages from (as a mirror or a source).
type StreamSource struct {
	Name              string                   `json:"name"`
	OptStartSeq       uint64                   `json:"opt_start_seq,omitempty"`
	OptStartTime      *time.Time               `json:"opt_start_time,omitempty"`
	FilterSubject     string                   `json:"filter_subject,omitempty"`
	SubjectTransforms []SubjectTransformConfig `json:"subject_transforms,omitempty"`
	External          *ExternalStream          `json:"external,omitempty"`
	Domain            string                   `json:"-"`
}

// ExternalStream points a source at a stream in another account or domain, through its API and
// deliver prefixes.
type ExternalStream struct {
	APIPrefix     string `json:"api"`
	DeliverPrefix string `json:"deliver,omitempty"`
}

// StreamConsumerLimits are defaults and caps the stream applies to its consumers.
type StreamConsumerLimits struct {
	InactiveThreshold time.Duration `json:"inactive_threshold,omitempty"`
	MaxAckPending     int           `json:"max_ack_pending,omitempty"`
}

// StreamInfo is the server's answer about a stream: its configuration and current state.
type StreamInfo struct {
	Config     StreamConfig        `json:"config"`
	Created    time.Time           `json:"created"`
	State      StreamState         `json:"state"`
	Cluster    *ClusterInfo        `json:"cluster,omitempty"`
	Mirror     *StreamSourceInfo   `json:"mirror,omitempty"`
	Sources    []*StreamSourceInfo `json:"sources,omitempty"`
	Alternates []*StreamAlternate  `json:"alternates,omitempty"`
}

// StreamAlternate is another stream (a mirror) that can serve reads for this one.
type StreamAlternate struct {
	Name    string `json:"name"`
	Domain  string `json:"domain,omitempty"`
	Cluster string `json:"cluster"`
}

// StreamSourceInfo reports how far a mirror or source has got copying from its origin stream.
type StreamSourceInfo struct {
	Name              string                   `json:"name"`
	Lag               uint64                   `json:"lag"`
	Seq               uint64                   `json:"seq,omitempty"`
	Active            time.Duration            `json:"active"`
	External          *ExternalStream          `json:"external"`
	Error             *APIError                `json:"error"`
	FilterSubject     string                   `json:"filter_subject,omitempty"`
	SubjectTransforms []SubjectTransformConfig `json:"subject_transforms,omitempty"`
}

// StreamState holds a stream's message, byte, sequence and consumer counts.
type StreamState struct {
	Msgs        uint64            `json:"messages"`
	Bytes       uint64            `json:"bytes"`
	FirstSeq    uint64            `json:"first_seq"`
	FirstTime   time.Time         `json:"first_ts"`
	LastSeq     uint64            `json:"last_seq"`
	LastTime    time.Time         `json:"last_ts"`
	Consumers   int               `json:"consumer_count"`
	Deleted     []uint64          `json:"deleted"`
	NumDeleted  int               `json:"num_deleted"`
	NumSubjects uint64            `json:"num_subjects"`
	Subjects    map[string]uint64 `json:"subjects"`
}

// ClusterInfo describes the replica group behind a stream or consumer: its leader and peers.
type ClusterInfo struct {
	Name        string      `json:"name,omitempty"`
	RaftGroup   string      `json:"raft_group,omitempty"`
	Leader      string      `json:"leader,omitempty"`
	LeaderSince *time.Time  `json:"leader_since,omitempty"`
	SystemAcc   bool        `json:"system_account,omitempty"`
	TrafficAcc  string      `json:"traffic_account,omitempty"`
	Replicas    []*PeerInfo `json:"replicas,omitempty"`
	// Desired: the peer set a reconfiguration moves the group to (servers that report it).
	Desired *DesiredClusterInfo `json:"desired,omitempty"`
}

// DesiredClusterInfo is the set of servers a stream or consumer is being moved to.
type DesiredClusterInfo struct {
	Created  time.Time                 `json:"created"`
	Name     string                    `json:"name,omitempty"`
	Replicas []*DesiredPeerInfo        `json:"replicas,omitempty"`
	Origin   *DesiredClusterInfoOrigin `json:"origin,omitempty"`
	Status   *DesiredClusterInfoStatus `json:"status,omitempty"`
}

// DesiredClusterInfoOrigin is the configuration a cancelled reconfiguration returns to.
type DesiredClusterInfoOrigin struct {
	Replicas  int              `json:"replicas"`
	Placement *Placement       `json:"placement,omitempty"`
	Retention *RetentionPolicy `json:"retention,omitempty"`
}

// DesiredPeerInfo is one peer of the desired set.
type DesiredPeerInfo struct {
	Name    string `json:"name"`
	Offline bool   `json:"offline,omitempty"`
	Peer    string `json:"peer"`
}

// DesiredClusterInfoStatus is what the group leader does (or waits for) to reach the desired
// set.
type DesiredClusterInfoStatus struct {
	Description string              `json:"description"`
	Type        MigrationStatusType `json:"type"`
	Err         string              `json:"err,omitempty"`
}

// MigrationStatusType says what must change for a migration to advance.
type MigrationStatusType string

// Migration status types.
const (
	MigrationStatusMeta        MigrationStatusType = "meta"
	MigrationStatusMembership  MigrationStatusType = "membership"
	MigrationStatusSnapshot    MigrationStatusType = "snapshot"
	MigrationStatusCatchup     MigrationStatusType = "catchup"
	MigrationStatusQuorum      MigrationStatusType = "quorum"
	MigrationStatusBlocked     MigrationStatusType = "blocked"
	MigrationStatusUnavailable MigrationStatusType = "unavailable"
)

// PeerInfo is the state of one replica (a peer) of a stream or consumer.
type PeerInfo struct {
	Name    string        `json:"name"`
	Current bool          `json:"current"`
	Offline bool          `json:"offline,omitempty"`
	Active  time.Duration `json:"active"`
	Lag     uint64        `json:"lag,omitempty"`
	Peer    string        `json:"peer"`
	Pending bool          `json:"pending,omitempty"`
}

// StreamPurgeRequest narrows what PurgeStream removes (pass it as a JSOpt).
type StreamPurgeRequest struct {
	Sequence uint64 `json:"seq,omitempty"`
	Subject  string `json:"filter,omitempty"`
	Keep     uint64 `json:"keep,omitempty"`
}

func (s *StreamPurgeRequest) configureJSContext(o *jsOpts) error {
	o.purge = s
	return nil
}

// RawStreamMsg is one message as read back from a stream by sequence or subject.
type RawStreamMsg struct {
	Subject  string
	Sequence uint64
	Header   Header
	Data     []byte
	Time     time.Time
}

// AccountInfo reports the calling account's JetStream usage, limits and API counters.
type AccountInfo struct {
	Tier
	Domain string          `json:"domain"`
	API    APIStats        `json:"api"`
	Tiers  map[string]Tier `json:"tiers"`
}

// Tier is the JetStream usage and limits of an account, overall or for one replica tier.
type Tier struct {
	Memory         uint64        `json:"memory"`
	Store          uint64        `json:"storage"`
	ReservedMemory uint64        `json:"reserved_memory"`
	ReservedStore  uint64        `json:"reserved_storage"`
	Streams        int           `json:"streams"`
	Consumers      int           `json:"consumers"`
	Limits         AccountLimits `json:"limits"`
}

// APIStats counts the JetStream API requests the account has made and how many failed.
type APIStats struct {
	Level    int    `json:"level"`
	Total    uint64 `json:"total"`
	Errors   uint64 `json:"errors"`
	Inflight uint64 `json:"inflight,omitempty"`
}

// AccountLimits are the JetStream quotas the account (or one of its tiers) is given.
type AccountLimits struct {
	MaxMemory            int64 `json:"max_memory"`
	MaxStore             int64 `json:"max_storage"`
	MaxStreams           int   `json:"max_streams"`
	MaxConsumers         int   `json:"max_consumers"`
	MaxAckPending        int   `json:"max_ack_pending"`
	MemoryMaxStreamBytes int64 `json:"memory_max_stream_bytes"`
	StoreMaxStreamBytes  int64 `json:"storage_max_stream_bytes"`
	MaxBytesRequired     bool  `json:"max_bytes_required"`
}

// ConsumerConfig is a consumer's configuration, encoded as the server's JSON.
type ConsumerConfig struct {
	Durable            string            `json:"durable_name,omitempty"`
	Name               string            `json:"name,omitempty"`
	Description        string            `json:"description,omitempty"`
	DeliverPolicy      DeliverPolicy     `json:"deliver_policy"`
	OptStartSeq        uint64            `json:"opt_start_seq,omitempty"`
	OptStartTime       *time.Time        `json:"opt_start_time,omitempty"`
	AckPolicy          AckPolicy         `json:"ack_policy"`
	AckWait            time.Duration     `json:"ack_wait,omitempty"`
	MaxDeliver         int               `json:"max_deliver,omitempty"`
	BackOff            []time.Duration   `json:"backoff,omitempty"`
	FilterSubject      string            `json:"filter_subject,omitempty"`
	FilterSubjects     []string          `json:"filter_subjects,omitempty"`
	ReplayPolicy       ReplayPolicy      `json:"replay_policy"`
	RateLimit          uint64            `json:"rate_limit_bps,omitempty"`
	SampleFrequency    string            `json:"sample_freq,omitempty"`
	MaxWaiting         int               `json:"max_waiting,omitempty"`
	MaxAckPending      int               `json:"max_ack_pending,omitempty"`
	FlowControl        bool              `json:"flow_control,omitempty"`
	Heartbeat          time.Duration     `json:"idle_heartbeat,omitempty"`
	HeadersOnly        bool              `json:"headers_only,omitempty"`
	MaxRequestBatch    int               `json:"max_batch,omitempty"`
	MaxRequestExpires  time.Duration     `json:"max_expires,omitempty"`
	MaxRequestMaxBytes int               `json:"max_bytes,omitempty"`
	DeliverSubject     string            `json:"deliver_subject,omitempty"`
	DeliverGroup       string            `json:"deliver_group,omitempty"`
	InactiveThreshold  time.Duration     `json:"inactive_threshold,omitempty"`
	Replicas           int               `json:"num_replicas"`
	MemoryStorage      bool              `json:"mem_storage,omitempty"`
	Metadata           map[string]string `json:"metadata,omitempty"`
}

// ConsumerInfo is the server's answer about a consumer: its configuration and delivery state.
type ConsumerInfo struct {
	Stream         string         `json:"stream_name"`
	Name           string         `json:"name"`
	Created        time.Time      `json:"created"`
	Config         ConsumerConfig `json:"config"`
	Delivered      SequenceInfo   `json:"delivered"`
	AckFloor       SequenceInfo   `json:"ack_floor"`
	NumAckPending  int            `json:"num_ack_pending"`
	NumRedelivered int            `json:"num_redelivered"`
	NumWaiting     int            `json:"num_waiting"`
	NumPending     uint64         `json:"num_pending"`
	Cluster        *ClusterInfo   `json:"cluster,omitempty"`
	PushBound      bool           `json:"push_bound,omitempty"`
}

// SequenceInfo is a consumer sequence, the matching stream sequence and when it last moved.
type SequenceInfo struct {
	Consumer uint64     `json:"consumer_seq"`
	Stream   uint64     `json:"stream_seq"`
	Last     *time.Time `json:"last_active,omitempty"`
}

// SequencePair is a message's sequence in the consumer and in the stream.
type SequencePair struct {
	Consumer uint64 `json:"consumer_seq"`
	Stream   uint64 `json:"stream_seq"`
}

// PubAck is the stream's reply to a JetStream publish: where the message was stored.
type PubAck struct {
	Stream    string `json:"stream"`
	Sequence  uint64 `json:"seq"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Domain    string `json:"domain,omitempty"`
}

// MsgMetadata is what a JetStream message's reply subject says about it: sequences, delivery
// count, pending count, timestamp, stream and consumer.
type MsgMetadata struct {
	Sequence     SequencePair
	NumDelivered uint64
	NumPending   uint64
	Timestamp    time.Time
	Stream       string
	Consumer     string
	Domain       string
}

// ---- enums with the server's JSON names --------------------------------------------------------

// AckPolicy says which acknowledgements a consumer expects for the messages it delivers.
type AckPolicy int

const (
	AckNonePolicy AckPolicy = iota
	AckAllPolicy
	AckExplicitPolicy
	AckFlowControlPolicy
	ackPolicyNotSet = 99
)

// ReplayPolicy says whether a consumer replays stored messages at once or with their original
// timing.
type ReplayPolicy int

const (
	ReplayInstantPolicy ReplayPolicy = iota
	ReplayOriginalPolicy
	replayPolicyNotSet = 99
)

// DeliverPolicy says where in the stream a new consumer begins delivering.
type DeliverPolicy int

const (
	DeliverAllPolicy DeliverPolicy = iota
	DeliverLastPolicy
	DeliverNewPolicy
	DeliverByStartSequencePolicy
	DeliverByStartTimePolicy
	DeliverLastPerSubjectPolicy
	deliverPolicyNotSet = 99
)

// RetentionPolicy says when a stream may drop messages: at its limits, once all interested
// consumers acked them, or once one worker acked them.
type RetentionPolicy int

const (
	LimitsPolicy RetentionPolicy = iota
	InterestPolicy
	WorkQueuePolicy
)

// DiscardPolicy says what a stream does when it hits a limit: drop old messages or reject new
// ones.
type DiscardPolicy int

const (
	DiscardOld DiscardPolicy = iota
	DiscardNew
)

// StorageType selects where a stream keeps its messages: on disk or in memory.
type StorageType int

const (
	FileStorage StorageType = iota
	MemoryStorage
)

// StoreCompression selects whether a stream compresses its stored messages (none or S2).
type StoreCompression uint8

const (
	NoCompression StoreCompression = iota
	S2Compression
)

// enumNames maps an enum's values to the server's JSON names (and names to values).
type enumNames[T comparable] struct {
	what  string
	names map[T]string
}

func (e enumNames[T]) marshal(v T) ([]byte, error) {
	if s, ok := e.names[v]; ok {
		return json.Marshal(s)
	}
	return nil, fmt.Errorf("nats: can not marshal %v %v", e.what, v)
}

func (e enumNames[T]) unmarshal(data []byte, out *T) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	for v, n := range e.names {
		if n == s {
			*out = v
			return nil
		}
	}
	return fmt.Errorf("nats: can not unmarshal %q", data)
}

var (
	ackPolicyNames       = enumNames[AckPolicy]{"ack policy", map[AckPolicy]string{AckNonePolicy: "none", AckAllPolicy: "all", AckExplicitPolicy: "explicit", AckFlowControlPolicy: "flow_control"}}
	replayPolicyNames    = enumNames[ReplayPolicy]{"replay policy", map[ReplayPolicy]string{ReplayInstantPolicy: "instant", ReplayOriginalPolicy: "original"}}
	deliverPolicyNames   = enumNames[DeliverPolicy]{"deliver policy", map[DeliverPolicy]string{DeliverAllPolicy: "all", DeliverLastPolicy: "last", DeliverNewPolicy: "new", DeliverByStartSequencePolicy: "by_start_sequence", DeliverByStartTimePolicy: "by_start_time", DeliverLastPerSubjectPolicy: "last_per_subject"}}
	retentionPolicyNames = enumNames[RetentionPolicy]{"retention policy", map[RetentionPolicy]string{LimitsPolicy: "limits", InterestPolicy: "interest", WorkQueuePolicy: "workqueue"}}
	discardPolicyNames   = enumNames[DiscardPolicy]{"discard policy", map[DiscardPolicy]string{DiscardOld: "old", DiscardNew: "new"}}
	storageTypeNames     = enumNames[StorageType]{"storage type", map[StorageType]string{FileStorage: "file", MemoryStorage: "memory"}}
	compressionNames     = enumNames[StoreCompression]{"compression", map[StoreCompression]string{NoCompression: "none", S2Compression: "s2"}}
)

func (p AckPolicy) MarshalJSON() ([]byte, error)       { return ackPolicyNames.marshal(p) }
func (p *AckPolicy) UnmarshalJSON(data []byte) error   { return ackPolicyNames.unmarshal(data, p) }
func (p ReplayPolicy) MarshalJSON() ([]byte, error)    { return replayPolicyNames.marshal(p) }
func (p *ReplayPolicy) UnmarshalJSON(d []byte) error   { return replayPolicyNames.unmarshal(d, p) }
func (p DeliverPolicy) MarshalJSON() ([]byte, error)   { return deliverPolicyNames.marshal(p) }
func (p RetentionPolicy) MarshalJSON() ([]byte, error) { return retentionPolicyNames.marshal(p) }
func (p *RetentionPolicy) UnmarshalJSON(d []byte) error {
	return retentionPolicyNames.unmarshal(d, p)
}
func (p DiscardPolicy) MarshalJSON() ([]byte, error)     { return discardPolicyNames.marshal(p) }
func (p *DiscardPolicy) UnmarshalJSON(d []byte) error    { return discardPolicyNames.unmarshal(d, p) }
func (p StorageType) MarshalJSON() ([]byte, error)       { return storageTypeNames.marshal(p) }
func (p *StorageType) UnmarshalJSON(d []byte) error      { return storageTypeNames.unmarshal(d, p) }
func (p StoreCompression) MarshalJSON() ([]byte, error)  { return compressionNames.marshal(p) }
func (p *StoreCompression) UnmarshalJSON(d []byte) error { return compressionNames.unmarshal(d, p) }

// UnmarshalJSON accepts the server's "undefined" as DeliverAllPolicy, as nats.go does.
func (p *DeliverPolicy) UnmarshalJSON(d []byte) error {
	if string(d) == `"undefined"` {
		*p = DeliverAllPolicy
		return nil
	}
	return deliverPolicyNames.unmarshal(d, p)
}

func (p AckPolicy) String() string {
	switch p {
	case AckNonePolicy:
		return "AckNone"
	case AckAllPolicy:
		return "AckAll"
	case AckExplicitPolicy:
		return "AckExplicit"
	case AckFlowControlPolicy:
		return "AckFlowControl"
	case ackPolicyNotSet:
		return "Not Initialized"
	}
	return "Unknown AckPolicy"
}

func (p RetentionPolicy) String() string {
	switch p {
	case LimitsPolicy:
		return "Limits"
	case InterestPolicy:
		return "Interest"
	case WorkQueuePolicy:
		return "WorkQueue"
	}
	return "Unknown Retention Policy"
}

func (p DiscardPolicy) String() string {
	switch p {
	case DiscardOld:
		return "DiscardOld"
	case DiscardNew:
		return "DiscardNew"
	}
	return "Unknown Discard Policy"
}

func (p StorageType) String() string {
	switch p {
	case MemoryStorage:
		return "Memory"
	case FileStorage:
		return "File"
	}
	return "Unknown Storage Type"
}

func (p StoreCompression) String() string {
	switch p {
	case NoCompression:
		return "None"
	case S2Compression:
		return "S2"
	}
	return "Unknown StoreCompression"
}
