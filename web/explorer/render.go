package explorer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
)

// ErrBadInput means a path or query parameter is malformed; the page says
// what a valid one looks like.
var ErrBadInput = errors.New("bad input")

// pageNames are the pages, each templates/<name>.html over layout.html.
var pageNames = []string{"overview", "blocks", "block", "tx", "account", "providers", "provider",
	"orders", "order", "leases", "lease", "subnets", "subnet", "sql", "error"}

var funcs = template.FuncMap{
	"short": func(s string) string {
		if len(s) <= 16 {
			return s
		}
		return s[:8] + "…" + s[len(s)-6:]
	},
	"slice1": func(l Lease) []Lease { return []Lease{l} },
	"cell": func(v any) string {
		if v == nil {
			return "NULL"
		}
		return fmt.Sprint(v)
	},
	"msgName": func(typeURL string) string {
		if i := strings.LastIndexByte(typeURL, '.'); i >= 0 {
			return typeURL[i+1:]
		}
		return typeURL
	},
}

func parsePages() (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse page %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// view is what every page template receives.
type view struct {
	Title  string
	Nav    string
	Height int64
	Data   any
}

// page adapts a page's loader into a handler: it renders into a buffer
// first, so a failing page sends a whole error page rather than half a page.
func (s *Server) page(name string, load func(r *http.Request) (string, any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		title, data, err := load(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusOK, name, title, data)
	}
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, name, title string, data any) {
	h, _ := s.idx.Height(r.Context())
	var buf bytes.Buffer
	if err := s.pages[name].Execute(&buf, view{Title: title, Nav: name, Height: h, Data: data}); err != nil {
		http.Error(w, "render "+name+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// fail renders err as an error page with the status it calls for.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, ErrBadInput):
		code = http.StatusBadRequest
	case errors.Is(err, context.Canceled):
		return
	}
	s.render(w, r, code, "error", http.StatusText(code), err.Error())
}
