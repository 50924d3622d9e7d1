package sqlq

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Formats are the output formats of Write.
var Formats = []string{"table", "csv", "json"}

// Write prints res to w as format ("table", "csv" or "json"). A cut result
// ends with a note on notes (stderr for the CLI, so CSV and JSON stay clean).
func Write(w, notes io.Writer, res *Result, format string) error {
	var err error
	switch format {
	case "table", "":
		err = writeTable(w, res)
	case "csv":
		err = writeCSV(w, res)
	case "json":
		err = writeJSON(w, res)
	default:
		return fmt.Errorf("unknown output format %q: use %s", format, strings.Join(Formats, ", "))
	}
	if err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	if res.Cut {
		fmt.Fprintf(notes, "cut at %d rows: the query returned more; add a LIMIT or WHERE, or pass --max-rows\n", res.MaxRows)
	} else if format == "table" || format == "" {
		fmt.Fprintf(notes, "(%d rows, %s)\n", len(res.Rows), res.Elapsed.Round(100_000))
	}
	return nil
}

// text renders one value for table and CSV output.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	default:
		return fmt.Sprint(x)
	}
}

// maxCell bounds a table cell: a message's JSON can be long.
const maxCell = 80

func writeTable(w io.Writer, res *Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(res.Columns, "\t")))
	for _, r := range res.Rows {
		cells := make([]string, len(r))
		for i, v := range r {
			s := strings.NewReplacer("\t", " ", "\n", " ").Replace(text(v))
			if len([]rune(s)) > maxCell {
				s = string([]rune(s)[:maxCell-1]) + "…"
			}
			cells[i] = s
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

func writeCSV(w io.Writer, res *Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(res.Columns); err != nil {
		return err
	}
	for _, r := range res.Rows {
		cells := make([]string, len(r))
		for i, v := range r {
			if v != nil {
				cells[i] = text(v)
			}
		}
		if err := cw.Write(cells); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeJSON prints an array of objects whose keys keep the column order.
func writeJSON(w io.Writer, res *Result) error {
	var b strings.Builder
	b.WriteString("[")
	for i, r := range res.Rows {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n  {")
		for j, v := range r {
			if j > 0 {
				b.WriteString(", ")
			}
			k, _ := json.Marshal(res.Columns[j])
			val, err := json.Marshal(v)
			if err != nil {
				return err
			}
			b.Write(k)
			b.WriteString(": ")
			b.Write(val)
		}
		b.WriteString("}")
	}
	if len(res.Rows) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("]\n")
	_, err := io.WriteString(w, b.String())
	return err
}
