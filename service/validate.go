package service

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stackgate/stackgate"
)

// checkName validates a required display name: 1–255 characters after
// trimming. It returns the trimmed name.
func checkName(v stackgate.Validation, field, name string) string {
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		v.Add(field, stackgate.ProblemRequired)
	case n > 255:
		v.Add(field, "is too long (maximum is 255 characters).")
	}
	return name
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
