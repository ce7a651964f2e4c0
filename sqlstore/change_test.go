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
		payload string
	}{
		{stackgate.Change{StackUID: "blt1"}, `{"s":"blt1"}`},
		{stackgate.Change{UserUID: "blt2"}, `{"u":"blt2"}`},
	} {
		if got := sqlstore.EncodeChange(tc.change); got != tc.payload {
			t.Errorf("EncodeChange(%+v) = %s, want %s", tc.change, got, tc.payload)
		}
		got, err := sqlstore.DecodeChange(tc.payload)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(tc.change, got); d != "" {
			t.Errorf("DecodeChange(%s) (-want +got):\n%s", tc.payload, d)
		}
	}
	for _, bad := range []string{``, `{}`, `not json`, `{"x":"y"}`} {
		if _, err := sqlstore.DecodeChange(bad); err == nil {
			t.Errorf("DecodeChange(%q) succeeded, want an error", bad)
		}
	}
}
