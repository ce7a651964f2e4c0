package access

import (
	"encoding/json"

	"github.com/stackgate/stackgate/http/wire"
	"github.com/stackgate/stackgate/service"
)

// (The same helpers as inputs_test.go, for the in-package benchmarks.)
//
// deliveryIn and managementIn give in the scope raw as the HTTP edge
// decodes it (problems included, for the use case to report).
func deliveryIn(in service.TokenInput, raw json.RawMessage) service.TokenInput {
	in.Scope, in.ScopeProblems = wire.DecodeScope(raw, service.DeliveryScopeModules)
	return in
}

func managementIn(in service.TokenInput, raw json.RawMessage) service.TokenInput {
	in.Scope, in.ScopeProblems = wire.DecodeScope(raw, service.ManagementScopeModules)
	return in
}

// roleIn gives in the rules raw as the HTTP edge decodes them.
func roleIn(in service.RoleInput, raw json.RawMessage) service.RoleInput {
	in.Rules, in.RuleProblems = wire.DecodeRoleRules(raw)
	return in
}
