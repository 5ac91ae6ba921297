package models_test

import (
	"archive/zip"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
)

// TestTimezoneNamesMatchGosEmbeddedTzdata compares the allow-list with
// the zones of the toolchain's zoneinfo.zip, which time/tzdata embeds.
func TestTimezoneNamesMatchGosEmbeddedTzdata(t *testing.T) {
	path := filepath.Join(runtime.GOROOT(), "lib", "time", "zoneinfo.zip")
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Skipf("the toolchain's tzdata is not available to compare with (%v)", err)
	}
	defer z.Close()
	var embedded []string
	for _, f := range z.File {
		if f.Name != "Factory" {
			embedded = append(embedded, f.Name)
		}
	}
	slices.Sort(embedded)
	got := slices.Sorted(slices.Values(models.TimezoneNames))
	if diff := cmp.Diff(embedded, got); diff != "" {
		t.Errorf("models/timezones.go is out of step with %s (-embedded +list):\n%s\nthe new list:\n%s",
			path, diff, strings.Join(embedded, " "))
	}
}

func TestEveryListedTimezoneLoadsAndIsValid(t *testing.T) {
	for _, name := range models.TimezoneNames {
		if !models.ValidTimezone(name) {
			t.Errorf("listed zone %q is not valid", name)
		}
	}
}
