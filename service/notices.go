package service

import (
	"context"
	"errors"
	"fmt"
	"html"
	"math/rand/v2"
	"net/mail"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/stackgate/stackgate"
	sgmail "github.com/stackgate/stackgate/mail"
)

// Expiry notices. Every node runs a Notifier. Each run lists the management
// tokens with e-mail notification on whose expiry instant is at most 7 days
// away (and not past), and for each claims its notice in the store
// (ClaimExpiryNotice: one transaction, at most one winner across nodes),
// sends it, and marks it sent. A failed send releases the claim until a
// backoff has passed, so a later run (on any node) retries it; a node that
// dies between claim and mark leaves a claim whose lease lapses, and another
// node sends it then. So a notice is sent once, except that a node dying
// after the server accepted the message and before the mark is recorded
// causes a second delivery after the lease: that one carries the same
// Message-ID, so mail clients can tell.
//
// The notice key is (token, expires_on, notification generation, kind):
// a changed expires_on or a flag turned off and on again earns a new notice;
// a deleted token, or one whose flag is off, is not eligible when claimed.

// Mailer sends a message; *mail.SMTP is one.
type Mailer interface {
	Send(ctx context.Context, m *sgmail.Message) error
}

// NoticeConfig tunes the notifier.
type NoticeConfig struct {
	// From is the From header; default "stackgate <stackgate@localhost>".
	From string
	// Interval between runs; default 1h. The first run is at start.
	Interval time.Duration
	// Lease is how long a claim is held before another node may take it
	// over; default 10m. It must exceed SendTimeout.
	Lease time.Duration
	// SendTimeout bounds one send; default 1m.
	SendTimeout time.Duration
	// RetryMin and RetryMax bound the backoff after a failed send, doubled
	// per attempt; defaults 1m and 1h.
	RetryMin, RetryMax time.Duration
}

func (c *NoticeConfig) defaults() {
	if c.From == "" {
		c.From = "stackgate <stackgate@localhost>"
	}
	if c.Interval <= 0 {
		c.Interval = time.Hour
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = time.Minute
	}
	if c.Lease <= c.SendTimeout {
		c.Lease = max(10*time.Minute, 2*c.SendTimeout)
	}
	if c.RetryMin <= 0 {
		c.RetryMin = time.Minute
	}
	if c.RetryMax < c.RetryMin {
		c.RetryMax = max(time.Hour, c.RetryMin)
	}
}

// noticeWindow is how long before its expiry a token's first notice goes
// out (stackgate.NoticeKindFor says which notice is due).
const noticeWindow = 7 * 24 * time.Hour

// NoticeCounts are the notices this process handled since start.
type NoticeCounts struct {
	Sent   uint64 // delivered to the SMTP server
	Logged uint64 // written to the log (no SMTP server configured)
	Failed uint64 // send attempts that failed (each retried later)
}

type noticeCounters struct{ sent, logged, failed atomic.Uint64 }

// NoticeCounts returns the notices this process sent, logged and failed.
func (s *Service) NoticeCounts() NoticeCounts {
	return NoticeCounts{Sent: s.notices.sent.Load(), Logged: s.notices.logged.Load(), Failed: s.notices.failed.Load()}
}

// Notifier sends the expiry notices of management tokens.
type Notifier struct {
	svc    *Service
	mailer Mailer // nil: notices are logged, one line each
	cfg    NoticeConfig
}

// NewNotifier returns a notifier that sends through m; with m nil it writes
// each notice to the log instead (still once per deployment).
func (s *Service) NewNotifier(m Mailer, cfg NoticeConfig) *Notifier {
	cfg.defaults()
	return &Notifier{svc: s, mailer: m, cfg: cfg}
}

