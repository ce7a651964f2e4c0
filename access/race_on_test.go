//go:build race

package access_test

// raceEnabled: under the race detector sync.Pool drops a share of what is
// put back (to shake out misuse), so the keyring's pooled HMAC states are
// made again now and then and allocation counts are not the binary's.
const raceEnabled = true
