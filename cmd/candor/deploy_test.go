package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// pinnedFromRE is a FROM of an image pinned by a tag (golang's names its
// patch version; distroless names its Debian release in the image name)
// and a digest.
var pinnedFromRE = regexp.MustCompile(`^FROM (--platform=\S+ )?[a-z0-9./-]+:[a-z0-9.-]+@sha256:[0-9a-f]{64}( AS \w+)?$`)

func TestTheDockerfilePinsItsBaseImagesAndProbesItsOwnReadiness(t *testing.T) {
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	froms := 0
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "FROM ") {
			froms++
			if !pinnedFromRE.MatchString(line) {
				t.Errorf("base image not pinned by version and digest: %s", line)
			}
		}
	}
	if froms < 2 {
		t.Errorf("found %d FROM lines, want the build and the runtime stage", froms)
	}
	if !strings.Contains(string(data), "golang:1.26.8-") {
		t.Error("the build stage does not name go.mod's Go version, 1.26.8")
	}
	if !strings.Contains(string(data), `CMD ["/candor", "healthcheck"]`) {
		t.Error(`the Dockerfile has no HEALTHCHECK running ["/candor", "healthcheck"]`)
	}
}

func TestComposeProbesTheAPIAndTheWorkerAndShowsTheFirstKey(t *testing.T) {
	data, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &compose); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"api":    {"CMD", "/candor", "healthcheck"},
		"worker": {"CMD", "/candor", "healthcheck", "--worker"},
	}
	for svc, test := range want {
		if got := compose.Services[svc].Healthcheck.Test; !slices.Equal(got, test) {
			t.Errorf("%s healthcheck = %q, want %q", svc, got, test)
		}
	}
	if !strings.Contains(string(data), "apikey create") {
		t.Error("docker-compose.yml does not show how to create the first API key")
	}
}
