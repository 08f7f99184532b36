package config

import (
	"slices"
	"strings"
	"testing"
)

// Ensure the department template is read, refused when malformed or a
// subscribe template, known to the unknown-variable check, and unset by
// default.
func TestDeptTransferTemplate(t *testing.T) {
	n, err := LoadOpinionNotify(func(string) string { return "" })
	if err != nil || n.DeptTransfer.Configured() {
		t.Fatalf("default %+v %v", n.DeptTransfer, err)
	}
	n, err = LoadOpinionNotify(func(k string) string {
		return map[string]string{EnvTplDeptTransfer: "tplDept|title=thing1,no=character_string2,due=time5"}[k]
	})
	if err != nil || n.DeptTransfer.ID != "tplDept" || n.DeptTransfer.Fields["due"] != "time5" {
		t.Fatalf("loaded %+v %v", n.DeptTransfer, err)
	}
	for _, bad := range []string{"|title=thing1", "tplDept|title", "tplDept;long_term"} {
		_, err := LoadOpinionNotify(func(k string) string { return map[string]string{EnvTplDeptTransfer: bad}[k] })
		if err == nil || !strings.Contains(err.Error(), EnvTplDeptTransfer) {
			t.Errorf("%q: %v, want an error naming the variable", bad, err)
		}
	}
	if !slices.Contains(KnownVars(), EnvTplDeptTransfer) {
		t.Errorf("%s is not a known variable", EnvTplDeptTransfer)
	}
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range c.Warnings([]string{EnvTplDeptTransfer}) {
		t.Errorf("warned about a known variable: %s", w)
	}
}
