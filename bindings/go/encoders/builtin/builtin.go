// Package builtin holds the encoders EncodedConn registers from the start (JSON_ENCODER,
// GOB_ENCODER, DEFAULT_ENCODER), under nats.go's names (package
// github.com/nats-io/nats.go/encoders/builtin), with the same wire formats.
package builtin

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
)

// JsonEncoder marshals values with encoding/json. Decoding into a *string drops the quotes of
// a JSON string; into a *[]byte it gives the payload as it is.
type JsonEncoder struct{}

// Encode marshals v to JSON.
func (je *JsonEncoder) Encode(subject string, v any) ([]byte, error) {
	return json.Marshal(v)
}

// Decode unmarshals data into vPtr.
func (je *JsonEncoder) Decode(subject string, data []byte, vPtr any) error {
	switch p := vPtr.(type) {
	case *string:
		s := string(data)
		if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
			s = s[1 : len(s)-1]
		}
		*p = s
		return nil
	case *[]byte:
		*p = data
		return nil
	}
	return json.Unmarshal(data, vPtr)
}

// GobEncoder marshals values with encoding/gob (one gob stream per message).
type GobEncoder struct{}

// Encode gob-encodes v.
func (ge *GobEncoder) Encode(subject string, v any) ([]byte, error) {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Decode gob-decodes data into vPtr.
func (ge *GobEncoder) Decode(subject string, data []byte, vPtr any) error {
	return gob.NewDecoder(bytes.NewReader(data)).Decode(vPtr)
}

// DefaultEncoder sends strings and byte slices as they are, booleans as "true"/"false", nil as
// an empty payload and anything else formatted with %+v; it decodes into strings, byte
// slices, integers, floats and booleans.
type DefaultEncoder struct{}

// Encode turns v into a payload.
func (de *DefaultEncoder) Encode(subject string, v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return []byte(x), nil
	case []byte:
		return x, nil
	case bool:
		return []byte(strconv.FormatBool(x)), nil
	case nil:
		return []byte{}, nil
	}
	return []byte(fmt.Sprintf("%+v", v)), nil
}

// Decode parses data into vPtr.
func (de *DefaultEncoder) Decode(subject string, data []byte, vPtr any) error {
	s := string(data)
	switch p := vPtr.(type) {
	case *string:
		*p = s
	case *[]byte:
		*p = data
	case *int:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return err
		}
		*p = int(n)
	case *int32:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return err
		}
		*p = int32(n)
	case *int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return err
		}
		*p = n
	case *float32:
		f, err := strconv.ParseFloat(s, 32)
		if err != nil {
			return err
		}
		*p = float32(f)
	case *float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return err
		}
		*p = f
	case *bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		*p = b
	default:
		return fmt.Errorf("nats: Default Encoder can't decode to type %s", reflect.TypeOf(vPtr).Elem())
	}
	return nil
}
