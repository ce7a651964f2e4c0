package storetest

import (
	"testing"

	"github.com/stackgate/stackgate"
)

func testEnvironments(t *testing.T, s stackgate.Store) {
	f := newFixture(t, s)
	staging := f.environment(t, s, "staging")
	sub(t, "Find", func(t *testing.T) {
		for _, key := range []string{staging.UID, staging.Name} {
			got, err := s.FindEnvironment(ctx(t), f.stack, key)
			must(t, err)
			diff(t, "environment by "+key, staging, got)
		}
	})
	sub(t, "Missing", func(t *testing.T) {
		_, err := s.FindEnvironment(ctx(t), f.stack, "nope")
		wantCode(t, err, stackgate.ENOTFOUND, "")
		wantCode(t, s.DeleteEnvironment(ctx(t), f.stack, "bltmissing"), stackgate.ENOTFOUND, "")
		e := *staging
		e.UID = "bltmissing"
		wantCode(t, s.UpdateEnvironment(ctx(t), &e), stackgate.ENOTFOUND, "")
	})
	sub(t, "List", func(t *testing.T) {
		got, err := s.ListEnvironments(ctx(t), f.stack)
		must(t, err)
		diff(t, "environments", []*stackgate.Environment{&f.seed.Environment, staging}, got)
		empty, err := s.ListEnvironments(ctx(t), "bltmissing")
		must(t, err)
		diff(t, "unknown stack", []*stackgate.Environment{}, empty)
	})
	sub(t, "Duplicate", func(t *testing.T) {
		dup := *staging
		dup.UID = stackgate.NewUID()
		wantCode(t, s.CreateEnvironment(ctx(t), &dup, 0), stackgate.ECONFLICT, "name")
	})
	sub(t, "Update", func(t *testing.T) {
		e := *staging
		e.Name, e.URLs, e.UpdatedBy, e.UpdatedAt = "qa", []stackgate.EnvironmentURL{{URL: "https://qa", Locale: "fr-fr"}}, "bltother", now()
		must(t, s.UpdateEnvironment(ctx(t), &e))
		want := e
		want.Version = staging.Version + 1
		got, err := s.FindEnvironment(ctx(t), f.stack, "qa")
		must(t, err)
		diff(t, "updated", &want, got)
		diff(t, "version written back", want.Version, e.Version)
		*staging = want
	})
	sub(t, "UpdateDuplicate", func(t *testing.T) {
		e := *staging
		e.Name = "production"
		wantCode(t, s.UpdateEnvironment(ctx(t), &e), stackgate.ECONFLICT, "name")
	})
	sub(t, "Delete", func(t *testing.T) {
		must(t, s.DeleteEnvironment(ctx(t), f.stack, staging.UID))
		_, err := s.FindEnvironment(ctx(t), f.stack, staging.UID)
		wantCode(t, err, stackgate.ENOTFOUND, "")
	})
}

