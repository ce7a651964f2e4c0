package service

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"

	"github.com/stackgate/stackgate"
)

// maxIPAllow bounds a token's allow list (each request is checked against
// every entry).
const maxIPAllow = 64

// maxRate bounds a rate limit (requests per second per node).
const maxRate = 1_000_000

// applyLimits reads rate_limit and ip_allow into l: absent keeps l (an
// update) or the zero value (a create), null clears. A delivery token's
// rate_limit is one number; a management token's {"read": N, "write": M},
// either optional (absent: that kind is not limited).
func applyLimits(v stackgate.Validation, in TokenInput, management bool, l *stackgate.TokenLimits) {
	if in.RateLimit != nil {
		l.Rate = parseRate(v, in.RateLimit, management)
	}
	if in.IPAllow != nil {
		l.IPAllow = parseIPAllow(v, in.IPAllow)
	}
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

func parseRate(v stackgate.Validation, raw json.RawMessage, management bool) stackgate.RateLimit {
	if isNull(raw) {
		return stackgate.RateLimit{}
	}
	if !management {
		n, ok := positiveRate(v, "rate_limit", raw)
		if !ok {
			return stackgate.RateLimit{}
		}
		return stackgate.RateLimit{Read: n}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		v.Add("rate_limit", `must be an object: {"read": N, "write": M} (requests per second).`)
		return stackgate.RateLimit{}
	}
	var r stackgate.RateLimit
	for k, x := range m {
		switch k {
		case "read":
			r.Read, _ = positiveRate(v, "rate_limit.read", x)
		case "write":
			r.Write, _ = positiveRate(v, "rate_limit.write", x)
		default:
			v.Add("rate_limit."+k, "is not a field of rate_limit (read, write).")
		}
	}
	return r
}

// positiveRate reads a whole number of requests per second, 1 or more.
func positiveRate(v stackgate.Validation, field string, raw json.RawMessage) (int, bool) {
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || isNull(raw) {
		v.Add(field, "must be a number of requests per second.")
		return 0, false
	}
	if f != float64(int(f)) || f < 1 || f > maxRate {
		v.Add(field, fmt.Sprintf("must be a whole number of requests per second from 1 to %d.", maxRate))
		return 0, false
	}
	return int(f), true
}

func parseIPAllow(v stackgate.Validation, raw json.RawMessage) []netip.Prefix {
	if isNull(raw) {
		return nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		v.Add("ip_allow", "must be an array of CIDR prefixes or addresses.")
		return nil
	}
	if len(list) > maxIPAllow {
		v.Add("ip_allow", fmt.Sprintf("may have at most %d entries.", maxIPAllow))
		return nil
	}
	var out []netip.Prefix
	for i, x := range list {
		var s string
		if err := json.Unmarshal(x, &s); err != nil || isNull(x) {
			v.Add(fmt.Sprintf("ip_allow[%d]", i), "must be a string: a CIDR prefix or an address.")
			continue
		}
		p, ok := stackgate.ParseIPAllow(s)
		if !ok {
			v.Add(fmt.Sprintf("ip_allow[%d]", i), "is not a valid CIDR prefix or IP address.")
			continue
		}
		out = append(out, p)
	}
	return out
}
