package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/stackgate/stackgate/access"
)

// Publish, unpublish, bulk and deploy requests name their environments and
// locales in a JSON body:
//
//	entry publish   {"entry":{"environments":[…],"locales":[…]},"locale":"en-us",…}
//	asset publish   {"asset":{"environments":[…],"locales":[…]},…}
//	bulk publish    {"entries":[{"uid","content_type","locale"}],"assets":[{"uid"}],"environments":[…],"locales":[…]}
//	release deploy  {"release":{"environments":[…],"locales":[…]},…}
//
// readBodyScope collects every environment and locale such a body names,
// wherever these shapes put them, and the items of a bulk request. A body
// an upstream could read differently is refused: a repeated key at any
// depth (parsers keep the first or the last), a key naming one of these in
// another case (Go's encoding/json matches struct fields without case), a
// value of the wrong type, or a body that is not one JSON object.

// maxBodyDepth bounds the nesting readBodyScope walks.
const maxBodyDepth = 32

func bodyAmbiguous(field, problem string) error { return ambiguous("body."+field, problem) }

// scopeKeys are the keys whose values the scope is read from.
var scopeKeys = []string{"environments", "locales", "locale", "entry", "asset", "release", "details", "entries",
	"assets", "uid", "content_type"}

func readBodyScope(body []byte) (*access.BodyScope, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	v, err := strictValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, bodyAmbiguous("json", "is not a single JSON object.")
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, bodyAmbiguous("json", "is not a JSON object.")
	}
	var s access.BodyScope
	if err := addScope(&s, top, ""); err != nil {
		return nil, err
	}
	for _, k := range []string{"entry", "asset", "release", "details"} {
		if v, ok := top[k]; ok {
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, bodyAmbiguous(k, "is not an object.")
			}
			if err := addScope(&s, obj, k+"."); err != nil {
				return nil, err
			}
		}
	}
	for _, k := range []string{"entries", "assets"} {
		v, ok := top[k]
		if !ok {
			continue
		}
		list, ok := v.([]any)
		if !ok {
			return nil, bodyAmbiguous(k, "is not a list.")
		}
		for _, it := range list {
			obj, ok := it.(map[string]any)
			if !ok {
				return nil, bodyAmbiguous(k, "holds an item that is not an object.")
			}
			var item access.BodyItem
			uid, err := stringField(obj, "uid", k)
			if err != nil {
				return nil, err
			}
			if k == "entries" {
				item.Entry = uid
				if item.ContentType, err = stringField(obj, "content_type", k); err != nil {
					return nil, err
				}
				if item.Locale, err = stringField(obj, "locale", k); err != nil {
					return nil, err
				}
			} else {
				item.Asset = uid
			}
			s.Items = append(s.Items, item)
		}
	}
	return &s, nil
}

// addScope adds the environments, locales and locale of one object.
func addScope(s *access.BodyScope, obj map[string]any, prefix string) error {
	for _, k := range []string{"environments", "locales"} {
		v, ok := obj[k]
		if !ok || v == nil {
			continue
		}
		list, ok := v.([]any)
		if !ok {
			return bodyAmbiguous(prefix+k, "is not a list of strings.")
		}
		for _, it := range list {
			str, ok := it.(string)
			if !ok {
				// The SDK may send environment objects back; only names and
				// uids are read.
				if o, isObj := it.(map[string]any); isObj {
					if str, ok = o["uid"].(string); !ok {
						str, ok = o["name"].(string)
					}
				}
			}
			if !ok || str == "" {
				return bodyAmbiguous(prefix+k, "is not a list of strings.")
			}
			if k == "environments" {
				s.Environments = append(s.Environments, str)
			} else {
				s.Locales = append(s.Locales, str)
			}
		}
	}
	loc, err := stringField(obj, "locale", strings.TrimSuffix(prefix, "."))
	if err != nil {
		return err
	}
	if loc != "" {
		s.Locales = append(s.Locales, loc)
	}
	return nil
}

func stringField(obj map[string]any, key, where string) (string, error) {
	v, ok := obj[key]
	if !ok || v == nil {
		return "", nil
	}
	str, ok := v.(string)
	if !ok {
		if where != "" {
			key = where + "." + key
		}
		return "", bodyAmbiguous(key, "is not a string.")
	}
	return str, nil
}

// strictValue decodes one JSON value, refusing repeated keys and keys that
// spell a scope key in another case.
func strictValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxBodyDepth {
		return nil, bodyAmbiguous("json", "is nested too deeply.")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, bodyAmbiguous("json", "is not valid JSON.")
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := map[string]any{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, bodyAmbiguous("json", "is not valid JSON.")
				}
				k, _ := kt.(string)
				if _, dup := obj[k]; dup {
					return nil, bodyAmbiguous("json", "repeats a key.")
				}
				for _, sk := range scopeKeys {
					if k != sk && strings.EqualFold(k, sk) {
						return nil, bodyAmbiguous("json", "names a key in a variant spelling.")
					}
				}
				v, err := strictValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				obj[k] = v
			}
			if _, err := dec.Token(); err != nil {
				return nil, bodyAmbiguous("json", "is not valid JSON.")
			}
			return obj, nil
		case '[':
			list := []any{}
			for dec.More() {
				v, err := strictValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, bodyAmbiguous("json", "is not valid JSON.")
			}
			return list, nil
		}
		return nil, bodyAmbiguous("json", "is not valid JSON.")
	}
	return tok, nil
}