func testLocales(t *testing.T, s stackgate.Store) {
	f := newFixture(t, s)
	fr := f.locale(t, s, "fr-fr", "en-us")
	sub(t, "Find", func(t *testing.T) {
		for _, key := range []string{fr.UID, fr.Code} {
			got, err := s.FindLocale(ctx(t), f.stack, key)
			must(t, err)
			diff(t, "locale by "+key, fr, got)
		}
	})
	sub(t, "Missing", func(t *testing.T) {
		_, err := s.FindLocale(ctx(t), f.stack, "de-de")
		wantCode(t, err, stackgate.ENOTFOUND, "")
		wantCode(t, s.DeleteLocale(ctx(t), f.stack, "bltmissing"), stackgate.ENOTFOUND, "")
		l := *fr
		l.UID = "bltmissing"
		wantCode(t, s.UpdateLocale(ctx(t), &l), stackgate.ENOTFOUND, "")
	})
	sub(t, "List", func(t *testing.T) {
		got, err := s.ListLocales(ctx(t), f.stack)
		must(t, err)
		diff(t, "locales", []*stackgate.Locale{&f.seed.Locale, fr}, got)
		empty, err := s.ListLocales(ctx(t), "bltmissing")
		must(t, err)
		diff(t, "unknown stack", []*stackgate.Locale{}, empty)
	})
	sub(t, "Duplicate", func(t *testing.T) {
		dup := *fr
		dup.UID = stackgate.NewUID()
		wantCode(t, s.CreateLocale(ctx(t), &dup, 0), stackgate.ECONFLICT, "code")
	})
	sub(t, "MissingFallback", func(t *testing.T) {
		l := &stackgate.Locale{UID: stackgate.NewUID(), StackUID: f.stack, Code: "it-it", FallbackLocale: "xx-xx", Version: 1, CreatedAt: now(), UpdatedAt: now()}
		wantCode(t, s.CreateLocale(ctx(t), l, 0), stackgate.EINVALID, "fallback_locale")
	})
	de := f.locale(t, s, "de-de", "fr-fr")
	sub(t, "Update", func(t *testing.T) {
		l := *de
		l.Name, l.FallbackLocale, l.UpdatedBy, l.UpdatedAt = "Deutsch", "en-us", "bltother", now()
		must(t, s.UpdateLocale(ctx(t), &l))
		want := l
		want.Version = de.Version + 1
		got, err := s.FindLocale(ctx(t), f.stack, "de-de")
		must(t, err)
		diff(t, "updated", &want, got)
		diff(t, "version written back", want.Version, l.Version)
	})
	sub(t, "DeleteFallback", func(t *testing.T) {
		l := *de
		l.FallbackLocale = fr.UID // a fallback named by uid protects as well as by code
		must(t, s.UpdateLocale(ctx(t), &l))
		wantCode(t, s.DeleteLocale(ctx(t), f.stack, fr.UID), stackgate.EINVALID, "locale")
		must(t, s.DeleteLocale(ctx(t), f.stack, de.UID))
		must(t, s.DeleteLocale(ctx(t), f.stack, fr.UID))
		got, err := s.ListLocales(ctx(t), f.stack)
		must(t, err)
		diff(t, "locales", []*stackgate.Locale{&f.seed.Locale}, got)
	})
}

func testBranches(t *testing.T, s stackgate.Store) {
	f := newFixture(t, s)
	dev := f.branch(t, s, "development")
	sub(t, "Find", func(t *testing.T) {
		got, err := s.FindBranch(ctx(t), f.stack, "development")
		must(t, err)
		diff(t, "branch", dev, got)
	})
	sub(t, "Missing", func(t *testing.T) {
		_, err := s.FindBranch(ctx(t), f.stack, "nope")
		wantCode(t, err, stackgate.ENOTFOUND, "")
		wantCode(t, s.DeleteBranch(ctx(t), f.stack, "nope"), stackgate.ENOTFOUND, "")
	})
	sub(t, "List", func(t *testing.T) {
		got, err := s.ListBranches(ctx(t), f.stack)
		must(t, err)
		diff(t, "branches", []*stackgate.Branch{&f.seed.Branch, dev}, got)
		empty, err := s.ListBranches(ctx(t), "bltmissing")
		must(t, err)
		diff(t, "unknown stack", []*stackgate.Branch{}, empty)
	})
	sub(t, "Duplicate", func(t *testing.T) {
		dup := *dev
		wantCode(t, s.CreateBranch(ctx(t), &dup, 0), stackgate.ECONFLICT, "uid")
	})
	sub(t, "NameOfAlias", func(t *testing.T) {
		f.alias(t, s, "deploy", "main")
		b := &stackgate.Branch{UID: "deploy", StackUID: f.stack, Source: "main", CreatedAt: now(), UpdatedAt: now()}
		wantCode(t, s.CreateBranch(ctx(t), b, 0), stackgate.ECONFLICT, "uid")
	})
	sub(t, "DeleteMain", func(t *testing.T) {
		wantCode(t, s.DeleteBranch(ctx(t), f.stack, stackgate.MainBranch), stackgate.EINVALID, "")
		if _, err := s.FindBranch(ctx(t), f.stack, stackgate.MainBranch); err != nil {
			t.Errorf("main after refused delete: %v", err)
		}
	})
	sub(t, "DeleteAliasTarget", func(t *testing.T) {
		f.alias(t, s, "preview", "development")
		wantCode(t, s.DeleteBranch(ctx(t), f.stack, "development"), stackgate.EINVALID, "branch")
		must(t, s.DeleteBranchAlias(ctx(t), f.stack, "preview"))
		must(t, s.DeleteBranch(ctx(t), f.stack, "development"))
		_, err := s.FindBranch(ctx(t), f.stack, "development")
		wantCode(t, err, stackgate.ENOTFOUND, "")
	})
}

