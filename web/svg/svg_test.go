package svg

import (
	"strings"
	"testing"
)

func TestBarsEscapesAndScales(t *testing.T) {
	out := string(Bars("<t>", []Point{{"<a>", 10}, {"b", 5}, {"c", -3}}, 300, 114))
	if strings.Contains(out, "<a>") || strings.Contains(out, "<t>") {
		t.Fatalf("labels not escaped: %s", out)
	}
	if !strings.Contains(out, `height="100"><title>&lt;a&gt;: 10`) || !strings.Contains(out, `height="50"><title>b: 5`) {
		t.Errorf("bars not scaled to the largest value: %s", out)
	}
	if !strings.Contains(out, `height="0"><title>c: -3`) {
		t.Errorf("a negative value is not drawn as zero: %s", out)
	}
	if !strings.Contains(string(Bars("x", nil, 100, 50)), "no data yet") {
		t.Error("an empty chart says nothing")
	}
}

func TestHeat(t *testing.T) {
	out := string(Heat("w", []string{"uid 0", "uid 1"}, []string{"", ""}, [][]int64{{0, 4}, {2}}, 10))
	if strings.Count(out, "<rect") != 4 {
		t.Errorf("want 4 cells: %s", out)
	}
	for _, want := range []string{`fill-opacity="0.99"`, `fill-opacity="0.50"`, `fill-opacity="0.00"`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in %s", want, out)
		}
	}
}
