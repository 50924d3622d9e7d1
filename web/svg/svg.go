// Package svg draws the explorer's charts as inline SVG on the server, so a
// page shows them with JavaScript disabled and loads no outside asset. It
// uses integer coordinates only and escapes every label.
package svg

import (
	"fmt"
	"html"
	"html/template"
	"strings"
)

// Point is one bar or line point: a label (shown on hover) and a value.
type Point struct {
	Label string
	Value int64
}

// Bars draws points as a bar chart w×h pixels, scaled to the largest value.
// No points give an empty chart with a "no data" note.
func Bars(title string, points []Point, w, h int) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 %d %d" width="%d" height="%d"><title>%s</title>`,
		w, h, w, h, html.EscapeString(title))
	if len(points) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">no data yet</text></svg>`, w/2, h/2)
		return template.HTML(b.String()) //nolint:gosec // built from escaped parts
	}
	top := int64(1)
	for _, p := range points {
		if p.Value > top {
			top = p.Value
		}
	}
	bw := w / len(points)
	if bw < 1 {
		bw = 1
	}
	for i, p := range points {
		v := p.Value
		if v < 0 {
			v = 0
		}
		bh := int(int64(h-14) * v / top)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d"><title>%s: %d</title></rect>`,
			i*bw, h-bh, max(bw-1, 1), bh, html.EscapeString(p.Label), p.Value)
	}
	fmt.Fprintf(&b, `<text x="2" y="11" class="axis">max %d</text></svg>`, top)
	return template.HTML(b.String()) //nolint:gosec // built from escaped parts
}

// Heat draws a matrix (rows × columns, e.g. validator uid × miner uid
// weights) as a heat map of cell×cell squares; the opacity of a cell is its
// value over the largest, in 1/100 steps.
func Heat(title string, rows, cols []string, values [][]int64, cell int) template.HTML {
	w, h := (len(cols)+1)*cell+40, (len(rows)+1)*cell
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="heat" role="img" viewBox="0 0 %d %d" width="%d" height="%d"><title>%s</title>`,
		w, h, w, h, html.EscapeString(title))
	top := int64(1)
	for _, r := range values {
		for _, v := range r {
			if v > top {
				top = v
			}
		}
	}
	for j, c := range cols {
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="axis">%s</text>`, 40+j*cell, cell-2, html.EscapeString(c))
	}
	for i, r := range rows {
		fmt.Fprintf(&b, `<text x="0" y="%d" class="axis">%s</text>`, (i+2)*cell-2, html.EscapeString(r))
		for j := range cols {
			var v int64
			if i < len(values) && j < len(values[i]) {
				v = values[i][j]
			}
			pct := v * 100 / top
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill-opacity="0.%02d"><title>%s → %s: %d</title></rect>`,
				40+j*cell, (i+1)*cell, cell-1, cell-1, min(pct, 99), html.EscapeString(r), html.EscapeString(cols[j]), v)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // built from escaped parts
}
