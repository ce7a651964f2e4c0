package sqlstore

import (
	"fmt"
	"net/netip"
	"strings"
)

// The stored form of ip_allow: masked prefixes, comma-separated ('' = any).

func formatIPAllow(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

func parseIPAllow(s string) ([]netip.Prefix, error) {
	if s == "" {
		return nil, nil
	}
	fields := strings.Split(s, ",")
	out := make([]netip.Prefix, len(fields))
	for i, f := range fields {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("stored ip_allow %q: %w", f, err)
		}
		out[i] = p
	}
	return out, nil
}
