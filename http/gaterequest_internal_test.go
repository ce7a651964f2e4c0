package http

import (
	"net/url"
	"testing"
)

// FuzzQueryDecodesAsParseQuery: the gate's query reader, written for the
// hot path, decodes exactly as net/url.ParseQuery does: where ParseQuery
// fails the gate refuses, and where the gate accepts, every parameter it
// read is the one ParseQuery reads (once, same value) and every one it
// did not read is absent.
func FuzzQueryDecodesAsParseQuery(f *testing.F) {
	for _, s := range []string{"environment=production", "environmen%74=staging&x=1", "a=1;b=2", "environment=a+b%20c",
		"&&environment=&locale", "api_key=%zz", "environment=1&environment=2", "Environment=x", "environment[]=x", "_method=DELETE"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		var v gateValues
		err := v.readQuery(q)
		want, perr := url.ParseQuery(q)
		if perr != nil {
			if err == nil {
				t.Fatalf("ParseQuery refuses %q (%v), the gate accepted it", q, perr)
			}
			return
		}
		if err != nil {
			// Refused for a repeat or a variant spelling: check it is one.
			for _, name := range paramNames {
				if len(want[name]) > 1 {
					return
				}
			}
			if _, variant := variantAny(want); variant {
				return
			}
			t.Fatalf("the gate refused %q (%v), ParseQuery reads it unambiguously", q, err)
		}
		for i, name := range paramNames {
			got, has := v.query[i], v.hasQ[i]
			if vals, ok := want[name]; ok != has || ok && (len(vals) != 1 || vals[0] != got) {
				t.Fatalf("%q: %s = %q (%v), ParseQuery %q", q, name, got, has, vals)
			}
		}
	})
}

// variantAny reports whether some key of q is a variant spelling of a
// parameter, as variantQueryKey judges it.
func variantAny(q url.Values) (gateParam, bool) {
	for k := range q {
		if _, exact := queryParam(k); exact {
			continue
		}
		if p, ok := variantQueryKey(k); ok {
			return p, true
		}
	}
	return 0, false
}
