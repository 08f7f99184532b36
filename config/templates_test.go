package config

import (
	"maps"
	"testing"
)

func TestParseTemplateSpec(t *testing.T) {
	spec, err := ParseTemplateSpec(" tplX | title=thing1, count=number2 ")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"title": "thing1", "count": "number2"}
	if spec.ID != "tplX" || !maps.Equal(spec.Fields, want) || !spec.Configured() {
		t.Fatalf("spec = %+v", spec)
	}
	if s := spec.String(); s != "tplX|count=number2,title=thing1" {
		t.Fatalf("String = %q", s)
	}
	if again, err := ParseTemplateSpec(spec.String()); err != nil || !maps.Equal(again.Fields, want) {
		t.Fatalf("round trip: %+v %v", again, err)
	}
	if plain, err := ParseTemplateSpec("tplY"); err != nil || plain.ID != "tplY" || len(plain.Fields) != 0 {
		t.Fatalf("id only: %+v %v", plain, err)
	}
	for _, bad := range []string{"", "|a=b", "t|a", "t|a=", "t|=b", "t|a=b,a=c"} {
		if _, err := ParseTemplateSpec(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if (TemplateSpec{}).Configured() {
		t.Error("an empty spec is configured")
	}
}
