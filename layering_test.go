package stackgate_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLayering: the domain, the permission engine, the use cases, the hot
// path and the stores never import the HTTP layer. Request bodies are
// decoded there (http/wire), and the packages below it take typed values;
// an import the other way would let wire forms leak back into them. Test
// files are not checked: a test may decode as the edge does.
func TestLayering(t *testing.T) {
	const module = "github.com/stackgate/stackgate"
	forbidden := []string{module + "/http"} // and everything under it
	// The root package alone; each other one with the packages under it.
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"authz", "service", "access", "sqlstore", "sqlite", "postgres"} {
		n := len(files)
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") {
				files = append(files, path)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == n {
			t.Fatalf("%s: no Go files; is the list of packages out of date?", dir)
		}
	}
	for _, file := range files {
		// authztest is test support: it reads the permission matrix, whose
		// roles are written in the wire form, and no server code imports it.
		if strings.HasSuffix(file, "_test.go") || filepath.Dir(file) == filepath.Join("authz", "authztest") {
			continue
		}
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(token.NewFileSet(), file, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if path == bad || strings.HasPrefix(path, bad+"/") {
					t.Errorf("%s imports %s: packages below the HTTP layer take typed values, not its wire forms", file, path)
				}
			}
		}
	}
}
