package main

import (
	"flag"
	"fmt"
	"net/netip"
	"runtime"
	"strconv"
	"time"

	"github.com/stackgate/stackgate/access"
	sghttp "github.com/stackgate/stackgate/http"
	"github.com/stackgate/stackgate/service"
)

// abuseFlags are serve's flags against abuse (README "Configuration"): who
// the client is behind proxies, connection timeouts, the gate's refusal
// limit, the cache bound, the per-stack and per-user limits and the
// password-hashing bound.
type abuseFlags struct {
	trustedProxies string
	readTimeout    time.Duration
	refusalRate    float64
	cmaRateLimit   int

	cacheMaxStacks int
	limits         service.StackLimits

	deliveryTokens, managementTokens, sessionsPerUser int
	passwordConcurrency                               int
	passwordQueueWait                                 time.Duration

	proxies []netip.Prefix
	ints    []intFlag
}

// intFlag is a positive integer flag with an environment variable.
type intFlag struct {
	name, env string
	p         *int
}

// intFlags are the integer flags, with their defaults (service.StackLimits
// and service.Config document them).
func (a *abuseFlags) intFlags() []struct {
	name, env, usage string
	p                *int
	def              int
} {
	return []struct {
		name, env, usage string
		p                *int
		def              int
	}{
		{"cache-max-stacks", "STACKGATE_CACHE_MAX_STACKS", "stacks whose snapshots are cached; the least recently used are evicted beyond it", &a.cacheMaxStacks, 10000},
		{"max-environments", "STACKGATE_MAX_ENVIRONMENTS", "environments per stack", &a.limits.Environments, 100},
		{"max-locales", "STACKGATE_MAX_LOCALES", "locales per stack", &a.limits.Locales, 200},
		{"max-branches", "STACKGATE_MAX_BRANCHES", "branches per stack", &a.limits.Branches, 100},
		{"max-branch-aliases", "STACKGATE_MAX_BRANCH_ALIASES", "branch aliases per stack", &a.limits.BranchAliases, 100},
		{"max-custom-roles", "STACKGATE_MAX_CUSTOM_ROLES", "custom roles per stack", &a.limits.CustomRoles, 100},
		{"max-rules-per-role", "STACKGATE_MAX_RULES_PER_ROLE", "rules per role", &a.limits.RulesPerRole, 100},
		{"max-role-items", "STACKGATE_MAX_ROLE_ITEMS", "content types, entries, assets, locales and environments named by one role", &a.limits.RoleItems, 100},
		{"max-users-per-role", "STACKGATE_MAX_USERS_PER_ROLE", "holders of one role (role bodies, stacks/users/roles, share, accepting an invitation)", &a.limits.UsersPerRole, 1000},
		{"max-pending-invitations", "STACKGATE_MAX_PENDING_INVITATIONS", "invitations (stacks/share) a stack may have waiting for acceptance", &a.limits.PendingInvitations, 1000},
		{"max-delivery-tokens", "STACKGATE_MAX_DELIVERY_TOKENS", "delivery tokens per stack", &a.deliveryTokens, 100},
		{"max-management-tokens", "STACKGATE_MAX_MANAGEMENT_TOKENS", "management tokens per stack", &a.managementTokens, 10},
		{"max-sessions-per-user", "STACKGATE_MAX_SESSIONS_PER_USER", "live authtokens per user; the oldest is ended beyond it", &a.sessionsPerUser, 20},
		{"password-concurrency", "STACKGATE_PASSWORD_CONCURRENCY", "argon2id password checks running at once (19 MiB each)", &a.passwordConcurrency, runtime.GOMAXPROCS(0)},
	}
}

