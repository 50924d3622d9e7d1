// Command webserver is the static web server of the docker deployment
// example (examples/deploy/web-docker.yaml). It is built as a static binary
// and packed into an image FROM scratch, so a provider's Docker engine can
// run it without reaching any registry.
//
// It serves the files under SITE_DIR (default /site) and, at "/", the text of
// CONTENT when set; it listens on $PORT (default 8080) and logs each request.
package main

import (
	"cmp"
	"fmt"
	"log"
	"net/http"
	"os"
)

func main() {
	port := cmp.Or(os.Getenv("PORT"), "8080")
	content := os.Getenv("CONTENT")
	files := http.FileServer(http.Dir(cmp.Or(os.Getenv("SITE_DIR"), "/site")))
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		log.Printf("%s %s %s", r.RemoteAddr, r.Method, r.URL.Path)
		if r.URL.Path == "/" && content != "" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintln(w, content)
			return
		}
		files.ServeHTTP(w, r)
	})
	log.SetOutput(os.Stdout)
	log.Printf("serving on :%s", port)
	if err := http.ListenAndServe(":"+port, mux); err != nil {
		log.Fatal(err)
	}
}
