package service

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
)

// TestExpiryBoundaries: expires_on names the last UTC date a token works;
// it is refused from 00:00:00 UTC of the next day. An ISO timestamp counts
// for its UTC date; today's date is accepted at create, yesterday's is not.
func TestExpiryBoundaries(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name      string
		input     string    // expires_on as sent
		createdAt time.Time // the clock at create
		wantDate  string    // "" = refused at create
		checks    map[string]bool
	}{
		{name: "a date works through that whole UTC date", input: "2027-06-01", createdAt: utc("2027-05-01T12:00:00Z"), wantDate: "2027-06-01",
			checks: map[string]bool{
				"2027-05-31T23:59:59Z": true, "2027-06-01T00:00:00Z": true, "2027-06-01T12:00:00Z": true,
				"2027-06-01T23:59:59Z": true, "2027-06-01T23:59:59.999Z": true,
				"2027-06-02T00:00:00Z": false, "2027-06-02T00:00:01Z": false, "2028-01-01T00:00:00Z": false}},
		{name: "an ISO timestamp counts for its UTC date", input: "2027-06-01T23:30:00Z", createdAt: utc("2027-05-01T12:00:00Z"), wantDate: "2027-06-01",
			checks: map[string]bool{"2027-06-01T23:59:59Z": true, "2027-06-02T00:00:00Z": false}},
		{name: "an offset timestamp counts for its UTC date", input: "2027-06-02T01:00:00+02:00", createdAt: utc("2027-05-01T12:00:00Z"), wantDate: "2027-06-01",
			checks: map[string]bool{"2027-06-01T23:59:59Z": true, "2027-06-02T00:00:00Z": false}},
		{name: "today's date is accepted at 00:00:00", input: "2027-06-01", createdAt: utc("2027-06-01T00:00:00Z"), wantDate: "2027-06-01",
			checks: map[string]bool{"2027-06-01T23:59:59Z": true, "2027-06-02T00:00:00Z": false}},
		{name: "today's date is accepted at 23:59:59", input: "2027-06-01", createdAt: utc("2027-06-01T23:59:59Z"), wantDate: "2027-06-01",
			checks: map[string]bool{"2027-06-01T23:59:59.5Z": true, "2027-06-02T00:00:00Z": false}},
		{name: "an ISO time earlier today is accepted", input: "2027-06-01T00:00:01Z", createdAt: utc("2027-06-01T18:00:00Z"), wantDate: "2027-06-01"},
		{name: "yesterday is refused at 00:00:00 today", input: "2027-05-31", createdAt: utc("2027-06-01T00:00:00Z")},
		{name: "yesterday is refused at 23:59:59 today", input: "2027-05-31", createdAt: utc("2027-06-01T23:59:59Z")},
		{name: "a date long past is refused", input: "2020-01-01", createdAt: utc("2027-06-01T12:00:00Z")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := stackgate.Validation{}
			raw, _ := json.Marshal(tc.input)
			got := parseExpiry(v, raw, tc.createdAt)
			if tc.wantDate == "" {
				if got != nil || len(v) == 0 {
					t.Fatalf("accepted %q at %s: %v", tc.input, tc.createdAt, got)
				}
				return
			}
			if got == nil || len(v) != 0 {
				t.Fatalf("refused %q at %s: %v", tc.input, tc.createdAt, v)
			}
			if d := got.Format("2006-01-02"); d != tc.wantDate {
				t.Fatalf("date %s, want %s", d, tc.wantDate)
			}
			tok := &stackgate.ManagementToken{ExpiresOn: got}
			for at, works := range tc.checks {
				if tok.Expired(utc(at)) == works {
					t.Errorf("at %s: expired=%v, want works=%v", at, tok.Expired(utc(at)), works)
				}
			}
			end, _ := tok.ExpiresAt()
			if want := utc(tc.wantDate+"T00:00:00Z").AddDate(0, 0, 1); !end.Equal(want) {
				t.Errorf("ExpiresAt %s, want %s", end, want)
			}
		})
	}
	if _, ok := (&stackgate.ManagementToken{}).ExpiresAt(); ok {
		t.Error("a token without expires_on has an expiry instant")
	}
}