func (a *abuseFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&a.trustedProxies, "trusted-proxies", getenv("STACKGATE_TRUSTED_PROXIES"),
		"comma-separated CIDRs of proxies whose X-Forwarded-For is believed for the client address (env STACKGATE_TRUSTED_PROXIES; default none)")
	fs.Func("read-timeout", "longest time to read a whole request, body included (env STACKGATE_READ_TIMEOUT; default 30s)",
		durationFlag(&a.readTimeout))
	fs.Func("gate-refusal-rate", "refusals per second each client may get from the gate before 429 (env STACKGATE_GATE_REFUSAL_RATE; default 0 = off)",
		floatFlag(&a.refusalRate))
	fs.Func("cma-rate-limit", "CMA requests per second each stack may make, reads and writes counted apart, before 429 with Retry-After; "+
		"X-RateLimit-Limit and X-RateLimit-Remaining on every CMA reply (env STACKGATE_CMA_RATE_LIMIT; default 0 = off; Contentstack's default is 10)",
		countFlag(&a.cmaRateLimit))
	fs.Func("password-queue-wait", "longest wait of a login for its turn at --password-concurrency before 503 (env STACKGATE_PASSWORD_QUEUE_WAIT; default 2s)",
		durationFlag(&a.passwordQueueWait))
	for _, f := range a.intFlags() {
		*f.p = f.def
		if v := getenv(f.env); v != "" {
			_ = intFlagSet(f.p)(v) // checked again in check
		}
		fs.Func(f.name, fmt.Sprintf("%s (env %s; default %d)", f.usage, f.env, f.def), intFlagSet(f.p))
		a.ints = append(a.ints, intFlag{f.name, f.env, f.p})
	}
	a.readTimeout = sghttp.DefaultReadTimeout
	if v := getenv("STACKGATE_READ_TIMEOUT"); v != "" {
		_ = durationFlag(&a.readTimeout)(v) // checked again in check
	}
	a.passwordQueueWait = 2 * time.Second
	if v := getenv("STACKGATE_PASSWORD_QUEUE_WAIT"); v != "" {
		_ = durationFlag(&a.passwordQueueWait)(v) // checked again in check
	}
	if v := getenv("STACKGATE_GATE_REFUSAL_RATE"); v != "" {
		_ = floatFlag(&a.refusalRate)(v)
	}
	if v := getenv("STACKGATE_CMA_RATE_LIMIT"); v != "" {
		_ = countFlag(&a.cmaRateLimit)(v) // checked again in check
	}
}

// check validates the flags after parsing (env values included).
func (a *abuseFlags) check(getenv func(string) string) error {
	for _, env := range []struct {
		name string
		set  func(string) error
	}{
		{"STACKGATE_READ_TIMEOUT", durationFlag(new(time.Duration))},
		{"STACKGATE_PASSWORD_QUEUE_WAIT", durationFlag(new(time.Duration))},
		{"STACKGATE_GATE_REFUSAL_RATE", floatFlag(new(float64))},
		{"STACKGATE_CMA_RATE_LIMIT", countFlag(new(int))},
	} {
		if v := getenv(env.name); v != "" {
			if err := env.set(v); err != nil {
				return fmt.Errorf("%s: %w", env.name, err)
			}
		}
	}
	for _, f := range a.ints {
		if v := getenv(f.env); v != "" {
			if err := intFlagSet(new(int))(v); err != nil {
				return fmt.Errorf("%s: %w", f.env, err)
			}
		}
	}
	var err error
	if a.proxies, err = sghttp.ParseTrustedProxies(a.trustedProxies); err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	return nil
}

// service sets the service's side of the flags.
func (a *abuseFlags) service(cfg *service.Config) {
	cfg.Limits = a.limits
	cfg.DeliveryTokenLimit, cfg.ManagementTokenLimit = a.deliveryTokens, a.managementTokens
	cfg.MaxSessionsPerUser = a.sessionsPerUser
	cfg.PasswordConcurrency, cfg.PasswordQueueWait = a.passwordConcurrency, a.passwordQueueWait
}

// access sets the access checker's side of the flags.
func (a *abuseFlags) access(cfg *access.Config) { cfg.CacheMaxStacks = a.cacheMaxStacks }

// server sets the HTTP server's side of the flags.
func (a *abuseFlags) server(s *sghttp.Server) {
	s.TrustedProxies = a.proxies
	s.ReadTimeout = a.readTimeout
	s.SetGateRefusalRate(a.refusalRate)
	s.SetCMARateLimit(a.cmaRateLimit)
}

func durationFlag(p *time.Duration) func(string) error {
	return func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("want a positive duration such as 30s")
		}
		*p = d
		return nil
	}
}

func floatFlag(p *float64) func(string) error {
	return func(v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			return fmt.Errorf("want a number >= 0")
		}
		*p = f
		return nil
	}
}

// countFlag is an integer flag where 0 means off.
func countFlag(p *int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("want an integer >= 0")
		}
		*p = n
		return nil
	}
}

func intFlagSet(p *int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return fmt.Errorf("want a positive integer")
		}
		*p = n
		return nil
	}
}
