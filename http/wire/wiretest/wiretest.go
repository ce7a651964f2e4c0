// Package wiretest gives tests and benchmarks that call the use cases
// directly the inputs the HTTP edge would give them: a role's rules and a
// token's scope written as request JSON, decoded by http/wire with the
// problems it finds (for the use case to report, as it does a request's).
package wiretest

import (
	"encoding/json"

	"github.com/stackgate/stackgate/http/wire"
	"github.com/stackgate/stackgate/service"
)

// Delivery gives in the delivery-token scope raw.
func Delivery(in service.TokenInput, raw json.RawMessage) service.TokenInput {
	in.Scope, in.ScopeProblems = wire.DecodeScope(raw, service.DeliveryScopeModules)
	return in
}

// Management gives in the management-token scope raw.
func Management(in service.TokenInput, raw json.RawMessage) service.TokenInput {
	in.Scope, in.ScopeProblems = wire.DecodeScope(raw, service.ManagementScopeModules)
	return in
}

// Role gives in the rules raw.
func Role(in service.RoleInput, raw json.RawMessage) service.RoleInput {
	in.Rules, in.RuleProblems = wire.DecodeRoleRules(raw)
	return in
}
