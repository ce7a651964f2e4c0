package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/sqlite"
)

// TestListenSeesOtherProcesses: a write through another handle on the same
// file (as `stackgate user add` makes beside a serving node) resets caches.
func TestListenSeesOtherProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sg.db")
	serving, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer serving.Close()
	other, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resets := make(chan bool, 10)
	go serving.Listen(ctx, func(stackgate.Change) {}, func(l bool) { resets <- l })

	time.Sleep(2 * sqlite.PollInterval) // let it read the first version
	select {
	case <-resets:
		t.Fatal("reset without any write")
	default:
	}
	// Its own writes were invalidated precisely already: no reset.
	own := &stackgate.User{UID: "bltu0", Email: "own@example.com", PasswordHash: "x", CreatedAt: stackgate.Now(), UpdatedAt: stackgate.Now()}
	if err := serving.CreateUser(ctx, own); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * sqlite.PollInterval)
	select {
	case <-resets:
		t.Fatal("reset after a write of the serving handle itself")
	default:
	}
	u := &stackgate.User{UID: "bltu1", Email: "a@example.com", PasswordHash: "x", CreatedAt: stackgate.Now(), UpdatedAt: stackgate.Now()}
	if err := other.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	select {
	case listening := <-resets:
		if !listening {
			t.Fatal("reset(false): caching disabled for good")
		}
	case <-time.After(5 * sqlite.PollInterval):
		t.Fatal("a write by another handle went unnoticed")
	}
}
