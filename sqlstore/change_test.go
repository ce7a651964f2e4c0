package sqlstore_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/sqlstore"
)

func TestChangePayload(t *testing.T) {
	for _, tc := range []struct {
		change  stackgate.Change
		origin  string
		payload string
	}{
		{stackgate.Change{StackUID: "blt1"}, "", `{"s":"blt1"}`},
		{stackgate.Change{UserUID: "blt2"}, "", `{"u":"blt2"}`},
		{stackgate.Change{StackUID: "blt1"}, "n1", `{"s":"blt1","o":"n1"}`},
		{stackgate.Change{UserUID: "blt2"}, "n2", `{"u":"blt2","o":"n2"}`},
	} {
		if got := sqlstore.EncodeChange(tc.change, tc.origin); got != tc.payload {
			t.Errorf("EncodeChange(%+v, %q) = %s, want %s", tc.change, tc.origin, got, tc.payload)
		}
		got, origin, err := sqlstore.DecodeChange(tc.payload)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tc.change, got); d != "" {
			t.Errorf("DecodeChange(%s) (-want +got):\n%s", tc.payload, d)
		}
		if origin != tc.origin {
			t.Errorf("DecodeChange(%s) origin = %q, want %q", tc.payload, origin, tc.origin)
		}
	}
	for _, bad := range []string{``, `{}`, `not json`, `{"x":"y"}`, `{"o":"n1"}`} {
		if _, _, err := sqlstore.DecodeChange(bad); err == nil {
			t.Errorf("DecodeChange(%q) succeeded, want an error", bad)
		}
	}
}
