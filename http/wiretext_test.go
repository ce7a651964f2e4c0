package http_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestWireTextOnlyAtTheEdge: below http, no package sets an error's Message
// or writes a Contentstack sentence; the words of error_message are http's
// (routes.go, errors.go).
func TestWireTextOnlyAtTheEdge(t *testing.T) {
	for _, dir := range []string{"..", "../service", "../sqlstore", "../sqlite", "../postgres", "../authz", "../secret"} {
		fset := token.NewFileSet()
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.KeyValueExpr:
					if id, ok := n.Key.(*ast.Ident); ok && id.Name == "Message" {
						if lit, ok := n.Value.(*ast.BasicLit); !ok || lit.Value != `""` {
							t.Errorf("%s: an error's Message is set below http", fset.Position(n.Pos()))
						}
					}
				case *ast.BasicLit:
					if strings.Contains(n.Value, "Please try again") || strings.Contains(n.Value, "not allowed in here") {
						t.Errorf("%s: a Contentstack sentence below http: %s", fset.Position(n.Pos()), n.Value)
					}
				}
				return true
			})
		}
	}
}
