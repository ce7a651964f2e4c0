package service

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/stackgate/stackgate"
)

// checkName validates a required display name: 1–255 characters after
// trimming, none of them a control character or a bidirectional override,
// and not path-like ("." or "..", or a "." or ".." segment between slashes,
// or a leading slash). It returns the trimmed name.
func checkName(v stackgate.Validation, field, name string) string {
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		v.Add(field, stackgate.ProblemRequired)
	case n > 255:
		v.Add(field, "is too long (maximum is 255 characters).")
	case !utf8.ValidString(name) || strings.ContainsFunc(name, forbiddenRune):
		v.Add(field, "must not contain control characters or bidirectional overrides.")
	case pathLike(name):
		v.Add(field, "must not look like a path (\".\", \"..\", a leading \"/\").")
	}
	return name
}

// checkSegmentName is checkName for a name that is also a path segment of
// the API (an environment: /v3/environments/{name}): no slash at all.
func checkSegmentName(v stackgate.Validation, field, name string) string {
	name = checkName(v, field, name)
	if _, bad := v[field]; !bad && strings.ContainsAny(name, "/\\") {
		v.Add(field, "must not contain \"/\" or \"\\\".")
	}
	return name
}

// forbiddenRune: C0 and C1 controls (NUL, ESC, DEL…) and the Unicode
// bidirectional controls that make text display other than it reads
// (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C).
func forbiddenRune(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F, r == 0x061C:
		return true
	}
	return false
}

func pathLike(name string) bool {
	if strings.HasPrefix(name, "/") || strings.HasPrefix(name, "\\") {
		return true
	}
	for _, seg := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return name == "." || name == ".."
}

// checkSlug validates a machine identifier such as a branch uid or locale
// code: lowercase letters, digits, '-' and '_', 1..max characters.
func checkSlug(v stackgate.Validation, field, s string, max int) {
	if s == "" {
		v.Add(field, stackgate.ProblemRequired)
		return
	}
	if len(s) > max {
		v.Add(field, "is too long.")
		return
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			v.Add(field, stackgate.ProblemNotValid)
			return
		}
	}
}

func asError(err error, target **stackgate.Error) bool { return errors.As(err, target) }

func itoa(n int) string { return strconv.Itoa(n) }
