package agentrun

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestLimits(t *testing.T) {
	l := Limits{ReadTimeout: 300 * time.Millisecond, WriteTimeout: time.Second, MaxBodyBytes: 16, MaxConnsPerIP: 2, MaxConns: 3}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := LimitListener(ln, l)
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(w, r.Body) })
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		Stream(w)
		time.Sleep(1500 * time.Millisecond) // past the write timeout
		_, _ = io.WriteString(w, "late")
	})
	hs := NewServer(mux, l)
	go func() { _ = hs.Serve(cl) }()
	defer hs.Close()
	url := "http://" + ln.Addr().String()
	post := func(body string) (int, string) {
		resp, err := http.Post(url+"/echo", "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, b := post("hello"); code != 200 || b != "hello" {
		t.Fatalf("echo: %d %q", code, b)
	}
	if code, _ := post(strings.Repeat("x", 17)); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("17-byte body: %d", code)
	}
	resp, err := http.Get(url + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "late" {
		t.Fatalf("stream past the write timeout: %q", b)
	}

	// A slow body is cut off at the read timeout with 408.
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, _ := io.ReadAll(c)
	c.Close()
	if !strings.HasPrefix(string(got), "HTTP/1.1 408") {
		t.Fatalf("slow body: %q", got)
	}

	// Caps: 2 per IP (127.0.0.1), 3 in all.
	http.DefaultClient.CloseIdleConnections()
	time.Sleep(50 * time.Millisecond)
	var held []net.Conn
	for range 4 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	time.Sleep(200 * time.Millisecond)
	if total, fromIP := cl.Open("127.0.0.1"); total != 2 || fromIP != 2 || cl.Refused() != 2 {
		t.Fatalf("open %d, from 127.0.0.1 %d, refused %d; want 2, 2, 2", total, fromIP, cl.Refused())
	}
	for _, c := range held {
		c.Close()
	}
	time.Sleep(200 * time.Millisecond)
	if total, _ := cl.Open("127.0.0.1"); total != 0 {
		t.Fatalf("after closing: %d open", total)
	}
	if d, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).Dial("tcp", ln.Addr().String()); err == nil {
		var more []net.Conn
		for _, ip := range []string{"127.0.0.3", "127.0.0.4", "127.0.0.5"} {
			if c, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}).Dial("tcp", ln.Addr().String()); err == nil {
				more = append(more, c)
			}
		}
		time.Sleep(200 * time.Millisecond)
		if total, _ := cl.Open("127.0.0.2"); total != 3 {
			t.Fatalf("4 IPs, total cap 3: %d open", total)
		}
		d.Close()
		for _, c := range more {
			c.Close()
		}
	}
}
