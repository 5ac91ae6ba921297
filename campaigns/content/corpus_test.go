package content_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/candor/candor/campaigns/content"
	"github.com/candor/candor/models"
)

// corpusChecks maps a corpus check to the content kind it runs in and the
// rule that flags a sentence.
// For the disclaimer, "flagged" means recognised: the check's warning
// (a disclaimer will be appended) is then absent.
var corpusChecks = map[string]struct {
	kind   models.ContentKind
	rule   string
	invert bool
}{
	"promise":    {models.KindRoadmap, content.RuleRoadmapPromise, false},
	"pressure":   {models.KindEducation, content.RuleLanguagePressure, false},
	"hype":       {models.KindEducation, content.RuleLanguageHype, false},
	"disclaimer": {models.KindRoadmap, content.RuleRoadmapDisclaimer, true},
}

// flags reports whether CheckContent gives rule for text in lang.
func flags(kind models.ContentKind, rule, lang, text string) bool {
	in := &models.ContentInput{Kind: kind, Topic: "t", Title: "Corpus", DefaultLocale: lang,
		Variants: []models.Variant{{Locale: lang, Channel: models.ChannelEmail, Subject: "Hello", Text: text}}}
	for _, f := range content.CheckContent(in, content.CheckOptions{Now: checkNow}) {
		if f.Rule == rule {
			return true
		}
	}
	return false
}

// TestCorpusPrecisionAndRecall measures each check on the labelled corpus
// per language and fails under 0.95 precision or recall. Run with -v to
// see the figures recorded in docs/content.md.
func TestCorpusPrecisionAndRecall(t *testing.T) {
	files, err := filepath.Glob("testdata/corpus/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		lang, check, _ := strings.Cut(name, "-")
		c, ok := corpusChecks[check]
		if !ok {
			t.Fatalf("%s: unknown check %q", path, check)
		}
		t.Run(lang+" "+check+" reaches 0.95 precision and recall", func(t *testing.T) {
			lines := content.ReadCorpus(t, path)
			var tp, fp, fn, pos, neg int
			for _, l := range lines {
				got := flags(c.kind, c.rule, lang, l.Text) != c.invert
				switch {
				case l.Flagged:
					pos++
					if got {
						tp++
					} else {
						fn++
						t.Logf("%s:%d missed: %q", path, l.Line, l.Text)
					}
				default:
					neg++
					if got {
						fp++
						t.Logf("%s:%d flagged wrongly: %q", path, l.Line, l.Text)
					}
				}
			}
			if pos < 30 || neg < 30 {
				t.Fatalf("%s has %d flagged and %d honest sentences; the corpus needs at least 30 of each", path, pos, neg)
			}
			precision := float64(tp) / float64(max(tp+fp, 1))
			recall := float64(tp) / float64(max(tp+fn, 1))
			t.Logf("%s %s: %d sentences, precision %.3f, recall %.3f", lang, check, len(lines), precision, recall)
			if precision < 0.95 || recall < 0.95 {
				t.Errorf("precision %.3f, recall %.3f: both must be at least 0.95", precision, recall)
			}
		})
	}
}
