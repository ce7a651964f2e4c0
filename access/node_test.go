package access_test

import (
	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
)

// node is one stackgate process in a test, wired as serve wires it: the use
// cases and the access checker over one store (the checker registers the
// store's commit hook).
type node struct {
	*service.Service
	*access.Checker
}

func newNode(st stackgate.Store, keys *secret.Keyring, cfg access.Config) node {
	return node{service.New(st, keys, service.Config{}, nil), access.New(st, keys, cfg, nil)}
}
