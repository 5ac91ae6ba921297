package configs_test

import (
	"os"
	"strings"
	"testing"

	"github.com/candor/candor/configs"
)

// TestReadmeDocumentsEveryVariable keeps the README's configuration table
// complete: every variable Candor reads has a row, and no row names a
// variable that does not exist.
func TestReadmeDocumentsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]bool{}
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "| `CANDOR_") {
			name := strings.Trim(strings.SplitN(line, "|", 3)[1], " `")
			rows[name] = true
		}
	}
	known := map[string]bool{}
	for _, v := range configs.Vars() {
		known[v.Name] = true
		if !rows[v.Name] {
			t.Errorf("README's configuration table has no row for %s", v.Name)
		}
	}
	for name := range rows {
		if !known[name] {
			t.Errorf("README documents %s, which Candor does not read", name)
		}
	}
}