// Run runs the notifier at start and then every Interval until ctx ends.
func (n *Notifier) Run(ctx context.Context) {
	t := time.NewTicker(n.cfg.Interval)
	defer t.Stop()
	for {
		if err := n.RunOnce(ctx); err != nil && ctx.Err() == nil {
			n.svc.log.Error("expiry notices: run failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce handles every notice due now. A failed send is not an error of
// the run (it is logged and retried later); a store failure is.
func (n *Notifier) RunOnce(ctx context.Context) error {
	st := n.svc.store
	now := n.svc.Now().UTC()
	// ExpiresAt = ExpiresOn + 1 day, in (now, now + 7 days].
	from := stackgate.ExpiryDate(now)
	to := stackgate.ExpiryDate(now.Add(noticeWindow - 24*time.Hour))
	tokens, err := st.ListNotifiableManagementTokens(ctx, from, to)
	if err != nil {
		return err
	}
	var errs []error
	for _, t := range tokens {
		at, ok := t.ExpiresAt()
		kind, due := stackgate.NoticeKindFor(at.Sub(now))
		if !ok || !due {
			continue
		}
		if err := n.notify(ctx, t, kind, now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (n *Notifier) notify(ctx context.Context, t *stackgate.ManagementToken, kind stackgate.NoticeKind, now time.Time) error {
	st := n.svc.store
	key := stackgate.NoticeKey{TokenUID: t.UID, ExpiresOn: *t.ExpiresOn, Generation: t.NotifyGeneration, Kind: kind}
	claim := stackgate.NewUID()
	won, err := st.ClaimExpiryNotice(ctx, key, claim, now, n.cfg.Lease)
	if err != nil || !won {
		return err
	}
	log := n.svc.log.With("token_uid", t.UID, "stack_uid", t.StackUID, "notice", string(kind),
		"expires_at", mustExpiresAt(t).Format(time.RFC3339))
	msg, err := n.compose(ctx, t, key, now)
	if err == nil && n.mailer != nil {
		sendCtx, cancel := context.WithTimeout(ctx, n.cfg.SendTimeout)
		err = n.mailer.Send(sendCtx, msg)
		cancel()
	}
	if err != nil {
		n.svc.notices.failed.Add(1)
		retry := n.retryAt(ctx, key, now)
		log.Warn("expiry notice not sent; will retry", "error", err, "retry_at", retry.Format(time.RFC3339))
		return st.ReleaseExpiryNotice(context.WithoutCancel(ctx), key, claim, retry, err.Error())
	}
	if err := st.MarkExpiryNoticeSent(context.WithoutCancel(ctx), key, n.svc.Now()); err != nil {
		return err
	}
	if n.mailer == nil {
		n.svc.notices.logged.Add(1)
		log.Info("expiry notice (no --smtp-addr: logged, not mailed)", "to", strings.Join(msg.To, ", "),
			"subject", msg.Subject, "message_id", msg.MessageID)
		return nil
	}
	n.svc.notices.sent.Add(1)
	log.Info("expiry notice sent", "recipients", len(msg.To), "message_id", msg.MessageID)
	return nil
}

// retryAt is now plus RetryMin doubled per failed attempt, at most RetryMax,
// with a little jitter so that nodes do not retry in step.
func (n *Notifier) retryAt(ctx context.Context, key stackgate.NoticeKey, now time.Time) time.Time {
	attempts := 1
	if nt, err := n.svc.store.FindExpiryNotice(ctx, key); err == nil {
		attempts = nt.Attempts
	}
	d := n.cfg.RetryMin
	for i := 1; i < attempts && d < n.cfg.RetryMax; i++ {
		d *= 2
	}
	d = min(d, n.cfg.RetryMax)
	return now.Add(d + rand.N(d/10+1))
}

func mustExpiresAt(t *stackgate.ManagementToken) time.Time { at, _ := t.ExpiresAt(); return at }

// Recipients returns who is told of t's expiry: its creator while they are
// still the stack's Owner or an Admin; otherwise the Owner and the Admins.
func (s *Service) noticeRecipients(ctx context.Context, t *stackgate.ManagementToken, stack *stackgate.Stack) ([]*stackgate.User, bool, error) {
	members, err := s.store.ListMembers(ctx, stack.UID)
	if err != nil {
		return nil, false, err
	}
	roles, err := s.store.ListRoles(ctx, stack.UID)
	if err != nil {
		return nil, false, err
	}
	admin := ""
	for _, r := range roles {
		if r.System && r.Name == stackgate.RoleAdmin {
			admin = r.UID
		}
	}
	isAdmin := map[string]bool{}
	for _, m := range members {
		if admin != "" && slices.Contains(m.RoleUIDs, admin) {
			isAdmin[m.UserUID] = true
		}
	}
	uids := []string{stack.OwnerUID}
	creator := t.CreatedBy != "" && (t.CreatedBy == stack.OwnerUID || isAdmin[t.CreatedBy])
	if creator {
		uids = []string{t.CreatedBy}
	} else {
		for _, m := range members {
			if isAdmin[m.UserUID] && m.UserUID != stack.OwnerUID {
				uids = append(uids, m.UserUID)
			}
		}
	}
	var users []*stackgate.User
	for _, uid := range uids {
		u, err := s.store.FindUserByUID(ctx, uid)
		if stackgate.IsCode(err, stackgate.ENOTFOUND) {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		if _, err := mail.ParseAddress(u.Email); err == nil {
			users = append(users, u)
		}
	}
	return users, creator, nil
}

// compose writes the notice of t. It never holds the token's value: only
// its hash is stored, and nothing here reads it.
func (n *Notifier) compose(ctx context.Context, t *stackgate.ManagementToken, key stackgate.NoticeKey, now time.Time) (*sgmail.Message, error) {
	stack, err := n.svc.store.FindStackByUID(ctx, t.StackUID)
	if err != nil {
		return nil, err
	}
	users, creator, err := n.svc.noticeRecipients(ctx, t, stack)
	if err != nil {
		return nil, err
	}
	if len(users) == 0 {
		return nil, errors.New("no recipient has a valid e-mail address")
	}
	var to []string
	for _, u := range users {
		to = append(to, (&mail.Address{Name: strings.TrimSpace(u.FirstName + " " + u.LastName), Address: u.Email}).String())
	}
	at := mustExpiresAt(t)
	d := noticeData{
		Token: t.Name, TokenUID: t.UID, Stack: stack.Name, StackUID: stack.UID,
		Scope:   ScopeInWords(t.Scope),
		Instant: at.Format(time.RFC3339),
		Words:   at.Format("Monday, 2 January 2006 at 15:04 MST"),
		LastDay: t.ExpiresOn.Format("Monday, 2 January 2006"),
		Left:    inWords(at.Sub(now)),
		Creator: creator,
	}
	domain := "stackgate.local"
	if a, err := mail.ParseAddress(n.cfg.From); err == nil {
		if _, dom, ok := strings.Cut(a.Address, "@"); ok && dom != "" {
			domain = dom
		}
	}
	return &sgmail.Message{
		From:      n.cfg.From,
		To:        to,
		Subject:   fmt.Sprintf("Management token %q of stack %q stops working %s", t.Name, stack.Name, d.Left),
		Date:      now,
		MessageID: fmt.Sprintf("<expiry-%s.%s.%s.g%d@%s>", key.Kind, t.UID, key.ExpiresOn.Format("20060102"), key.Generation, domain),
		Text:      d.text(),
		HTML:      d.html(),
	}, nil
}

type noticeData struct {
	Token, TokenUID, Stack, StackUID string
	Scope                            []string
	Instant, Words, LastDay, Left    string
	Creator                          bool
}

func (d noticeData) why() string {
	if d.Creator {
		return "You receive this because you created this token."
	}
	return "You receive this because you are the Owner or an Admin of the stack, and the user who created this token no longer is."
}

func (d noticeData) steps() []string {
	return []string{
		"Create a new management token with the scope it needs (Settings > Tokens > Management Tokens, or POST /v3/stacks/management_tokens).",
		fmt.Sprintf("Switch every client, script and CI job that uses %q to the new token.", d.Token),
		fmt.Sprintf("Delete the old token %q (DELETE /v3/stacks/management_tokens/%s).", d.Token, d.TokenUID),
	}
}

func (d noticeData) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "The management token %q (uid %s) of the stack %q (uid %s) stops working %s:\n\n", d.Token, d.TokenUID, d.Stack, d.StackUID, d.Left)
	fmt.Fprintf(&b, "    %s\n    (%s; it works through %s, UTC, the date set as its expiry)\n\n", d.Instant, d.Words, d.LastDay)
	b.WriteString("What it may do:\n")
	for _, s := range d.Scope {
		fmt.Fprintf(&b, "  - %s\n", s)
	}
	b.WriteString("\nTo rotate it before then:\n")
	for i, s := range d.steps() {
		fmt.Fprintf(&b, "  %d. %s\n", i+1, s)
	}
	fmt.Fprintf(&b, "\n%s\n-- \nstackgate\n", d.why())
	return b.String()
}

func (d noticeData) html() string {
	e := html.EscapeString
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><body>\n")
	fmt.Fprintf(&b, "<p>The management token <b>%s</b> (uid <code>%s</code>) of the stack <b>%s</b> (uid <code>%s</code>) stops working %s:</p>\n",
		e(d.Token), e(d.TokenUID), e(d.Stack), e(d.StackUID), e(d.Left))
	fmt.Fprintf(&b, "<p><b><time datetime=\"%s\">%s</time></b><br>%s; it works through %s, UTC, the date set as its expiry.</p>\n",
		e(d.Instant), e(d.Instant), e(d.Words), e(d.LastDay))
	b.WriteString("<p>What it may do:</p>\n<ul>\n")
	for _, s := range d.Scope {
		fmt.Fprintf(&b, "<li>%s</li>\n", e(s))
	}
	b.WriteString("</ul>\n<p>To rotate it before then:</p>\n<ol>\n")
	for _, s := range d.steps() {
		fmt.Fprintf(&b, "<li>%s</li>\n", e(s))
	}
	fmt.Fprintf(&b, "</ol>\n<p>%s</p>\n<p>&mdash; stackgate</p>\n</body></html>\n", e(d.why()))
	return b.String()
}

// inWords says how far away d is: "in 3 days", "in 5 hours", "in 12 minutes".
func inWords(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "in 1 " + unit
		}
		return fmt.Sprintf("in %d %ss", n, unit)
	}
	switch {
	case d >= 48*time.Hour:
		return plural(int(d/(24*time.Hour)), "day")
	case d >= 2*time.Hour:
		return plural(int(d/time.Hour), "hour")
	case d >= time.Minute:
		return plural(int(d/time.Minute), "minute")
	}
	return "in less than a minute"
}

// moduleWords names the modules of a scope for people.
var moduleWords = map[stackgate.Module]string{
	stackgate.ModuleContentType: "content types", stackgate.ModuleEntry: "entries", stackgate.ModuleAsset: "assets",
	stackgate.ModuleFolder: "asset folders", stackgate.ModuleEnvironment: "environments", stackgate.ModuleLocale: "languages",
	stackgate.ModuleRole: "roles", stackgate.ModuleGlobalField: "global fields", stackgate.ModuleTaxonomy: "taxonomies",
	stackgate.ModuleRelease: "releases", stackgate.ModuleWorkflow: "workflows", stackgate.ModuleWebhook: "webhooks",
	stackgate.ModuleExtension: "extensions", stackgate.ModuleLabel: "labels", stackgate.ModuleAuditLog: "the audit log",
	stackgate.ModulePublishQueue: "the publish queue", stackgate.ModuleBulkOperation: "bulk operations",
}

// ScopeInWords describes a management-token scope, one line per entry:
// "read and write: every module", "read: entries", "on branches: main, dev".
func ScopeInWords(scope []stackgate.ScopeEntry) []string {
	var out []string
	for _, e := range scope {
		switch e.Module {
		case stackgate.ModuleBranch:
			out = append(out, "on branches: "+strings.Join(e.Branches, ", "))
			continue
		case stackgate.ModuleBranchAlias:
			out = append(out, "on the branches of aliases: "+strings.Join(e.BranchAliases, ", "))
			continue
		}
		var acl []string
		if e.ACL.Read != nil && *e.ACL.Read {
			acl = append(acl, "read")
		}
		if e.ACL.Write != nil && *e.ACL.Write {
			acl = append(acl, "write")
		}
		what := moduleWords[e.Module]
		if e.Module == stackgate.ModuleAll {
			what = "every module"
		} else if what == "" {
			what = string(e.Module)
		}
		if len(acl) == 0 {
			out = append(out, "no access: "+what)
			continue
		}
		out = append(out, strings.Join(acl, " and ")+": "+what)
	}
	if len(out) == 0 {
		out = []string{"nothing (empty scope)"}
	}
	return out
}
