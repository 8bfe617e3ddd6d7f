package arch_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// maxMethods is the most methods one type may declare: past it a type is
// doing several jobs (the reshape split the 71-method Community).
const maxMethods = 30

// bboltNotYet lists the packages that still import bbolt directly while
// their domain waits for its store seam (<domain>/bolt). It may only
// shrink: a package not listed here that imports bbolt fails the test.
var bboltNotYet = map[string]bool{}

// tooManyNotYet lists the types, as "dir.Type", still over maxMethods
// while their split waits. It may only
// shrink.
var tooManyNotYet = map[string]bool{}

type pkgFiles struct {
	imports map[string]bool
	methods map[string]int // receiver type → methods declared
}

func scan(t *testing.T) map[string]*pkgFiles {
	t.Helper()
	pkgs := map[string]*pkgFiles{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		p := pkgs[dir]
		if p == nil {
			p = &pkgFiles{imports: map[string]bool{}, methods: map[string]int{}}
			pkgs[dir] = p
		}
		for _, imp := range f.Imports {
			s, _ := strconv.Unquote(imp.Path.Value)
			p.imports[s] = true
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || len(fd.Recv.List) == 0 {
				continue
			}
			typ := fd.Recv.List[0].Type
			if star, ok := typ.(*ast.StarExpr); ok {
				typ = star.X
			}
			if idx, ok := typ.(*ast.IndexExpr); ok { // generic receiver
				typ = idx.X
			}
			if id, ok := typ.(*ast.Ident); ok {
				p.methods[id.Name]++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

// TestArch_BboltOnlyInStores: only the bbolt implementations of the
// domains' stores (<domain>/bolt) and the binary import bbolt.
func TestArch_BboltOnlyInStores(t *testing.T) {
	if _, err := os.Stat("go.mod"); err != nil {
		t.Fatal("run from the module root")
	}
	var offenders []string
	pkgs := scan(t)
	for dir := range bboltNotYet {
		if p := pkgs[dir]; p == nil || !p.imports["go.etcd.io/bbolt"] && !p.imports["go.etcd.io/bbolt/errors"] {
			t.Errorf("%s no longer imports bbolt: take it off bboltNotYet", dir)
		}
	}
	for dir, p := range pkgs {
		if !p.imports["go.etcd.io/bbolt"] && !p.imports["go.etcd.io/bbolt/errors"] {
			continue
		}
		// a store on bbolt, its test support (<domain>/bolt/bolttest), the binary
		if strings.HasSuffix(dir, "/bolt") || strings.Contains(dir, "/bolt/") || dir == "cmd/loyalbot" || bboltNotYet[dir] {
			continue
		}
		offenders = append(offenders, dir)
	}
	sort.Strings(offenders)
	if len(offenders) > 0 {
		t.Errorf("these packages import bbolt; put their storage behind the domain's store interface in <domain>/bolt: %v", offenders)
	}
}

// TestArch_MethodsPerType: no type declares more than maxMethods methods.
func TestArch_MethodsPerType(t *testing.T) {
	pkgs := scan(t)
	for name := range tooManyNotYet {
		dir, typ, _ := strings.Cut(name, ".")
		if p := pkgs[dir]; p == nil || p.methods[typ] <= maxMethods {
			t.Errorf("%s has at most %d methods now: take it off tooManyNotYet", name, maxMethods)
		}
	}
	for dir, p := range pkgs {
		for typ, n := range p.methods {
			if n > maxMethods && !tooManyNotYet[dir+"."+typ] {
				t.Errorf("%s.%s declares %d methods, more than %d: split it by what it does", dir, typ, n, maxMethods)
			}
		}
	}
}
