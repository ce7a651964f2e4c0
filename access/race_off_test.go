//go:build !race

package access_test

// raceEnabled: see race_on_test.go.
const raceEnabled = false
