package service

import (
	"context"

	"github.com/stackgate/stackgate"
)

// LocaleInput is the body of locale create and update.
type LocaleInput struct {
	Code           *string
	Name           *string
	FallbackLocale *string // nil: absent (defaults to the master locale on create)
}

// Locales lists the stack's locales.
func (s *Service) Locales(ctx context.Context, stackUID string) ([]*stackgate.Locale, error) {
	return s.store.ListLocales(ctx, stackUID)
}

// Locale returns the locale whose code (or uid) is key.
func (s *Service) Locale(ctx context.Context, stackUID, key string) (*stackgate.Locale, error) {
	return s.store.FindLocale(ctx, stackUID, key)
}

// CreateLocale adds a language to the stack.
func (s *Service) CreateLocale(ctx context.Context, by stackgate.Actor, in LocaleInput) (*stackgate.Locale, error) {
	v := stackgate.Validation{}
	var code string
	if in.Code == nil {
		v.Add("code", stackgate.ProblemRequired)
	} else {
		code = *in.Code
		checkSlug(v, "code", code, 16)
	}
	name := code
	if in.Name != nil {
		name = checkName(v, "name", *in.Name)
	}
	fallback := by.Stack.MasterLocale
	if in.FallbackLocale != nil && *in.FallbackLocale != "" {
		fallback = *in.FallbackLocale
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if _, err := s.store.FindLocale(ctx, by.Stack.UID, fallback); err != nil {
		if stackgate.IsCode(err, stackgate.ENOTFOUND) {
			return nil, stackgate.FieldError(stackgate.EINVALID, "fallback_locale", stackgate.ProblemNotValid)
		}
		return nil, err
	}
	now := s.Now()
	l := &stackgate.Locale{UID: stackgate.NewUID(), StackUID: by.Stack.UID, Code: code, Name: name, FallbackLocale: fallback,
		Version: 1, CreatedBy: by.UID, UpdatedBy: by.UID, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateLocale(ctx, l, s.cfg.Limits.Locales); err != nil {
		return nil, err
	}
	return l, nil
}

// UpdateLocale renames a locale or changes its fallback. The code is fixed.
func (s *Service) UpdateLocale(ctx context.Context, by stackgate.Actor, key string, in LocaleInput) (*stackgate.Locale, error) {
	l, err := s.store.FindLocale(ctx, by.Stack.UID, key)
	if err != nil {
		return nil, err
	}
	v := stackgate.Validation{}
	if in.Name != nil {
		l.Name = checkName(v, "name", *in.Name)
	}
	if in.Code != nil && *in.Code != l.Code {
		v.Add("code", "cannot be changed.")
	}
	if in.FallbackLocale != nil && l.Code != by.Stack.MasterLocale {
		fb := *in.FallbackLocale
		if fb == "" || fb == l.Code {
			v.Add("fallback_locale", stackgate.ProblemNotValid)
		} else if _, err := s.store.FindLocale(ctx, by.Stack.UID, fb); stackgate.IsCode(err, stackgate.ENOTFOUND) {
			v.Add("fallback_locale", stackgate.ProblemNotValid)
		} else if err != nil {
			return nil, err
		}
		l.FallbackLocale = fb
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	l.UpdatedBy, l.UpdatedAt = by.UID, s.Now()
	if err := s.store.UpdateLocale(ctx, l); err != nil {
		return nil, err
	}
	return s.store.FindLocale(ctx, by.Stack.UID, l.UID)
}

// DeleteLocale removes a locale; the master locale stays.
func (s *Service) DeleteLocale(ctx context.Context, by stackgate.Actor, key string) error {
	l, err := s.store.FindLocale(ctx, by.Stack.UID, key)
	if err != nil {
		return err
	}
	if l.Code == by.Stack.MasterLocale {
		return stackgate.FieldError(stackgate.EINVALID, "code", "is the master locale and cannot be deleted.")
	}
	if err := s.store.DeleteLocale(ctx, by.Stack.UID, l.UID); err != nil {
		return err
	}
	return nil
}