func testBranchAliases(t *testing.T, s stackgate.Store) {
	f := newFixture(t, s)
	f.branch(t, s, "development")
	deploy := f.alias(t, s, "deploy", "main")
	sub(t, "Find", func(t *testing.T) {
		got, err := s.FindBranchAlias(ctx(t), f.stack, "deploy")
		must(t, err)
		diff(t, "alias", deploy, got)
	})
	sub(t, "Missing", func(t *testing.T) {
		_, err := s.FindBranchAlias(ctx(t), f.stack, "nope")
		wantCode(t, err, stackgate.ENOTFOUND, "")
		wantCode(t, s.DeleteBranchAlias(ctx(t), f.stack, "nope"), stackgate.ENOTFOUND, "")
		// A branch is not an alias.
		_, err = s.FindBranchAlias(ctx(t), f.stack, "main")
		wantCode(t, err, stackgate.ENOTFOUND, "")
	})
	sub(t, "Retarget", func(t *testing.T) {
		a := &stackgate.BranchAlias{UID: "deploy", StackUID: f.stack, TargetBranch: "development",
			CreatedBy: "bltother", UpdatedBy: "bltother", CreatedAt: now(), UpdatedAt: now()}
		must(t, s.PutBranchAlias(ctx(t), a, 0))
		// Creation fields stay those of the first put.
		want := *deploy
		want.TargetBranch, want.UpdatedBy, want.UpdatedAt = a.TargetBranch, a.UpdatedBy, a.UpdatedAt
		got, err := s.FindBranchAlias(ctx(t), f.stack, "deploy")
		must(t, err)
		diff(t, "alias", &want, got)
		*deploy = want
	})
	sub(t, "List", func(t *testing.T) {
		staging := f.alias(t, s, "staging", "main")
		got, err := s.ListBranchAliases(ctx(t), f.stack)
		must(t, err)
		diff(t, "aliases", []*stackgate.BranchAlias{deploy, staging}, got)
		empty, err := s.ListBranchAliases(ctx(t), "bltmissing")
		must(t, err)
		diff(t, "unknown stack", []*stackgate.BranchAlias{}, empty)
	})
	sub(t, "MissingTarget", func(t *testing.T) {
		a := &stackgate.BranchAlias{UID: "broken", StackUID: f.stack, TargetBranch: "nope", CreatedAt: now(), UpdatedAt: now()}
		wantCode(t, s.PutBranchAlias(ctx(t), a, 0), stackgate.EINVALID, "branch_alias.target_branch")
		_, err := s.FindBranchAlias(ctx(t), f.stack, "broken")
		wantCode(t, err, stackgate.ENOTFOUND, "")
	})
	sub(t, "NameOfBranch", func(t *testing.T) {
		a := &stackgate.BranchAlias{UID: "development", StackUID: f.stack, TargetBranch: "main", CreatedAt: now(), UpdatedAt: now()}
		wantCode(t, s.PutBranchAlias(ctx(t), a, 0), stackgate.ECONFLICT, "uid")
	})
	sub(t, "Delete", func(t *testing.T) {
		must(t, s.DeleteBranchAlias(ctx(t), f.stack, "deploy"))
		_, err := s.FindBranchAlias(ctx(t), f.stack, "deploy")
		wantCode(t, err, stackgate.ENOTFOUND, "")
	})
}
